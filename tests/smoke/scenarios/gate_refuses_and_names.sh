# The gate refuses a task whose scenarios fail and names each one and why.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "noisy_fail"
run = "echo 'priority parse error' >&2; exit 3"
owners = ["wire-priority-field"]

[[scenario]]
name = "silent_wrong"
run = "echo role=worker"
owners = ["wire-priority-field"]
[scenario.expect]
stdout_contains = ["role=coordinator"]

[[scenario]]
name = "someone_elses"
run = "exit 1"
owners = ["other-task"]
TOML
smoke gate --task wire-priority-field --stage done --color never
echo "gate-exit=$?"
