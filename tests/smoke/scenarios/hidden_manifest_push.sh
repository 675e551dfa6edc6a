# An agent hides its manifest edit from git status (skip-worktree), weakens the
# scenario, commits a break and pushes HEAD: the push is still tested against
# HEAD's own manifest, in a temporary checkout, and refused.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
git init -q --bare "$SMOKE_SCRATCH/remote.git"
new_repo "$SMOKE_SCRATCH/repo"
git remote add origin "$SMOKE_SCRATCH/remote.git"
manifest <<'TOML'
[[scenario]]
name = "login_works"
run = "grep -q 'accept' src/login.txt && echo login-ok"
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["login-ok"]
TOML
mkdir -p src && echo "accept" > src/login.txt
git add -A && git commit -qm "login" --no-verify
git push -q origin main 2>&1
echo "first-push-exit=$?"
smoke install > /dev/null
git update-index --skip-worktree tests/smoke/manifest.toml
sed -i 's#"src/\*\*"#"nothing/**"#' tests/smoke/manifest.toml
echo "reject" > src/login.txt
git commit -qam "break login" --no-verify
echo "status-lines=$(git status --porcelain | wc -l)"
WG_AGENT_ID=agent-1 git push -q origin main 2>&1
echo "hidden-edit-push-exit=$?"
