# With the native hooks installed, a commit touching a guarded path while its
# scenario fails is refused, naming the scenario; the fixed commit goes in.
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
echo "accept priority" > src.tmp && mkdir -p src && mv src.tmp src/parser.txt
git add -A && git commit -qm "manifest and parser" --no-verify
smoke install > /dev/null
echo "install-exit=$?"
echo "reject priority" > src/parser.txt
git add -A
git commit -qm "break the parser" 2>&1
echo "broken-commit-exit=$?"
echo "docs" > NOTES && git add NOTES
git reset -q src/parser.txt
git commit -qm "unrelated" > /dev/null 2>&1
echo "unrelated-commit-exit=$?"
echo "accept priority, fixed" > src/parser.txt && git add -A
git commit -qm "fix the parser" > /dev/null 2>&1
echo "fixed-commit-exit=$?"
