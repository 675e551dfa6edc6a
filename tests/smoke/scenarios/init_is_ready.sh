# A freshly initialised repository passes `smoke check --strict` and
# `smoke run --all`, and running `smoke init` again changes nothing.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
smoke init > /dev/null
echo "init-exit=$?"
smoke check --strict --color never
echo "strict-exit=$?"
smoke run --all --color never > /dev/null
echo "run-exit=$?"
git add -A && git commit -qm "smoke init" --no-verify
smoke init > /dev/null
echo "changed-by-second-init=$(git status --porcelain | wc -l)"
grep -c "smoke gate --task" AGENTS.md | sed 's/^/agents-block-mentions-gate=/'
