#!/usr/bin/env bash
# Scenario chat_create_via_ipc_works (owner: wg-chat-as).
# With the service up, `wg chat create` must go through IPC (so the
# supervisor spawns the handler at once), and 'hi' must get a response from
# the coordinator within 30 seconds.
#
# Relies on: wg init -x/-m/-e, wg service start|stop|status --json,
# wg chat create --name --json (with "chat_id", and "service": "down" only
# when it bypassed IPC), wg chat send --json, and
# .workgraph/chat/<id>/outbox.jsonl (see lib/wg.sh).
# Needs: WG_SMOKE_ENDPOINT (reachable), optional WG_SMOKE_MODEL.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=helpers.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/helpers.sh"
# shellcheck source-path=SCRIPTDIR source=lib/wg.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/lib/wg.sh"

require_wg_endpoint
model="${WG_SMOKE_MODEL:-qwen3-coder}"

wg_project -x nex -m "$model" -e "$WG_SMOKE_ENDPOINT"
wg_service_start

created="$(wg chat create --name smoke-ipc --json)"
printf '%s\n' "$created" >&2
chat="$(json_get chat_id <<<"$created")"
if [[ "$(json_get service <<<"$created" 2>/dev/null || true)" == down ]]; then
    echo "chat created via=direct (the service was up, but create bypassed IPC)"
else
    echo "chat created via=ipc id=$chat"
fi

wg chat send "$chat" "hi" --json >&2
echo "sent: hi"
reply="$(wg_wait_reply "$chat" 1 30)" || loud_fail "no response to 'hi' within 30s"
echo "response within 30s: $reply"
