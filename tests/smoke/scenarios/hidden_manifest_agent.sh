# An agent hides a weakened manifest from git status (skip-worktree): its
# commit is tested against the staged manifest, in a snapshot, and refused;
# its `wg done` compares the manifest with HEAD's bytes and is refused.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "login_works"
run = "grep -q 'accept' src/login.txt && echo login-ok"
owners = ["t1"]
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["login-ok"]
TOML
mkdir -p src && echo "accept" > src/login.txt
git add -A && git commit -qm "login" --no-verify
git update-index --skip-worktree tests/smoke/manifest.toml
sed -i -e 's#"src/\*\*"#"nothing/**"#' -e 's#"t1"#"someone-else"#' tests/smoke/manifest.toml
echo "status-lines=$(git status --porcelain | wc -l)"
echo "reject" > src/login.txt
git add src/login.txt
WG_AGENT_ID=agent-1 smoke gate --stage pre-commit 2>&1
echo "hidden-edit-commit-exit=$?"
WG_AGENT_ID=agent-1 smoke gate --task t1 --stage done 2>&1
echo "hidden-edit-done-exit=$?"
