# A named manifest that does not exist, or one that does not parse, stops the
# gate with exit 2 and one clear line: never "nothing to gate".
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
smoke gate --task t --manifest missing.toml 2>&1
echo "missing-exit=$?"
manifest <<'TOML'
[[scenario]]
name = "typo"
run = "true"
owner = ["t"]
TOML
smoke gate --task t 2>&1
echo "invalid-exit=$?"
