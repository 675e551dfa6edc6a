# Gate integrity, what is compared (issue 12 routes 1, 2, 5, 6): a symlinked
# manifest is compared by its content; caller-set PRE_COMMIT_FROM_REF/TO_REF do
# not empty a push; a base_ref that names no commit is exit 2; wg done compares
# with the fork from base_ref, so a removal committed with --no-verify is seen.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
two() {
  cat <<'TOML'
[[scenario]]
name = "login_works"
run = "cat src/app.txt"
owners = ["t1"]
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["login ok"]
TOML
  [ "${1:-}" = one ] && return
  cat <<'TOML'

[[scenario]]
name = "logout_works"
run = "echo logout ok"
owners = ["t2"]
[scenario.expect]
stdout_contains = ["logout ok"]
TOML
}
new_repo "$SMOKE_SCRATCH/repo"
two | manifest
mkdir -p src && echo "login ok" > src/app.txt
git add -A && git commit -qm "two scenarios" --no-verify
git init -q --bare "$SMOKE_SCRATCH/remote.git" && git remote add origin "$SMOKE_SCRATCH/remote.git"
git push -q origin main
smoke install > /dev/null

two one > tests/smoke/shrunk.toml
rm tests/smoke/manifest.toml && ln -s shrunk.toml tests/smoke/manifest.toml
git add -A
git commit -qm "shrink through a link" 2>&1 | grep -o "scenario 'logout_works' (line [0-9]*"
echo "symlink-commit-exit=${PIPESTATUS[0]}"
git commit -qm "shrink through a link" --no-verify
PRE_COMMIT_FROM_REF=HEAD PRE_COMMIT_TO_REF=HEAD git push -q origin main 2>&1 | grep -o "scenario 'logout_works' (line [0-9]*" | head -1
echo "spoofed-push-exit=${PIPESTATUS[0]}"
git reset -q --hard origin/main

git checkout -q -b wg/t1
two | sed 's/owners = \["t1"\]/owners = []/' | manifest
git commit -qam "drop my task" --no-verify
smoke gate --task t1 --stage done 2>&1 | grep -o "owner 't1' was removed"
echo "done-after-no-verify-exit=${PIPESTATUS[0]}"

{ printf '[settings]\nbase_ref = "develpo"\n'; two; } | manifest
git commit -qam "a typo in base_ref" --no-verify
smoke list --task t9 2>&1
echo "typo-base-ref-exit=$?"
