"""Shared fixtures: real git repositories in temporary folders, the installed
`smoke` command run as a real process, and a check that no test leaves a
process behind."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from smoke.agents.harnesses import AGENT_VARS

BIN_DIR = Path(sys.executable).parent
SMOKE = str(BIN_DIR / "smoke") if (BIN_DIR / "smoke").exists() else (shutil.which("smoke") or "smoke")
MARK_VAR = "SMOKE_TEST_MARK"


def _git_env(home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("GIT_", "SMOKE_", "WG_", "PRE_COMMIT", "GITHUB_")) and k not in ("NO_COLOR", "FORCE_COLOR")
        and k not in AGENT_VARS  # a test run inside an agent harness must not make every test an agent's
    }
    env.update({
        "HOME": str(home),
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(home / ".cache" / "pre-commit"),
    })
    return env


class Repo:
    """A real git repository in a temporary folder."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env

    def git(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, input=input,
            capture_output=True, text=True, check=check,
        )

    def write(self, rel: str, text: str, executable: bool = False) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        if executable:
            path.chmod(0o755)
        return path

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text()

    def manifest(self, text: str) -> Path:
        return self.write("tests/smoke/manifest.toml", text)

    def commit(self, message: str = "change", *paths: str, verify: bool = False) -> subprocess.CompletedProcess[str]:
        self.git("add", "-A", *paths)
        args = ["commit", "-m", message]
        if not verify:
            args.append("--no-verify")
        return self.git(*args, check=False)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def smoke(self, *args: str, env: dict[str, str] | None = None, input: str | None = None,
              timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        return subprocess.run(
            [SMOKE, *args], cwd=cwd or self.path, env=full_env, input=input if input is not None else "",
            capture_output=True, text=True, timeout=timeout,
        )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def repo(tmp_path: Path, home: Path, process_mark: str) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    env = _git_env(home)
    env[MARK_VAR] = process_mark
    r = Repo(path, env)
    r.git("init", "-q", "-b", "main")
    r.write("README", "a repo under test\n")
    r.commit("initial")
    return r


# ------------------------------------------------------------ no leftovers


def _marked(mark: str) -> list[int]:
    needle = f"{MARK_VAR}={mark}\0".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            if stat[stat.rfind(b")") + 2 :].split()[0] in (b"Z", b"X"):
                continue
            with open(f"/proc/{name}/environ", "rb") as f:
                if needle in f.read():
                    found.append(int(name))
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] not in (b"Z", b"X")


@pytest.fixture
def process_mark() -> Iterator[str]:
    """Every process a test starts through `repo` carries this mark; none may outlive the test."""
    mark = uuid.uuid4().hex
    yield mark
    deadline = time.monotonic() + 5
    left = _marked(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _marked(mark)
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
