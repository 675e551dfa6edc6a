# Claude Code's Stop hook, as `smoke install --agent claude` writes it, run the
# way Claude Code runs it (through a shell, the Stop input of
# code.claude.com/docs/en/hooks on stdin): a change that breaks the scenario
# guarding it is refused naming the scenario; a clean tree is let through.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "login_redirect"
run = "cat src/login.txt"
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["Location: /home"]
TOML
mkdir -p src && echo "Location: /home" > src/login.txt
git add -A && git commit -qm "login" --no-verify
smoke install --agent claude | grep "Claude Code hooks"
hook=$(python3 -c 'import json; print(json.load(open(".claude/settings.json"))["hooks"]["Stop"][0]["hooks"][0]["command"])')
input='{"session_id":"s1","transcript_path":"/tmp/t.jsonl","cwd":"'"$PWD"'","permission_mode":"default","hook_event_name":"Stop","stop_hook_active":false,"last_assistant_message":"Done."}'
answer() {  # what Claude Code reads: the decision, and whether the reason names the scenario
  python3 -c 'import json,sys; t=sys.stdin.read().strip(); a=json.loads(t) if t else {}; print("decision=" + str(a.get("decision")), "names-scenario=" + str("login_redirect" in a.get("reason", "")))'
}
echo "Location: /nowhere" > src/login.txt
out=$(printf '%s' "$input" | bash -c "$hook")
echo "broken-stop-exit=$?"
printf '%s' "$out" | answer
echo "Location: /home" > src/login.txt
out=$(printf '%s' "$input" | bash -c "$hook" 2>/dev/null)
echo "clean-stop-exit=$?"
printf '%s' "$out" | answer
