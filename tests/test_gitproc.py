"""git started ahead (smoke/gitproc.py): a door's `git status` starts before the rest of smoke is imported,
is asked exactly once, answers what a fresh `git status` answers, and is never left running."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import Repo
from helpers import alive

from smoke import git
from smoke import gitproc

MANIFEST = """
[[scenario]]
name = "guarded"
run = "echo ok"
owners = ["other-task"]
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["ok"]
"""


def _logging_git(tmp: Path) -> tuple[dict[str, str], Path]:
    """A `git` first on PATH that writes each command line to a log, then runs the real git."""
    real = shutil.which("git")
    assert real
    log = tmp / "git-calls.log"
    bindir = tmp / "logbin"
    bindir.mkdir()
    wrapper = bindir / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}, log


@pytest.mark.parametrize(("stage", "form"), [("pre-commit", gitproc.STATUS), ("done", gitproc.FULL_STATUS)])
def test_a_door_asks_git_status_once_started_ahead(repo: Repo, tmp_path: Path, stage: str, form: tuple[str, ...]) -> None:
    repo.manifest(MANIFEST)
    assert repo.commit("manifest").returncode == 0
    repo.write("docs/notes.md", "notes\n")
    repo.git("add", "docs/notes.md")
    env, log = _logging_git(tmp_path)
    res = repo.smoke("gate", "--stage", stage, "--task", "my-task", env=env, cwd=repo.path / "docs")
    assert res.returncode == 0 and "nothing to run" in res.stdout, res.stdout + res.stderr
    calls = log.read_text().splitlines()
    assert calls.count(f"-C {repo.path} {' '.join(form)}") == 1, calls
    assert not [c for c in calls if " status " in c and c != f"-C {repo.path} {' '.join(form)}"], calls
    # ...and that one was started ahead, before the gate's own modules were imported, and taken by the gate.
    probe = (
        "import sys\n"
        "from smoke import gitproc, main\n"
        "calls = []\n"
        "first = gitproc.ahead\n"
        "gitproc.ahead = lambda root, args: (calls.append((root, args, 'smoke.manifest' in sys.modules)), first(root, args))\n"
        f"code = main.main(['gate', '--stage', {stage!r}, '--task', 'my-task'])\n"
        "print(repr((code, calls, len(gitproc._AHEAD))))\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], cwd=repo.path / "docs", env={**repo.env, **env},
                         capture_output=True, text=True)
    asked = [form] if stage == "pre-commit" else list(gitproc.DONE)
    expected = (0, [(str(repo.path), args, False) for args in asked], 0)  # every one taken by the gate
    assert res.stdout.strip().splitlines()[-1] == repr(expected), res.stdout + res.stderr


def test_a_status_started_ahead_answers_what_a_fresh_one_does(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.manifest(MANIFEST)
    assert repo.commit("manifest").returncode == 0
    repo.write("src/a.py", "x = 1\n")
    repo.write("new/b.txt", "b\n")
    repo.git("add", "src/a.py")
    fresh = git.full_status(repo.path)
    assert ("A ", "src/a.py") in fresh and ("??", "new/b.txt") in fresh
    gitproc.ahead(str(repo.path), gitproc.FULL_STATUS)
    assert gitproc._AHEAD
    assert git.full_status(repo.path) == fresh
    assert not gitproc._AHEAD  # taken, not left for exit
    # The environment changed in between: the early answer is not used, and its process is ended.
    gitproc.ahead(str(repo.path), gitproc.FULL_STATUS)
    monkeypatch.setenv("GIT_INDEX_FILE", str(repo.path / ".git" / "other-index"))
    assert gitproc.take(str(repo.path), gitproc.FULL_STATUS) is None
    assert not gitproc._AHEAD


def test_a_git_started_ahead_and_never_asked_is_ended_at_exit(tmp_path: Path) -> None:
    bindir = tmp_path / "slowbin"
    bindir.mkdir()
    pidfile = tmp_path / "git.pid"
    (bindir / "git").write_text(f'#!/bin/sh\necho $$ > "{pidfile}"\nexec sleep 30\n')
    (bindir / "git").chmod(0o755)
    code = (
        "import time, sys\n"
        "from smoke import gitproc\n"
        f"gitproc.ahead({str(tmp_path)!r}, gitproc.STATUS)\n"
        f"while not __import__('os').path.exists({str(pidfile)!r}): time.sleep(0.01)\n"
    )
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_toplevel_is_find_toplevel(tmp_path: Path) -> None:
    (tmp_path / "r" / ".git").mkdir(parents=True)
    deep = tmp_path / "r" / "a" / "b"
    deep.mkdir(parents=True)
    assert gitproc.toplevel(str(deep)) == str(tmp_path / "r")
    assert git.find_toplevel(deep) == tmp_path / "r"
    assert gitproc.toplevel("/") is None or Path("/.git").exists()


def test_an_agents_done_reads_heads_manifest_started_ahead_once(repo: Repo, tmp_path: Path) -> None:
    repo.manifest(MANIFEST)
    assert repo.commit("manifest").returncode == 0
    env, log = _logging_git(tmp_path)
    env = {**env, "WG_AGENT_ID": "a1"}
    res = repo.smoke("gate", "--stage", "done", "--task", "my-task", env=env)
    assert res.returncode == 0 and "nothing to run" in res.stdout, res.stdout + res.stderr
    blob = ("cat-file", "blob", "HEAD:tests/smoke/manifest.toml")
    calls = log.read_text().splitlines()
    assert calls.count(f"-C {repo.path} {' '.join(blob)}") == 1, calls
    probe = (
        "from smoke import gitproc, main\n"
        "calls = []\n"
        "first = gitproc.ahead\n"
        "gitproc.ahead = lambda root, args: (calls.append(args), first(root, args))\n"
        "code = main.main(['gate', '--stage', 'done', '--task', 'my-task'])\n"
        "print(repr((code, calls, len(gitproc._AHEAD))))\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], cwd=repo.path, env={**repo.env, **env}, capture_output=True, text=True)
    hidden = ("ls-files", "-v", "-z", "--", ":(literal)tests/smoke")
    assert res.stdout.strip().splitlines()[-1] == repr((0, [*gitproc.DONE, blob, hidden], 0)), res.stdout + res.stderr
