# An agent guts a kept scenario's script (the check is gone, the echo stays)
# and breaks the code: its `wg done` is refused by grow-only, naming the
# script; a person's same edit is theirs to make and passes.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
scripted_login_repo "$SMOKE_SCRATCH/repo"
printf 'echo login-ok\n' > tests/smoke/scenarios/login.sh
echo "reject" > src/login.txt
WG_AGENT_ID=agent-1 smoke gate --task t1 --stage done 2>&1
echo "agent-done-exit=$?"
smoke gate --task t1 --stage done > /dev/null 2>&1
echo "person-done-exit=$?"
