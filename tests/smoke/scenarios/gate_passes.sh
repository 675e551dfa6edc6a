# The gate lets a task through when every scenario it owns passes.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "priority_int_and_string"
run = "printf '{\"priority\": 10}\n{\"priority\": \"high\"}\n'"
owners = ["wire-priority-field"]
[scenario.expect]
lines_in_order = ['"priority": 10', '"priority": "high"']

[[scenario]]
name = "coordinator_role"
run = "echo role=coordinator"
owners = ["wire-priority-field"]
[scenario.expect]
stdout_contains = ["role=coordinator"]
TOML
smoke gate --task wire-priority-field --stage done --color never
echo "gate-exit=$?"
