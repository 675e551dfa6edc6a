"""This repository's own .pre-commit-config.yaml, run by the real pre-commit
framework on a committed copy of the work tree: ruff, mypy, and smoke-gate's
own smoke-check and smoke-grow-only hooks on its own manifest."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from helpers import BIN_DIR
from helpers import Repo

ROOT = Path(__file__).resolve().parent.parent
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".benchmarks", "build", "dist", ".venv", ".coverage*",
)
# What a local hook must share with the definition smoke-gate ships (its
# language differs: the shipped hooks install smoke-gate, the local ones use the
# development virtualenv's).
SHARED = ("entry", "files", "pass_filenames", "always_run", "require_serial", "stages")


def _hooks(path: Path) -> dict[str, dict[str, object]]:
    data = yaml.safe_load(path.read_text())
    hooks = data if isinstance(data, list) else [h for r in data["repos"] for h in r["hooks"]]
    return {h["id"]: h for h in hooks}


def test_the_local_smoke_hooks_are_the_shipped_ones() -> None:
    shipped = _hooks(ROOT / ".pre-commit-hooks.yaml")
    local = _hooks(ROOT / ".pre-commit-config.yaml")
    assert {"ruff", "mypy", "smoke-check", "smoke-grow-only"} <= set(local)
    for hook_id in ("smoke-check", "smoke-grow-only"):
        assert {k: local[hook_id].get(k) for k in SHARED} == {k: shipped[hook_id].get(k) for k in SHARED}, hook_id


def _self_copy(repo: Repo) -> Repo:
    path = repo.path.parent / "smoke-gate"
    shutil.copytree(ROOT, path, ignore=_NOT_SOURCE, symlinks=True)
    env = dict(repo.env, MYPY_CACHE_DIR=str(repo.path.parent / "mypy-cache"))
    own = Repo(path, env)
    own.git("init", "-q", "-b", "main")
    own.commit("snapshot")
    return own


def _pre_commit(own: Repo, *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [str(BIN_DIR / "pre-commit"), *args], cwd=own.path, env=own.env, capture_output=True, text=True, timeout=600,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_pre_commit_runs_every_hook_on_this_repository_and_refuses_a_shrinking_commit(repo: Repo) -> None:
    own = _self_copy(repo)
    code, out = _pre_commit(own, "run", "--all-files")
    assert code == 0, out
    for name in ("ruff check", "mypy", "smoke check", "smoke grow-only"):
        assert re.search(rf"^{re.escape(name)}.*Passed$", out, re.M), out

    code, out = _pre_commit(own, "install", "--hook-type", "pre-commit")
    assert code == 0, out
    manifest = own.path / "tests/smoke/manifest.toml"
    text = manifest.read_text()
    last = text.rindex("\n[[scenario]]\n")
    dropped = re.search(r'^name = "([^"]+)"', text[last:], re.M)
    assert dropped is not None
    manifest.write_text(text[:last + 1])
    before = own.head()
    res = own.commit("drop a scenario", verify=True)
    assert res.returncode != 0
    shown = res.stdout + res.stderr
    assert re.search(r"^smoke grow-only.*Failed$", shown, re.M), shown
    assert f"scenario '{dropped.group(1)}'" in shown and "was removed" in shown, shown
    assert own.head() == before
