# The build step of this project's own smoke (settings.build): a snapshot of
# the work tree's `smoke` package in a virtualenv of its own, and a `smoke`
# command that runs it, so every scenario tests the code being committed,
# never an older install on PATH.
#
# A virtualenv, not PYTHONPATH: the hooks a scenario installs run
# `<that Python> -E -P -m smoke`, which ignores PYTHONPATH. The snapshot sits
# in the virtualenv's own site-packages; a .pth line adds the caller's
# site-packages after it, for the dependencies (tomlkit, GitPython, ...). A
# line of a .pth is only a path: an editable install's finder there is not run.
set -euo pipefail
rm -rf "$SMOKE_BUILD_DIR/venv" "$SMOKE_BUILD_DIR/bin" "$SMOKE_BUILD_DIR/lib"
python3 -m venv --without-pip "$SMOKE_BUILD_DIR/venv"
py="$SMOKE_BUILD_DIR/venv/bin/python"
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp -R smoke "$site/"
find "$site/smoke" -name __pycache__ -prune -exec rm -rf {} +
python3 -c 'import site, sys; print("\n".join(p for p in sys.path if p.endswith("-packages")))' > "$site/_smoke_build_deps.pth"
mkdir -p "$SMOKE_BUILD_DIR/bin"
cat > "$SMOKE_BUILD_DIR/bin/smoke" <<SH
#!/bin/sh
exec "$py" -P -m smoke "\$@"
SH
chmod +x "$SMOKE_BUILD_DIR/bin/smoke"
