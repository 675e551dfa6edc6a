#!/usr/bin/env bash
# shellcheck disable=SC2119  # wg_project without arguments: a plain `wg init`
# Scenario priority_int_and_string_deserialize (owner: wire-priority-field).
# The priority field is mid-migration: graph.jsonl may hold "priority": 10
# or "priority": "high". Readers must accept both; an integer used to break
# every command that loads the graph.
#
# Relies on: wg init, wg add --id, wg show --json (with "priority"),
# wg list --json, and the graph at .workgraph/graph.jsonl (one JSON object
# per line, tasks carrying "id").
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=helpers.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/helpers.sh"
# shellcheck source-path=SCRIPTDIR source=lib/wg.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/lib/wg.sh"

wg_project
wg add "int priority" --id prio-int >&2
wg add "string priority" --id prio-str >&2

# Write both shapes as an older or newer wg would have: the reader is under test.
python3 - .workgraph/graph.jsonl <<'PY'
import json, sys
path = sys.argv[1]
wanted = {"prio-int": 10, "prio-str": "high"}
out = []
for line in open(path, encoding="utf-8"):
    if line.strip():
        node = json.loads(line)
        if node.get("id") in wanted:
            node["priority"] = wanted[node["id"]]
        line = json.dumps(node) + "\n"
    out.append(line)
open(path, "w", encoding="utf-8").writelines(out)
PY
grep -q '"priority": 10' .workgraph/graph.jsonl || loud_fail "could not write an integer priority into graph.jsonl"
grep -q '"priority": "high"' .workgraph/graph.jsonl || loud_fail "could not write a string priority into graph.jsonl"

for id in prio-int prio-str; do
    echo "$id loaded priority=$(wg show "$id" --json | json_get priority)"
done
count="$(wg list --json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
tasks = doc if isinstance(doc, list) else doc.get("tasks", [])
print(sum(1 for t in tasks if t.get("id") in ("prio-int", "prio-str")))
')"
echo "list: $count tasks"
