# A timed-out scenario is a TIMEOUT, and every process it started is ended,
# including one that left the process group with setsid.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[settings]
kill_grace_seconds = 1

[[scenario]]
name = "hangs"
run = "sleep 300 & echo $! > bg.pid; setsid sleep 300 & echo $! > setsid.pid; trap 'exit 0' TERM; sleep 300"
timeout_seconds = 1
TOML
smoke run hangs --color never
echo "run-exit=$?"
for f in bg setsid; do
  if kill -0 "$(cat "$f.pid")" 2>/dev/null; then echo "$f-still-running"; else echo "$f-gone"; fi
done
