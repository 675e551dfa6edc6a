# A failure followed by a SKIP on retry still blocks the gate. Regression:
# the retry's SKIP used to replace the failure, and the gate opened.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "fails_then_skips"
run = "if [ -e tried ]; then echo 'endpoint gone' >&2; exit 77; fi; touch tried; exit 1"
owners = ["t"]
retries = 1
TOML
smoke gate --task t --color never
echo "gate-exit=$?"
