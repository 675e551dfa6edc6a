# `smoke prove` passes a scenario that fails on the breaking commit and passes
# on the fix, and refuses one that passes on both (no teeth).
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
printf '#!/bin/sh\necho "sum=$(($1 + $2))"\n' > calc.sh
git add calc.sh && git commit -qm "calc adds" --no-verify
printf '#!/bin/sh\necho "sum=$(($1 - $2))"\n' > calc.sh
git commit -qam "calc: refactor (breaks it)" --no-verify
bad=$(git rev-parse HEAD)
printf '#!/bin/sh\necho "sum=$(($1 + $2))"\n' > calc.sh
git commit -qam "calc: fix" --no-verify
manifest <<'TOML'
[[scenario]]
name = "calc_adds"
run = "sh calc.sh 2 3"
[scenario.expect]
stdout_contains = ["sum=5"]

[[scenario]]
name = "calc_prints_something"
run = "sh calc.sh 2 3"
[scenario.expect]
stdout_contains = ["sum="]
TOML
smoke prove calc_adds --bad "$bad" --color never > /dev/null
echo "catching-exit=$?"
smoke prove calc_prints_something --bad "$bad" --color never 2>&1 | tail -1
echo "vacuous-exit=${PIPESTATUS[0]}"
