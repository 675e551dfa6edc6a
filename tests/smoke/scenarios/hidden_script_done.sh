# An agent guts a kept scenario's script and hides the edit from git
# (skip-worktree): its `wg done` still reads the script's bytes and is refused.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
scripted_login_repo "$SMOKE_SCRATCH/repo"
git update-index --skip-worktree tests/smoke/scenarios/login.sh
printf 'echo login-ok\n' > tests/smoke/scenarios/login.sh
echo "reject" > src/login.txt
echo "status-lines=$(git status --porcelain -- tests/smoke | wc -l)"
WG_AGENT_ID=agent-1 smoke gate --task t1 --stage done 2>&1
echo "agent-done-exit=$?"
