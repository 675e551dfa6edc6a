# Red-team review: what steers the gate is grow-only too. Moving base_ref once
# set, and removing smoke-gate's hooks from an agent harness's configuration,
# are refused at commit, as an agent and as a person without the override.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[settings]
base_ref = "main"

[[scenario]]
name = "parser_ok"
run = "echo parser-ok"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["parser-ok"]
TOML
git add -A && git commit -qm "manifest" --no-verify
smoke install --agent claude > /dev/null
git add -A && git commit -qm "agent hooks" --no-verify
smoke install > /dev/null
sed -i 's/base_ref = "main"/base_ref = "feature"/' tests/smoke/manifest.toml
git add -A
CLAUDECODE=1 git commit -qm "move the base" > "$SMOKE_SCRATCH/base.log" 2>&1
echo "moved-base-commit-exit=$?"
grep -o "key 'settings.base_ref': changed from \"main\" to \"feature\"" "$SMOKE_SCRATCH/base.log"
git checkout -q -- . && git reset -q --hard
echo '{}' > .claude/settings.json
git add -A
git commit -qm "quieter agent" > "$SMOKE_SCRATCH/hooks.log" 2>&1
echo "hooks-removed-commit-exit=$?"
grep -o "smoke-gate's Claude Code hooks were removed" "$SMOKE_SCRATCH/hooks.log"
