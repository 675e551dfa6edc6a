# shellcheck shell=bash
# Helpers for smoke scenarios: source this file, never run it.
#
#   source "$SMOKE_MANIFEST_DIR/scenarios/helpers.sh"
#
# Written by `smoke init`; yours to extend (`smoke init` never overwrites it).
# The rules these helpers serve:
#   - a missing precondition is a loud SKIP (exit 77) with the reason, never a pass;
#   - a scenario prints what its manifest entry asserts, so no human has to look;
#   - whatever a scenario starts, it cleans up: register it with add_cleanup.
#
# This file owns the EXIT trap (and the TERM and INT traps, so that cleanups
# run when smoke ends a scenario). Do not set your own `trap ... EXIT` in a
# scenario (it would replace this one); call add_cleanup instead. Needs bash >= 4.4.
#
#   loud_skip REASON...          banner on stderr, exit 77 (smoke reports SKIP)
#   loud_fail MESSAGE...         message on stderr, exit 1 (smoke reports FAIL)
#   require_cmd NAME...          loud_skip unless every NAME is on PATH
#   require_env VAR [HINT]       loud_skip unless $VAR is set and not empty
#   require_endpoint URL         loud_skip unless URL (or host:port) accepts a TCP connection
#   make_scratch [NAME]          print a fresh folder under $SMOKE_SCRATCH (removed afterwards)
#   add_cleanup CMD [ARG...]     run CMD at exit, last added first, whatever the exit status
#   wait_until SECS CMD [ARG...] retry CMD every 0.2 s until it succeeds; status 1 after SECS
#   scenario_pids [REGEX]        pids of live processes this scenario started (Linux /proc)

if [[ -n "${_SMOKE_HELPERS_LOADED:-}" ]]; then
    return 0
fi
_SMOKE_HELPERS_LOADED=1

# The connect timeout for require_endpoint, in seconds (same default as `requires`).
: "${SMOKE_CONNECT_TIMEOUT:=2}"

_SMOKE_CLEANUPS=()

_smoke_name() {
    printf '%s' "${SMOKE_SCENARIO:-${0##*/}}"
}

loud_skip() {
    local reason="${*:-no reason given}"
    local bar='!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
    if [[ -t 2 || -z "${SMOKE_SCENARIO:-}" ]]; then
        # Run by hand: nobody else will make this loud.
        printf '%s\n!!! SKIPPED, NOT PASSED: %s\n%s\n' "$bar" "$(_smoke_name)" "$bar" >&2
    fi
    # Under smoke the report carries the banner, and it takes the reason from the
    # last lines of stderr: so the reason goes last, alone, without decoration.
    printf '%s\n' "$reason" >&2
    exit 77
}

loud_fail() {
    printf 'FAIL: %s\n' "${*:-scenario failed}" >&2
    exit 1
}

require_cmd() {
    local name
    for name in "$@"; do
        command -v "$name" >/dev/null 2>&1 \
            || loud_skip "required command '$name' is not on PATH (install it or put it on PATH)"
    done
}

require_env() {
    local var="$1" hint="${2:-}"
    if [[ -z "${!var:-}" ]]; then
        loud_skip "\$$var is not set${hint:+ ($hint)}"
    fi
}

# Prints "host port" for a URL (scheme://host[:port][/path]) or host:port.
_smoke_host_port() {
    local target="$1" scheme="" rest host port
    if [[ "$target" == *://* ]]; then
        scheme="${target%%://*}"
        rest="${target#*://}"
    else
        rest="$target"
    fi
    rest="${rest%%/*}"
    rest="${rest##*@}"
    if [[ "$rest" == \[*\]* ]]; then
        host="${rest%%]*}"
        host="${host#[}"
        port="${rest#*]}"
        port="${port#:}"
    elif [[ "$rest" == *:* ]]; then
        host="${rest%:*}"
        port="${rest##*:}"
    else
        host="$rest"
        port=""
    fi
    if [[ -z "$port" ]]; then
        case "${scheme,,}" in
            http | ws) port=80 ;;
            https | wss | grpc) port=443 ;;
            *) return 1 ;;
        esac
    fi
    [[ -n "$host" && "$port" =~ ^[0-9]+$ ]] || return 1
    printf '%s %s\n' "$host" "$port"
}

require_endpoint() {
    local url="${1:-}" hp host port
    [[ -n "$url" ]] || loud_skip "require_endpoint was given no URL"
    hp="$(_smoke_host_port "$url")" || loud_skip "cannot tell host and port of endpoint '$url'"
    host="${hp% *}"
    port="${hp#* }"
    if command -v timeout >/dev/null 2>&1; then
        # bash's /dev/tcp needs no extra tool; `timeout` bounds the connect.
        # shellcheck disable=SC2016  # $1 and $2 expand in the inner bash, on purpose
        if timeout "$SMOKE_CONNECT_TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null; then
            return 0
        fi
    elif command -v curl >/dev/null 2>&1; then
        # curl's exit 7 means the TCP connect failed; any answer at all means reachable.
        local rc=0
        curl -sS -o /dev/null --connect-timeout "$SMOKE_CONNECT_TIMEOUT" --max-time "$SMOKE_CONNECT_TIMEOUT" \
            "$( [[ "$url" == *://* ]] && printf '%s' "$url" || printf 'http://%s' "$url" )" 2>/dev/null || rc=$?
        if [[ $rc -ne 6 && $rc -ne 7 && $rc -ne 28 ]]; then
            return 0
        fi
    else
        loud_skip "cannot check endpoint $url: neither 'timeout' nor 'curl' is on PATH"
    fi
    loud_skip "endpoint $url unreachable (no TCP connection to $host:$port within ${SMOKE_CONNECT_TIMEOUT}s)"
}

add_cleanup() {
    [[ $# -gt 0 ]] || return 0
    _SMOKE_CLEANUPS+=("$(printf '%q ' "$@")")
}

_smoke_run_cleanups() {
    local rc=$? i
    trap - EXIT
    # Last added first, like a stack of `defer`s; one failing cleanup does not stop the rest.
    for ((i = ${#_SMOKE_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${_SMOKE_CLEANUPS[i]}" || printf 'cleanup failed (continuing): %s\n' "${_SMOKE_CLEANUPS[i]}" >&2
    done
    exit "$rc"
}
trap _smoke_run_cleanups EXIT
# On a timeout or Ctrl-C smoke sends TERM (or INT) to the whole tree: exit
# through the EXIT trap so that the cleanups run, with the usual 128+N status.
trap 'exit 143' TERM
trap 'exit 130' INT

if [[ -z "${SMOKE_SCRATCH:-}" ]]; then
    # Run by hand, outside smoke: make our own scratch and remove it at exit.
    SMOKE_SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/smoke-scratch.XXXXXX")"
    add_cleanup rm -rf "$SMOKE_SCRATCH"
fi
# Exported so that processes the scenario starts can be recognised (scenario_pids).
export SMOKE_SCRATCH

make_scratch() {
    local dir
    if [[ -n "${1:-}" ]]; then
        dir="$SMOKE_SCRATCH/$1"
        mkdir -p "$dir"
    else
        dir="$(mktemp -d "$SMOKE_SCRATCH/scratch.XXXXXX")"
    fi
    printf '%s\n' "$dir"
}

wait_until() {
    local secs="$1" deadline
    shift
    deadline=$((SECONDS + secs))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

scenario_pids() {
    # Builtins only: this walks every process, and a fork per process would be slow.
    local pattern="${1:-}" dir pid stat state cmdline
    local -a envs args
    local needle=$'\n'"SMOKE_SCRATCH=$SMOKE_SCRATCH"$'\n'
    for dir in /proc/[0-9]*; do
        pid="${dir#/proc/}"
        [[ "$pid" != "$$" && "$pid" != "$BASHPID" ]] || continue
        read -r stat 2>/dev/null <"$dir/stat" || continue
        state="${stat##*) }"
        [[ "${state%% *}" != Z ]] || continue  # zombies are already dead
        mapfile -d "" -t envs 2>/dev/null <"$dir/environ" || continue
        local IFS=$'\n'
        [[ $'\n'"${envs[*]}"$'\n' == *"$needle"* ]] || continue
        mapfile -d "" -t args 2>/dev/null <"$dir/cmdline" || continue
        IFS=' '
        cmdline="${args[*]}"
        if [[ -z "$pattern" || "$cmdline" =~ $pattern ]]; then
            printf '%s\n' "$pid"
        fi
    done
}
