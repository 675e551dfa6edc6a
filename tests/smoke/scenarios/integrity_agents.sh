# Gate integrity, who is an agent and what lets one through (issue 12 routes 3, 9, 10, 13):
# CLAUDECODE marks an agent and an empty variable does not; override variables
# are named and ignored; a manifest named by the environment is refused for an
# agent; a poisoned manifest cache does not pass an agent's gate; only a
# person's grant, typed at a terminal, lets the next agent gate through once.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "login_works"
run = "echo login broken"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["login ok"]
TOML
git add -A && git commit -qm "a broken scenario" --no-verify

CLAUDECODE=1 SMOKE_AGENT_OVERRIDE=1 smoke gate --task t1 --skip-smoke 2>&1 | grep -E "IGNORED|refused"
echo "agent-skip-exit=${PIPESTATUS[0]}"
WG_AGENT_ID= CLAUDECODE= smoke gate --task t1 --skip-smoke --reason demo > /dev/null 2>&1
echo "empty-variable-skip-exit=$?"

: > empty.toml
CLAUDECODE=1 SMOKE_MANIFEST=empty.toml smoke gate --task t1 --stage done 2>&1 | grep -o "refused, because the caller is an agent"
echo "agent-env-manifest-exit=${PIPESTATUS[0]}"
rm empty.toml

smoke gate --task t1 --stage done > /dev/null 2>&1   # a person's gate writes the cache
python3 - <<'PY'
import glob, marshal
(path,) = glob.glob(".git/smoke/manifest-cache.*.marshal")
doc = marshal.loads(open(path, "rb").read())
doc["scenarios"] = []
open(path, "wb").write(marshal.dumps(doc))
PY
WG_AGENT_ID=a1 smoke gate --task t1 --stage done > /dev/null 2>&1
echo "poisoned-cache-agent-exit=$?"

smoke allow --task t1 --reason demo < /dev/null 2>&1
echo "allow-without-terminal-exit=$?"
python3 - <<'PY'
import os, pty
pid, fd = pty.fork()
if pid == 0:
    os.execvp("smoke", ["smoke", "allow", "--task", "t1", "--reason", "endpoint down"])
seen = b""
while b"Type the task id" not in seen:
    seen += os.read(fd, 1024)
os.write(fd, b"t1\n")
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        seen += chunk
except OSError:
    pass
_, status = os.waitpid(pid, 0)
print("allow-at-terminal-exit=%d" % os.waitstatus_to_exitcode(status))
PY
WG_AGENT_ID=a1 smoke gate --task t1 --stage done 2>&1 | grep -o "SMOKE GATE PASSED BY A GRANT for task 't1'"
echo "granted-exit=${PIPESTATUS[0]}"
WG_AGENT_ID=a1 smoke gate --task t1 --stage done > /dev/null 2>&1
echo "grant-spent-exit=$?"
