# exclusive across processes (issue 12 route 14): two smoke runs in one
# repository never run two scenarios sharing an exclusive name at once.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
S="$SMOKE_SCRATCH/shared"; mkdir -p "$S"
manifest <<TOML
[[scenario]]
name = "first"
run = "mkdir $S/port || { echo overlap; exit 1; }; touch $S/first-holds; while [ ! -e $S/release ]; do sleep 0.05; done; rmdir $S/port; echo ok"
exclusive = ["port-8080"]
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "second"
run = "mkdir $S/port || { echo overlap; exit 1; }; rmdir $S/port; echo ok"
exclusive = ["port-8080"]
[scenario.expect]
stdout_contains = ["ok"]
TOML
git add -A && git commit -qm "two exclusive scenarios" --no-verify
smoke run first > "$S/first.out" 2>&1 &
first=$!
until [ -e "$S/first-holds" ]; do sleep 0.05; done
smoke run second > "$S/second.out" 2>&1 &
second=$!
until grep -q "waits for exclusive" "$S/second.out" 2>/dev/null; do
  kill -0 "$second" 2>/dev/null || break
  sleep 0.05
done
touch "$S/release"
wait "$second"; echo "second-exit=$?"
wait "$first"; echo "first-exit=$?"
grep -h "waits for exclusive\|overlap" "$S/second.out"
