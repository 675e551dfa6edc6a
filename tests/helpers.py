"""What the tests share that is not a fixture: the installed `smoke` command,
a real git repository in a temporary folder, and a way to find the processes a
test started (fixtures in conftest.py build on these)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from smoke.agents.harnesses import AGENT_VARS

BIN_DIR = Path(sys.executable).parent
SMOKE = str(BIN_DIR / "smoke") if (BIN_DIR / "smoke").exists() else (shutil.which("smoke") or "smoke")
MARK_VAR = "SMOKE_TEST_MARK"


def git_env(home: Path) -> dict[str, str]:
    """The environment a test's processes get: this one, less whatever would
    steer git, smoke or pre-commit, with a home and an identity of their own."""
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


# ------------------------------------------------------------ no leftovers


def marked(mark: str) -> list[int]:
    """The live processes whose environment carries MARK_VAR=mark."""
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


# ------------------------------------------------------------ snapshots

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_VAR = "SMOKE_UPDATE_SNAPSHOTS"


def assert_snapshot(name: str, actual: str) -> None:
    """`actual` must equal tests/snapshots/`name`; with SMOKE_UPDATE_SNAPSHOTS=1 the file is rewritten instead,
    so that a change in what users see shows up in review as a change to that file."""
    path = SNAPSHOTS / name
    if os.environ.get(UPDATE_VAR) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.is_file():
        raise AssertionError(f"no snapshot {path}: run `{UPDATE_VAR}=1 pytest {Path(__file__).parent.name}` and review it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        import difflib

        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True), f"{name} (snapshot)", f"{name} (now)"
        ))
        raise AssertionError(f"output differs from {path} (if intended: {UPDATE_VAR}=1 pytest ...):\n{diff}")
