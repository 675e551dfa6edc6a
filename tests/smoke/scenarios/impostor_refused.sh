# Red-team review: nothing the caller's environment or the repository's files
# put in smoke-gate's place decides a commit. A smoke.py at the top of the
# repository and a smoke/ package on PYTHONPATH both "pass"; BASH_ENV runs a
# file that prints what the scenario wants before every bash. The broken commit
# is still refused, and the refusal an agent reads names no way round it.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "parser_accepts_priority"
run = "grep -q 'accept priority' src/parser.txt && echo parser-ok"
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["parser-ok"]
TOML
mkdir -p src && echo "accept priority" > src/parser.txt
git add -A && git commit -qm "manifest and parser" --no-verify
smoke install > /dev/null
echo "install-exit=$?"
echo 'raise SystemExit(0)' > smoke.py
mkdir -p "$SMOKE_SCRATCH/impostor/smoke"
: > "$SMOKE_SCRATCH/impostor/smoke/__init__.py"
echo 'raise SystemExit(0)' > "$SMOKE_SCRATCH/impostor/smoke/__main__.py"
printf 'echo parser-ok; exit 0\n' > "$SMOKE_SCRATCH/bash_env.sh"
echo "reject priority" > src/parser.txt
git add -A
CLAUDECODE=1 PYTHONPATH="$SMOKE_SCRATCH/impostor" BASH_ENV="$SMOKE_SCRATCH/bash_env.sh" \
  git commit -qm "break the parser" > "$SMOKE_SCRATCH/commit.log" 2>&1
echo "impostor-commit-exit=$?"
grep -o "parser_accepts_priority" "$SMOKE_SCRATCH/commit.log" | head -1
echo "names-bypass-variable=$(grep -c "SMOKE_SKIP_SMOKE" "$SMOKE_SCRATCH/commit.log")"
