# The build step of this project's own smoke (settings.build): a snapshot of
# the work tree's `smoke` package and a `smoke` command that runs it, so every
# scenario tests the code being committed, never an older install on PATH.
set -euo pipefail
mkdir -p "$SMOKE_BUILD_DIR/bin" "$SMOKE_BUILD_DIR/lib"
rm -rf "$SMOKE_BUILD_DIR/lib/smoke"
cp -R smoke "$SMOKE_BUILD_DIR/lib/"
find "$SMOKE_BUILD_DIR/lib" -name __pycache__ -prune -exec rm -rf {} +
# PYTHONPATH is exported so that hooks the scenarios install (which run
# `python -m smoke`) use this build too.
cat > "$SMOKE_BUILD_DIR/bin/smoke" <<SH
#!/bin/sh
PYTHONPATH="$SMOKE_BUILD_DIR/lib\${PYTHONPATH:+:\$PYTHONPATH}" exec python3 -m smoke "\$@"
SH
chmod +x "$SMOKE_BUILD_DIR/bin/smoke"
