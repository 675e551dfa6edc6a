# shellcheck shell=bash
# Shared by the workgraph scenarios (lib/ holds code no scenario runs by itself);
# source it after helpers.sh.
#
# Relies on these wg commands: wg init, wg service start|stop|status --json,
# wg chat create --json, wg chat send --json; and on the chat files
# .workgraph/chat/<id>/outbox.jsonl (one JSON reply per line, with "role" and
# "text"). If wg changes any of these, change them here, once.

require_cmd wg python3

# The endpoint comes from the caller's environment: `requires` in the manifest
# is static, so it is checked here, and its absence is a loud SKIP.
require_wg_endpoint() {
    require_env WG_SMOKE_ENDPOINT "the OpenAI-compatible endpoint to test against, e.g. https://lambda01.example:30000/v1"
    require_endpoint "$WG_SMOKE_ENDPOINT"
}

# Print the value at a dotted path (a.b.0.c) of the JSON document on stdin.
json_get() {
    python3 -c '
import json, sys
doc = json.load(sys.stdin)
for part in sys.argv[1].split("."):
    doc = doc[int(part)] if isinstance(doc, list) else doc[part]
print(doc if isinstance(doc, str) else json.dumps(doc))
' "$1"
}

# cd into a fresh project in the scratch folder and run `wg init ARGS...` there.
wg_project() {
    local dir
    dir="$(make_scratch project)"
    cd "$dir" || loud_fail "cannot enter $dir"
    git init -q . 2>/dev/null || true
    wg init "$@" >&2 || loud_fail "wg init${*:+ $*} failed"
}

wg_service_running() {
    [[ "$(wg service status --json 2>/dev/null | json_get running 2>/dev/null)" == true ]]
}

_wg_service_stop() {
    wg service stop >&2 || true
}

# Start the service and stop it at exit, whatever happens.
wg_service_start() {
    wg service start >&2 || loud_fail "wg service start failed"
    add_cleanup _wg_service_stop
    wait_until 20 wg_service_running || loud_fail "wg service start: not running after 20s"
}

_wg_outbox() {
    printf '%s\n' ".workgraph/chat/$1/outbox.jsonl"
}

_wg_reply_count_at_least() {
    local outbox
    outbox="$(_wg_outbox "$1")"
    [[ -f "$outbox" ]] && (($(grep -c . "$outbox") >= $2))
}

# Wait up to SECS for chat CHAT to hold N replies; print reply N as "role=R text=T".
wg_wait_reply() {
    local chat="$1" n="$2" secs="$3"
    wait_until "$secs" _wg_reply_count_at_least "$chat" "$n" || return 1
    python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
reply = json.loads(lines[int(sys.argv[2]) - 1])
text = " ".join(str(reply.get("text", reply.get("content", ""))).split())
print(f"role={reply.get(\"role\", \"?\")} text={text[:80]}")
' "$(_wg_outbox "$chat")" "$n"
}
