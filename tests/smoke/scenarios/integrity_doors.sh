# Gate integrity, the doors and the report (issue 12 routes 4, 7, 8, 11, 12, 18):
# SMOKE_BIN does not choose an agent's gate; a scenario that stashes the work
# is an error saying where it went; control characters are made visible; a
# smoke-gate hook refuses an agent's commit while pre-commit's SKIP names one;
# every offered hook is verbose; an agent's edit to a scenario's script is loud.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["login ok"]
TOML
mkdir -p tests/smoke/scenarios && echo 'echo login broken' > tests/smoke/scenarios/login.sh
git add -A && git commit -qm "a broken scenario" --no-verify

mkdir -p "$SMOKE_SCRATCH/real"
printf '#!/bin/sh\necho "real-wg $*"\n' > "$SMOKE_SCRATCH/real/wg" && chmod +x "$SMOKE_SCRATCH/real/wg"
smoke install --wg-shim "$SMOKE_SCRATCH/shim" > /dev/null
PATH="$SMOKE_SCRATCH/shim:$SMOKE_SCRATCH/real:$PATH" SMOKE_BIN=/bin/true WG_AGENT_ID=a1 wg done t1 2>&1 | grep -E "SMOKE_BIN|real-wg"
echo "smoke-bin-agent-exit=${PIPESTATUS[0]}"

echo 'printf "oops\n\033[2K\rlogin_works.... PASS (all good)\n"; exit 1' > tests/smoke/scenarios/login.sh
smoke run login_works --color never | grep -F '| \e[2K'
echo 'echo changed >> README; git stash -q; echo login ok' > tests/smoke/scenarios/login.sh
smoke run login_works 2>&1 | grep -o "scenario 'login_works' changed the repository: tracked files in the work tree changed\|the work went to the stash"
echo "stash-run-exit=${PIPESTATUS[0]}"
git stash pop -q
git checkout -q -- .

smoke install > /dev/null
echo 'echo login ok' > tests/smoke/scenarios/login.sh
git add -A
WG_AGENT_ID=a1 git commit -qm "make it pass" 2>&1 | grep -F "scenario 'login_works': the content of scenarios/login.sh changed"
echo "agent-edit-commit-exit=${PIPESTATUS[0]}"
grep -c '"action": "scenario-edited"' .git/smoke/audit.log

echo "more" >> README && git add README
PRE_COMMIT=1 SKIP=smoke-gate CLAUDECODE=1 smoke check --grow-only --staged 2>&1 | grep -o "refused: the pre-commit framework was told to skip smoke-gate"
echo "skip-agent-exit=${PIPESTATUS[0]}"
python3 - "$SMOKE_REPO_ROOT/.pre-commit-hooks.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for block in text.split("- id: ")[1:]:
    name = block.split()[0]
    print(name, "verbose" if re.search(r"^\s*verbose: true", block, re.M) else "quiet")
PY
