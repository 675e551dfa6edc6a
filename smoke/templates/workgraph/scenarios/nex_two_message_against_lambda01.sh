#!/usr/bin/env bash
# Scenario nex_two_message_against_lambda01 (owner: wg-nex-native).
# The user's repro: `wg init -x nex -m qwen3-coder -e <endpoint>`, open the
# chat, send 'hi', then a second message. Both must get a reply from the
# coordinator: a second message is where the native executor used to break.
#
# Relies on: wg init -x/-m/-e, wg service start|stop|status --json,
# wg chat create --name --json, wg chat send --json, and
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

chat="$(wg chat create --name smoke --json | json_get chat_id)"
echo "chat created id=$chat"

n=0
for message in "hi" "Reply with one word: what did I just say to you?"; do
    n=$((n + 1))
    wg chat send "$chat" "$message" --json >&2
    reply="$(wg_wait_reply "$chat" "$n" 90)" || loud_fail "no reply $n within 90s to: $message"
    echo "reply $n $reply"
done
