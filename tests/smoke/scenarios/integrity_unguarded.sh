# Unguarded changes (issue 12 route 15): a change no scenario guards warns by
# default, is refused with unguarded = "block", runs everything with "all";
# smoke list --unguarded counts the tracked files no scenario guards.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
guard() {
  manifest <<TOML
[settings]
unguarded = "$1"

[[scenario]]
name = "src_ok"
run = "echo ok"
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["ok"]
TOML
}
guard warn
mkdir -p src docs && echo a > src/a.txt && echo d > docs/d.txt
git add -A && git commit -qm "guard src" --no-verify
echo d2 > docs/d.txt
smoke gate 2>&1 | grep -o "WARNING: 1 changed file(s) no scenario guards: docs/d.txt"
echo "warn-exit=${PIPESTATUS[0]}"
guard block
smoke gate 2>&1 | grep -o "1 changed file(s) no scenario guards: docs/d.txt. Add a scenario"
echo "block-exit=${PIPESTATUS[0]}"
guard all
smoke gate 2>&1 | grep -o "so every scenario runs\|src_ok\.*PASS"
echo "all-exit=${PIPESTATUS[0]}"
smoke list --unguarded | tail -1
