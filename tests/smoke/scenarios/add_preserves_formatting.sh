# `smoke add` appends a scenario without touching a byte of what was there.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
# Hand-kept manifest: comments, alignment and odd spacing must survive.
[settings]
jobs    = 4          # aligned on purpose

[[scenario]]
name    = "first"    # the oldest
run     = "echo one"
owners  = [ "t1" ,"t2" ]
[scenario.expect]
stdout_contains = [
  "one",   # trailing comment in an array
]
TOML
git add -A && git commit -qm manifest --no-verify
smoke add second --owner t3 --run "echo two" --contains two --description "added by smoke add"
echo "add-exit=$?"
echo "deleted-lines=$(git diff --numstat -- tests/smoke/manifest.toml | cut -f2)"
smoke run second --color never > /dev/null
echo "run-exit=$?"
