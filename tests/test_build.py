"""The build step (`settings.build`): scenarios run what the work tree builds,
an unchanged tree is not rebuilt, and a failing build blocks everything."""
from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from helpers import SMOKE
from helpers import Repo

# The build installs tool.sh as `tool` and counts its runs in a file outside
# the repository (a file inside it would be part of the content it is keyed by).
BUILD = (
    'mkdir -p "$SMOKE_BUILD_DIR/bin" && cp tool.sh "$SMOKE_BUILD_DIR/bin/tool" '
    '&& chmod +x "$SMOKE_BUILD_DIR/bin/tool" && echo built >> "$HOME/builds"'
)

MANIFEST = f"""
[settings]
build = '{BUILD}'

[[scenario]]
name = "tool_says_v1"
run = "tool"
[scenario.expect]
stdout_contains = ["version=1"]
"""


def _setup(repo: Repo, manifest: str = MANIFEST) -> None:
    repo.manifest(manifest)
    repo.write("tool.sh", "#!/bin/sh\necho version=1\n")
    repo.commit("a tool and its scenario")


def _builds(repo: Repo) -> int:
    counter = Path(repo.env["HOME"]) / "builds"
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def _cache(repo: Repo) -> Path:
    return repo.path / ".git" / "smoke" / "build"


def test_scenarios_run_what_the_work_tree_builds(repo: Repo) -> None:
    _setup(repo)
    res = repo.smoke("run", "--all")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke: building" in res.stdout
    assert "smoke: 1 passed, 0 failed" in res.stdout

    # An uncommitted change to the source is what the next run sees; nothing is installed by hand.
    repo.write("tool.sh", "#!/bin/sh\necho version=2\n")
    res = repo.smoke("run", "--all")
    assert res.returncode == 1
    assert "tool_says_v1" in res.stdout and "FAIL" in res.stdout
    assert "| version=2" in res.stdout


def test_unchanged_tree_is_not_rebuilt(repo: Repo) -> None:
    _setup(repo)
    assert repo.smoke("run", "--all").returncode == 0
    assert _builds(repo) == 1
    res = repo.smoke("run", "--all")
    assert res.returncode == 0
    assert "smoke: build up to date" in res.stdout
    assert _builds(repo) == 1

    # An untracked file is part of the content too; removing it brings back the cached build.
    repo.write("notes.txt", "scratch\n")
    assert repo.smoke("run", "--all").returncode == 0
    assert _builds(repo) == 2
    (repo.path / "notes.txt").unlink()
    assert repo.smoke("run", "--all").returncode == 0
    assert _builds(repo) == 2


def test_ignored_files_do_not_trigger_a_rebuild(repo: Repo) -> None:
    repo.write(".gitignore", "target/\n")
    _setup(repo)
    assert repo.smoke("run", "--all").returncode == 0
    repo.write("target/artifact.o", "object code\n")
    assert repo.smoke("run", "--all").returncode == 0
    assert _builds(repo) == 1


def test_failing_build_blocks_with_its_tail(repo: Repo) -> None:
    manifest = MANIFEST.replace(
        f"build = '{BUILD}'",
        "build = 'echo compiling; echo \"error[E0308]: mismatched types\" >&2; exit 3'",
    ) + """
[[scenario]]
name = "would_pass"
run = "touch \\"$HOME/scenario-ran\\"; echo ok"
[scenario.expect]
stdout_contains = ["ok"]
"""
    _setup(repo, manifest)
    res = repo.smoke("run", "--all")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "smoke: the build failed: the build command exited 3" in res.stdout
    assert "  | compiling" in res.stdout
    assert "  | error[E0308]: mismatched types" in res.stdout
    assert "smoke gate refused the run: the build failed, so no scenario can be trusted" in res.stdout
    assert not (Path(repo.env["HOME"]) / "scenario-ran").exists()
    # No broken build is left in the cache to be mistaken for a good one.
    assert not list(_cache(repo).glob("*.ok"))

    res = repo.smoke("gate", "--all", "--json")
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert {r["name"]: r["status"] for r in doc["results"]} == {"tool_says_v1": "error", "would_pass": "error"}


def test_build_timeout_blocks_and_ends_the_build(repo: Repo) -> None:
    # The build leaves a detached sleeper behind; the no-leftover check of the fixture catches any survivor.
    manifest = MANIFEST.replace(
        f"build = '{BUILD}'",
        "build = '(setsid sleep 300 &) ; sleep 300'\nbuild_timeout_seconds = 0.5\nkill_grace_seconds = 0.2",
    )
    _setup(repo, manifest)
    res = repo.smoke("run", "--all")
    assert res.returncode == 1
    assert "smoke: the build failed: timed out after 0.5s (build_timeout_seconds)" in res.stdout


def test_build_tree_is_ended_after_a_successful_build(repo: Repo) -> None:
    manifest = MANIFEST.replace(f"build = '{BUILD}'", f"build = '(setsid sleep 300 &) ; {BUILD}'")
    _setup(repo, manifest)
    res = repo.smoke("run", "--all")
    assert res.returncode == 0, res.stdout + res.stderr


def test_concurrent_runs_build_once(repo: Repo) -> None:
    home = Path(repo.env["HOME"])
    # The build waits for `go`, so the second run starts while the first is building.
    slow = f'touch "$HOME/started"; while [ ! -e "$HOME/go" ]; do sleep 0.01; done; {BUILD}'
    _setup(repo, MANIFEST.replace(f"build = '{BUILD}'", f"build = '{slow}'"))
    first = subprocess.Popen([SMOKE, "run", "--all"], cwd=repo.path, env=repo.env, stdout=subprocess.PIPE, text=True)
    second = None
    try:
        while not (home / "started").exists() and first.poll() is None:
            time.sleep(0.01)
        second = subprocess.Popen([SMOKE, "run", "--all"], cwd=repo.path, env=repo.env, stdout=subprocess.PIPE, text=True)
        (home / "go").touch()
        out1, _ = first.communicate(timeout=120)
        out2, _ = second.communicate(timeout=120)
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    assert first.returncode == 0, out1
    assert second.returncode == 0, out2
    assert _builds(repo) == 1
    assert "smoke: build up to date" in out2


def test_cache_keeps_a_few_recent_builds(repo: Repo) -> None:
    _setup(repo)
    for n in range(6):
        repo.write("notes.txt", f"revision {n}\n")
        assert repo.smoke("run", "--all").returncode == 0
    assert _builds(repo) == 6
    assert len(list(_cache(repo).glob("*.ok"))) == 3
    assert len([p for p in _cache(repo).iterdir() if p.is_dir() and p.name != "logs"]) == 3


def test_build_runs_in_the_repo_root_with_its_folder(repo: Repo) -> None:
    record = 'pwd > "$HOME/where"; echo "$SMOKE_BUILD_DIR" > "$HOME/dir"; ' + BUILD
    _setup(repo, MANIFEST.replace(f"build = '{BUILD}'", f"build = '{record}'"))
    sub = repo.path / "sub"
    sub.mkdir()
    assert repo.smoke("run", "--all", cwd=sub).returncode == 0
    home = Path(repo.env["HOME"])
    assert Path((home / "where").read_text().strip()).resolve() == repo.path.resolve()
    build_dir = Path((home / "dir").read_text().strip())
    assert build_dir.parent.resolve() == _cache(repo).resolve()
    assert (build_dir / "bin" / "tool").exists()


def test_bad_build_setting_is_a_config_error(repo: Repo) -> None:
    _setup(repo, MANIFEST.replace("[settings]", "[settings]\nbuild_timeout_seconds = 0"))
    res = repo.smoke("run", "--all")
    assert res.returncode == 2
    assert "settings key 'build_timeout_seconds': must be a number of seconds greater than 0" in res.stderr
    assert "Traceback" not in res.stderr


def test_interrupted_build_leaves_nothing_that_looks_built(repo: Repo) -> None:
    home = Path(repo.env["HOME"])
    _setup(repo, MANIFEST.replace(f"build = '{BUILD}'", f"build = '{BUILD}; touch \"$HOME/building\"; sleep 300'"))
    proc = subprocess.Popen([SMOKE, "run", "--all"], cwd=repo.path, env=repo.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        while not (home / "building").exists() and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert not list(_cache(repo).glob("*.ok"))
    assert [p.name for p in _cache(repo).iterdir() if p.is_dir()] == ["logs"]
