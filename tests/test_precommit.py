"""The real pre-commit framework using this repository as a hook repository.

pre-commit needs committed content, so the work tree (with uncommitted edits)
is copied into a temporary git repository and committed once per session.
pre-commit then builds its own virtualenv and pip-installs smoke-gate there;
PRE_COMMIT_HOME is shared by the session so that happens once.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Repo

ROOT = Path(__file__).resolve().parent.parent
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".benchmarks", "build", "dist", ".venv",
)

MANIFEST = """
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
owners = ["fix-login"]
paths = ["src/login/**"]
[scenario.expect]
stdout_contains = ["login ok"]
"""


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git clone-alike of the current work tree, committed: (path, sha)."""
    dest = tmp_path_factory.mktemp("hook-repo") / "smoke-gate"
    shutil.copytree(ROOT, dest, ignore=_NOT_SOURCE, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_NOSYSTEM="1")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    return dest, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def framework(repo: Repo, hook_repo: tuple[Path, str], pre_commit_home: Path) -> Repo:
    """A repository using smoke-gate's hooks through pre-commit, installed for commit and push."""
    path, sha = hook_repo
    repo.env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    repo.write(".pre-commit-config.yaml", f"""\
        repos:
        -   repo: {path}
            rev: {sha}
            hooks:
            -   id: smoke-grow-only
            -   id: smoke-check
            -   id: smoke-gate
                verbose: true  # show what ran even when it passes
            -   id: smoke-gate-push
                verbose: true
        """)
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/login.sh", "cat src/login/state.txt\n")
    repo.write("src/login/state.txt", "login ok\n")
    repo.write("docs/notes.txt", "notes\n")
    assert repo.commit("use smoke-gate through pre-commit").returncode == 0
    res = subprocess.run(["pre-commit", "install", "--hook-type", "pre-commit", "--hook-type", "pre-push"],
                         cwd=repo.path, env=repo.env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    return repo


def test_hook_manifest_is_valid_for_pre_commit() -> None:
    res = subprocess.run(["pre-commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_commit_and_push_are_gated_through_pre_commit(framework: Repo, tmp_path: Path) -> None:
    repo = framework
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    # The first push starts the remote's history: pre-commit gives no range, the gate still selects.
    res = repo.git("push", "origin", "main", check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "login_works" in res.stdout + res.stderr

    before = repo.head()
    repo.write("src/login/state.txt", "login broken\n")
    res = repo.commit("break login", verify=True)
    assert res.returncode == 1
    out = res.stdout + res.stderr
    assert "smoke gate refused the commit: 1 scenario(s) broken \u2014 login_works (stdout lacks 'login ok')" in out
    assert repo.head() == before

    repo.git("restore", "--staged", "src/login/state.txt")
    repo.write("docs/notes.txt", "more notes\n")
    res = repo.commit("notes", "docs/notes.txt", verify=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke gate: no scenario protects this change; nothing to run" in res.stdout + res.stderr

    repo.write("src/login/state.txt", "login ok, fixed\n")
    res = repo.commit("fix login", verify=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert repo.git("status", "--porcelain").stdout == ""

    pushed = repo.head()
    assert repo.git("push", "-q", "origin", "main", check=False).returncode == 0
    repo.write("src/login/state.txt", "login broken\n")
    assert repo.commit("break login, skipping the commit hook").returncode == 0
    res = repo.git("push", "origin", "main", check=False)
    assert res.returncode != 0
    assert "smoke gate refused the push: 1 scenario(s) broken \u2014 login_works" in res.stdout + res.stderr
    remote_main = repo.git("--git-dir", str(bare), "rev-parse", "refs/heads/main").stdout.strip()
    assert remote_main == pushed


def test_scenarios_see_the_hook_virtualenv_python_and_the_callers_path(
    framework: Repo, tmp_path: Path, pre_commit_home: Path,
) -> None:
    repo = framework
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "mytool").write_text("#!/bin/sh\necho mytool ran\n")
    (tools / "mytool").chmod(0o755)
    seen = tmp_path / "seen.txt"
    repo.manifest(MANIFEST + """
[[scenario]]
name = "environment"
run = 'command -v python > "$OBSERVE"; echo "$PATH" >> "$OBSERVE"; mytool'
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["mytool ran"]
""")
    repo.write("src/other.txt", "x\n")
    caller_path = os.pathsep.join([str(tools), repo.env["PATH"]])
    repo.git("add", "-A")
    res = subprocess.run(["git", "commit", "-m", "observe"], cwd=repo.path, capture_output=True, text=True,
                         env={**repo.env, "PATH": caller_path, "OBSERVE": str(seen)})
    assert res.returncode == 0, res.stdout + res.stderr
    python, path = seen.read_text().splitlines()
    # `python` in a scenario run by the pre-commit hook is the hook's virtualenv...
    assert Path(python).is_relative_to(pre_commit_home)
    entries = path.split(os.pathsep)
    assert Path(entries[0]) == Path(python).parent
    # ...and after git's own folder (git puts its exec-path first for every hook),
    # the caller's PATH, in the caller's order.
    git_exec_path = repo.git("--exec-path").stdout.strip()
    assert entries[1:] == [git_exec_path, *caller_path.split(os.pathsep)]


def test_push_of_a_shrink_made_with_no_verify_is_refused_through_pre_commit(framework: Repo, tmp_path: Path) -> None:
    repo = framework
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    res = repo.git("push", "origin", "main", check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    # The first push starts the remote's history: nothing there to shrink, but the hook runs at push time.
    assert re.search(r"^smoke grow-only \(no scenario removed or weakened\)\.+Passed$", res.stdout, re.MULTILINE)
    pushed = repo.head()

    repo.manifest(MANIFEST.replace('owners = ["fix-login"]', "owners = []"))
    assert repo.commit("drop the owner, skipping the commit hook").returncode == 0
    res = repo.git("push", "origin", "main", check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "scenario 'login_works' key 'owners': owner 'fix-login' was removed" in out
    assert "smoke check --grow-only refused: 1 removal(s) or weakening(s) in the push" in out
    assert repo.git("--git-dir", str(bare), "rev-parse", "refs/heads/main").stdout.strip() == pushed


def test_a_file_named_like_an_option_cannot_steer_the_gate(framework: Repo) -> None:
    repo = framework
    # Found in review: with file names passed on the command line, a staged
    # file called `--manifest=evil.toml` made the gate load an empty manifest.
    repo.write("evil.toml", "")
    repo.write("--manifest=evil.toml", "")
    repo.write("src/login/state.txt", "login broken\n")
    res = repo.commit("sneak a break in", verify=True)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "login_works (stdout lacks 'login ok')" in res.stdout + res.stderr


def test_run_all_files_runs_only_what_guards_the_staged_files_as_the_readme_says(framework: Repo) -> None:
    """README: `pre-commit run --all-files` runs the scenarios guarding staged
    files only (the hook asks the index, not pre-commit's file list); `smoke run --all` runs them all."""
    repo = framework
    res = subprocess.run(["pre-commit", "run", "--all-files", "smoke-gate"], cwd=repo.path, env=repo.env,
                         capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "smoke gate: no scenario protects this change; nothing to run" in out
    assert "login_works" not in out
    repo.write("src/login/state.txt", "login ok, staged\n")
    repo.git("add", "src/login/state.txt")
    res = subprocess.run(["pre-commit", "run", "--all-files", "smoke-gate"], cwd=repo.path, env=repo.env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and "login_works" in res.stdout + res.stderr
    res = repo.smoke("run", "--all")
    assert res.returncode == 0 and re.search(r"login_works\.+PASS", res.stdout)
