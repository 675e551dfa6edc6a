# A missing endpoint is a loud SKIP that is never a pass, and blocks on request.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[[scenario]]
name = "nex_two_message"
run = "echo 'lambda01 unreachable' >&2; exit 77"
owners = ["wg-nex-native"]

[[scenario]]
name = "needs_wg"
run = "wg --version"
requires = ["cmd:wg-binary-that-is-not-here"]
owners = ["wg-nex-native"]
TOML
smoke gate --task wg-nex-native --color never
echo "gate-exit=$?"
smoke gate --task wg-nex-native --fail-on-skip --color never > /dev/null
echo "fail-on-skip-exit=$?"
