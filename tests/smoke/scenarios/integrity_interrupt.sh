# Gate integrity: Ctrl-C whose report meets a terminal that is gone (as under
# pre-commit) exits 130 and writes no crash file (issue 12 route 17).
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "slow"
run = "touch started; sleep 30; echo done"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["done"]
TOML
git add -A && git commit -qm "a slow scenario" --no-verify
mkdir -p "$SMOKE_SCRATCH/tmp"
TMPDIR="$SMOKE_SCRATCH/tmp" python3 - <<'PY'
import os, select, signal, subprocess, time
master, slave = os.openpty()
proc = subprocess.Popen(["smoke", "run", "slow"], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                        start_new_session=True)
os.close(slave)
deadline = time.monotonic() + 60
while not os.path.exists("started") and time.monotonic() < deadline:
    if select.select([master], [], [], 0.1)[0]:
        os.read(master, 65536)
os.close(master)
proc.send_signal(signal.SIGINT)
print("interrupted-exit=%d" % proc.wait(timeout=60))
PY
echo "crash-files=$(find "$SMOKE_SCRATCH/tmp" -name 'smoke-crash-*' | wc -l)"
