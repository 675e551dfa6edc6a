#!/usr/bin/env bash
# Example scenario (see tests/smoke/manifest.toml): replace it with a real
# repro. The shape every scenario has: check preconditions (a missing one is a
# loud SKIP), do the real thing, print what the manifest asserts.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=helpers.sh
source "${SMOKE_MANIFEST_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/scenarios/helpers.sh"

require_cmd cksum

dir="$(make_scratch example)"
echo "example: start"
printf 'one\ntwo\nthree\n' >"$dir/out.txt"
echo "example: wrote $(wc -l <"$dir/out.txt" | tr -d ' ') lines"
printf 'example: checksum %08x\n' "$(cksum <"$dir/out.txt" | cut -d' ' -f1)"
echo "example: done"
