"""A gate with nothing at stake stays cheap at every door: what it must not
import (the budget itself is measured by tests/bench/run.py, not here), and
that git still answers through the light spawn, errors included."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers import Repo

MANIFEST = """
[[scenario]]
name = "guarded"
script = "scenarios/guarded.sh"
owners = ["other-task"]
description = "a workgraph-style scenario"
timeout_seconds = 30
"""


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


# Started with -S: an editable install's finder (its .pth file) imports pathlib, re and enum
# at every start, which would hide the gate's own imports of them; the package and what
# it needs from site-packages (tomli) are found through PYTHONPATH instead.
_PACKAGES = os.pathsep.join(dict.fromkeys([
    str(Path(__file__).resolve().parent.parent), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
]))

# What a gate with nothing at stake must not import at any door: pathlib (with fnmatch, urllib.parse and
# ipaddress), re and enum are most of what it used to cost; an agent's gate parses the manifest with tomli,
# which needs re (and so enum), and still does without pathlib.
HEAVY = {"pathlib", "re", "enum", "fnmatch", "urllib.parse", "ipaddress"}
AGENT_HEAVY = HEAVY - {"re", "enum"}


def _imports(repo: Repo, args: list[str], stdin: str = "", env: dict[str, str] | None = None) -> set[str]:
    """What the gate imports beyond what the interpreter's own start imports (under
    coverage in CI that start reads its configuration with tomllib and imports subprocess)."""
    bare = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"], cwd=repo.path, env=repo.env, capture_output=True, text=True,
    )
    if {"subprocess", "tomllib"} & _imported(bare.stderr):
        # Nothing left to assert: .ci/run runs this file again without coverage.
        pytest.skip("the interpreter's start already imports subprocess or tomllib (coverage); run without coverage")
    full_env = {**repo.env, **(env or {}), "PYTHONPATH": _PACKAGES}
    res = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-m", "smoke", *args],
        cwd=repo.path, env=full_env, capture_output=True, text=True, input=stdin,
    )
    said = res.stdout + "".join(line for line in res.stderr.splitlines(True) if not line.startswith("import time:"))
    assert res.returncode == 0 and "nothing to run" in said and "block" not in res.stdout, res.stdout + res.stderr
    bare = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", "pass"], cwd=repo.path, env=full_env, capture_output=True,
        text=True,
    )
    return _imported(res.stderr) - _imported(bare.stderr)


@pytest.mark.parametrize("door", ["pre-commit", "pre-push", "done"])
def test_a_no_op_gate_imports_no_subprocess_module(repo: Repo, door: str) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/guarded.sh", "echo ok\n")
    assert repo.commit("manifest").returncode == 0
    base = repo.head()
    repo.write("docs/notes.md", "notes\n")
    assert repo.commit("docs").returncode == 0
    args = ["gate", "--stage", door] + (["--task", "my-task"] if door == "done" else [])
    stdin = f"refs/heads/main {repo.head()} refs/heads/main {base}\n" if door == "pre-push" else ""
    if door == "pre-push":
        repo.write("scratch.txt", "untracked\n")  # HEAD is not the work tree: what it selects is decided all the same
    _imports(repo, args, stdin)  # the first gate writes the manifest cache
    modules = _imports(repo, args, stdin)
    assert "subprocess" not in modules
    # Read from the cache of the validated manifest: no TOML parser.
    assert not {"smoke.tomlread", "tomli", "tomllib"} & modules
    if door != "done":
        # No thread, and nothing a temporary checkout needs (smoke.worktree) until one is.
        assert not {"threading", "tempfile", "shutil", "smoke.worktree"} & modules
    assert not HEAVY & modules


def test_an_agents_no_op_gate_imports_no_pathlib(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/guarded.sh", "echo ok\n")
    assert repo.commit("manifest").returncode == 0
    repo.write("docs/notes.md", "notes\n")
    assert repo.commit("docs").returncode == 0
    modules = _imports(repo, ["gate", "--stage", "done", "--task", "my-task"], env={"WG_AGENT_ID": "agent-1"})
    assert "smoke.tomlread" in modules  # an agent's gate never reads the cache
    assert not AGENT_HEAVY & modules


def test_a_no_op_stop_imports_no_subprocess_hashlib_or_threading_module(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/guarded.sh", "echo ok\n")
    assert repo.commit("manifest").returncode == 0
    repo.git("checkout", "-q", "-b", "wg/my-task")
    repo.write("docs/notes.md", "notes\n")
    assert repo.commit("docs").returncode == 0
    repo.write("docs/notes.md", "more notes, uncommitted\n")
    payload = json.dumps({
        "session_id": "s", "transcript_path": "/tmp/t.jsonl", "cwd": str(repo.path), "permission_mode": "default",
        "hook_event_name": "Stop", "stop_hook_active": False,
    })
    env = {"CLAUDECODE": "1", "SMOKE_TASK": "my-task"}
    modules = _imports(repo, ["agent-hook", "claude", "Stop"], payload, env)
    # git through posix_spawn, its questions at once through one poll loop; hashing only for a refusal.
    assert not {"subprocess", "hashlib", "threading"} & modules
    # The harness's JSON is read with json, which needs re: pathlib still stays out.
    assert not AGENT_HEAVY & modules


def test_git_errors_still_read_as_one_line(repo: Repo) -> None:
    repo.manifest(MANIFEST.replace('script = "scenarios/guarded.sh"', 'run = "echo ok"'))
    assert repo.commit("manifest").returncode == 0
    res = repo.smoke("run", "--from-ref", "no-such-ref", "--to-ref", "HEAD")
    assert res.returncode == 2 and "unknown git ref 'no-such-ref'" in res.stderr
    res = repo.smoke("gate", "--task", "t", env={"PATH": "/nonexistent"})
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1] == "smoke gate: error: git is not installed or not on PATH"


def _stop(repo: Repo) -> subprocess.CompletedProcess[str]:
    payload = json.dumps({
        "session_id": "s", "transcript_path": "/tmp/t.jsonl", "cwd": str(repo.path), "permission_mode": "default",
        "hook_event_name": "Stop", "stop_hook_active": False,
    })
    return repo.smoke("agent-hook", "claude", "Stop", env={"CLAUDECODE": "1", "SMOKE_TASK": "my-task"}, input=payload)


def test_the_stop_hook_skips_grow_only_only_when_nothing_it_protects_changed(repo: Repo) -> None:
    repo.manifest(MANIFEST.replace("scenarios/guarded.sh", "../../tools/guarded.sh"))
    repo.write("tools/guarded.sh", "echo ok\n")
    assert repo.commit("manifest").returncode == 0
    repo.git("checkout", "-q", "-b", "wg/my-task")
    repo.write("docs/notes.md", "unrelated\n")
    res = _stop(repo)
    assert res.returncode == 0 and "block" not in res.stdout, res.stdout + res.stderr
    # A script outside the manifest's folder, deleted: grow-only still runs, and refuses.
    (repo.path / "tools/guarded.sh").unlink()
    res = _stop(repo)
    assert '"decision": "block"' in res.stdout and "weakened" in res.stdout, res.stdout + res.stderr
