#!/usr/bin/env bash
# shellcheck disable=SC2119  # wg_project without arguments: a plain `wg init`
# Scenario claude_executor_with_global_openrouter_default (owner: model-is-not).
# The project says executor = claude; the user's global config makes an
# openrouter endpoint the default. Spawning an agent must still use claude:
# its metadata shows executor claude and nothing about native-exec.
#
# Relies on: wg config --global, wg endpoints add --global --default,
# wg config --executor, wg add --id, wg spawn, wg show --json (with "id" and
# "executor"), wg kill. HOME is a scratch folder, so the real global config
# is never touched.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=helpers.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/helpers.sh"
# shellcheck source-path=SCRIPTDIR source=lib/wg.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/lib/wg.sh"

require_cmd claude

HOME="$(make_scratch home)"
XDG_CONFIG_HOME="$HOME/.config"
export HOME XDG_CONFIG_HOME

wg endpoints add openrouter --global --default \
    --provider openrouter --url https://openrouter.ai/api/v1 >&2 \
    || loud_fail "could not add the global openrouter default endpoint"

wg_project
wg config --executor claude >&2 || loud_fail "could not set the local executor to claude"
wg add "smoke probe: which executor spawns me" --id smoke-probe >&2
add_cleanup wg kill smoke-probe
wg spawn smoke-probe >&2 || loud_fail "wg spawn smoke-probe failed"

# stdout is exactly the spawned task's metadata: the manifest asserts on it.
wg show smoke-probe --json
