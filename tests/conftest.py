"""Shared fixtures: real git repositories in temporary folders, and a check
that no test leaves a process behind. The helpers they use are in helpers.py."""
from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import MARK_VAR
from helpers import Repo
from helpers import git_env
from helpers import marked


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def repo(tmp_path: Path, home: Path, process_mark: str) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    env = git_env(home)
    env[MARK_VAR] = process_mark
    r = Repo(path, env)
    r.git("init", "-q", "-b", "main")
    r.write("README", "a repo under test\n")
    r.commit("initial")
    return r


@pytest.fixture
def process_mark() -> Iterator[str]:
    """Every process a test starts through `repo` carries this mark; none may outlive the test."""
    mark = uuid.uuid4().hex
    yield mark
    deadline = time.monotonic() + 5
    left = marked(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = marked(mark)
    if left:
        described = []
        for pid in left:
            try:
                described.append(f"{pid}: " + open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode())
            except OSError:
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        pytest.fail("processes left behind by the test: " + "; ".join(described))
