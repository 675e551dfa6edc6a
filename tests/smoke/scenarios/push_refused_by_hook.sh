# A breaking commit made with --no-verify is still refused at `git push` by
# the native pre-push hook, which names the scenario.
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
echo "reject" > src/login.txt
git commit -qam "break login" --no-verify
git push -q origin main 2>&1
echo "breaking-push-exit=$?"
