# `smoke run --json` prints exactly one JSON object in the documented shape.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo" > /dev/null
manifest <<'TOML'
[[scenario]]
name = "good"
run = "echo ok"
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "bad"
run = "echo nope"
[scenario.expect]
stdout_contains = ["ok"]
TOML
smoke run --all --json 2> /dev/null
