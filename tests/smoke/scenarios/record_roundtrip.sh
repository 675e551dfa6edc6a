# `smoke add --record` writes what a command printed, volatile values as [..]:
# the scenario passes on the next run and fails when the stable part changes.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest < /dev/null
echo "role=coordinator" > state.txt
smoke add status --owner t1 --run 'echo "at $(date) pid $$ in $PWD"; cat state.txt' --record --color never > /dev/null
echo "add-exit=$?"
smoke run status --color never > /dev/null
echo "same-exit=$?"
echo "role=worker" > state.txt
smoke run status --color never > /dev/null
echo "changed-exit=$?"
