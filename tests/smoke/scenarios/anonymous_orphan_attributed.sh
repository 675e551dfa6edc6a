# Issue 12, route 16: an orphan that left its session and cleared its
# environment is reported by the scenario that left it, not by whichever
# scenario happened to end first.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "leaker"
run = '''sleep 1; ( setsid env -i sleep 300 & ); sleep 3; echo ok'''
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "bystander"
run = "sleep 2; echo ok"
[scenario.expect]
stdout_contains = ["ok"]
TOML
smoke run --all --json -j 2 > "$SMOKE_SCRATCH/run.json"
echo "run-exit=$?"
python3 - "$SMOKE_SCRATCH/run.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['name']}: {len(r['leftovers'])} leftover(s)")
PY
