# On an ASCII-only locale, a scenario printing UTF-8 is escaped in the report
# and every selected scenario still runs. Regression: the report raised in a
# worker thread and the scenarios after it silently never ran (the gate passed).
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "a_unicode"
run = "echo 'gr\u00fc\u00dfe'; exit 1"
owners = ["t"]

[[scenario]]
name = "b_broken"
run = "exit 1"
owners = ["t"]
TOML
PYTHONIOENCODING=ascii smoke gate --task t -j 1 --color never
echo "gate-exit=$?"
