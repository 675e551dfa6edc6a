# Under GitHub Actions a broken scenario is an error annotation at the line of
# its broken assertion, and the run is a table in the step summary.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "billing_totals"
run = "echo total=2"
description = "totals add up"
[scenario.expect]
exit_code = 0
stdout_contains = ["total=3"]
TOML
GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$SMOKE_SCRATCH/summary.md" smoke run --all --color never
echo "run-exit=$?"
grep '^| billing' "$SMOKE_SCRATCH/summary.md"
