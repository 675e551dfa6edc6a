# An agent guts a kept scenario's script and hides the edit from git
# (skip-worktree): its `wg done` still reads the script's bytes and is refused.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["login-ok"]
TOML
mkdir -p tests/smoke/scenarios src
printf 'grep -q accept src/login.txt && echo login-ok\n' > tests/smoke/scenarios/login.sh
echo "accept" > src/login.txt
git add -A && git commit -qm "login" --no-verify
git update-index --skip-worktree tests/smoke/scenarios/login.sh
printf 'echo login-ok\n' > tests/smoke/scenarios/login.sh
echo "reject" > src/login.txt
echo "status-lines=$(git status --porcelain -- tests/smoke | wc -l)"
WG_AGENT_ID=agent-1 smoke gate --task t1 --stage done 2>&1
echo "agent-done-exit=$?"
