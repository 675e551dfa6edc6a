# `wg done` through the shim is refused while an owned scenario fails, and the
# real wg is never called; other wg commands pass straight through.
# The real wg cannot be built here: a stand-in records the arguments it gets.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "chat_create_via_ipc"
run = "test -e chat.ok && echo reply-received"
owners = ["chat-ipc"]
[scenario.expect]
stdout_contains = ["reply-received"]
TOML
mkdir -p "$SMOKE_SCRATCH/real"
cat > "$SMOKE_SCRATCH/real/wg" <<'SH'
#!/usr/bin/env bash
echo "real-wg $*" >> "$SMOKE_SCRATCH/wg.calls"
SH
chmod +x "$SMOKE_SCRATCH/real/wg"
smoke install --wg-shim "$SMOKE_SCRATCH/shim" > /dev/null
export PATH="$SMOKE_SCRATCH/shim:$SMOKE_SCRATCH/real:$PATH"
wg done chat-ipc > /dev/null 2>&1
echo "done-exit=$?"
wg show chat-ipc --json
echo "show-exit=$?"
touch chat.ok
wg done chat-ipc --full-smoke > /dev/null 2>&1
echo "fixed-done-exit=$?"
cat "$SMOKE_SCRATCH/wg.calls"
