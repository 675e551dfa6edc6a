# Deleting a scenario, or weakening one, is refused by the grow-only check.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "keeper"
run = "echo kept"
owners = ["t"]
[scenario.expect]
stdout_contains = ["kept"]

[[scenario]]
name = "doomed"
run = "echo doomed"
owners = ["t"]
[scenario.expect]
stdout_contains = ["doomed"]
TOML
git add -A && git commit -qm manifest --no-verify
manifest <<'TOML'
[[scenario]]
name = "keeper"
run = "echo kept"
owners = ["t"]
TOML
smoke check --grow-only --color never
echo "grow-only-exit=$?"
