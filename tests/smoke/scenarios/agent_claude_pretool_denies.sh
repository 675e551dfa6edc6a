# Claude Code's PreToolUse hook, as `smoke install --agent claude` writes it,
# given the Bash tool's input of code.claude.com/docs/en/hooks: a commit that
# skips the hooks is denied with the reason; one that only mentions the flag
# in its message runs.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "always_fine"
run = "echo fine"
[scenario.expect]
stdout_contains = ["fine"]
TOML
smoke install --agent claude > /dev/null
hook=$(python3 -c 'import json; print(json.load(open(".claude/settings.json"))["hooks"]["PreToolUse"][0]["hooks"][0]["command"])')
ask() {  # the hook's exit code, its decision and the first line of its reason
  python3 -c 'import json,sys; print(json.dumps({"session_id":"s1","cwd":sys.argv[1],"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":sys.argv[2]},"tool_use_id":"toolu_1"}))' "$PWD" "$1" \
    | bash -c "$hook" > "$SMOKE_SCRATCH/answer"
  printf 'hook-exit=%s ' "$?"
  python3 -c 'import json,sys; t=open(sys.argv[1]).read().strip(); o=json.loads(t)["hookSpecificOutput"] if t else {}; print("decision=" + str(o.get("permissionDecision")) + (" | " + o["permissionDecisionReason"].splitlines()[0] if o else ""))' "$SMOKE_SCRATCH/answer"
}
ask "git add -A && git commit --no-verify -m wip"
ask "git commit -m 'docs: why --no-verify is refused'"
ask "bash -c 'SKIP=smoke-gate git commit -m wip'"
