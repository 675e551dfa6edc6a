"""All access to git goes through this module.

Plumbing queries on the gate's hot path (changed files, merge-bases, a
commit's files) run `git` directly: importing GitPython alone costs ~90 ms,
more than a no-op gate is allowed to take. Work that needs object access
(reading a file at a ref, worktrees) uses GitPython, imported only there.
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from smoke.errors import SmokeError

if TYPE_CHECKING:
    import git as gitpython

# Commits searched for a task id in their message: bounded so a long history stays fast.
TASK_LOG_LIMIT = 2000
NULL_SHA = "0" * 40


@dataclasses.dataclass(frozen=True)
class Change:
    """A changed file and what brought it in (for `smoke list` explanations)."""

    path: str
    origin: str  # "staged", "unstaged", "untracked", "commit 1a2b3c4 feat: x", "range A..B"


def find_toplevel(start: Path) -> Path | None:
    """The work tree root containing `start`, found without running git."""
    env_top = os.environ.get("GIT_WORK_TREE")
    if env_top:
        return Path(env_top).absolute()
    path = start.absolute()
    for candidate in (path, *path.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def private_dir(root: Path) -> Path | None:
    """The git directory shared by all worktrees, found without running git."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():
        text = dot.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            gd = (root / text[len("gitdir:"):].strip()).resolve()
            common = gd / "commondir"
            if common.is_file():
                return (gd / common.read_text().strip()).resolve()
            return gd
    return None


def _run(root: Path, *args: str, check: bool = True, stdin: str | None = None) -> str:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
        )
    except FileNotFoundError:
        raise SmokeError("git is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        raise SmokeError(f"git {' '.join(args[:3])} failed: {err[-1] if err else proc.returncode}")
    return proc.stdout


def _nul_list(out: str) -> list[str]:
    return [p for p in out.split("\0") if p]


def git_dir(root: Path) -> Path:
    """The repository's private directory (shared across worktrees)."""
    out = _run(root, "rev-parse", "--git-common-dir").strip()
    return (root / out).resolve()


def rev_parse(root: Path, ref: str) -> str | None:
    out = _run(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
    return out or None


def has_head(root: Path) -> bool:
    return rev_parse(root, "HEAD") is not None


def current_branch(root: Path) -> str | None:
    out = _run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
    return out or None


def staged_files(root: Path) -> list[Change]:
    args = ["diff", "--cached", "--name-only", "-z", "--no-renames"]
    if not has_head(root):
        args = ["ls-files", "-z", "--cached"]
    return [Change(p, "staged") for p in _nul_list(_run(root, *args))]


def uncommitted_files(root: Path) -> list[Change]:
    """Staged, unstaged and untracked files (untracked ones respecting .gitignore)."""
    out = _run(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    changes = []
    for entry in _nul_list(out):
        code, path = entry[:2], entry[3:]
        if code == "??":
            origin = "untracked"
        elif code[0] not in (" ", "?"):
            origin = "staged"
        else:
            origin = "unstaged"
        changes.append(Change(path, origin))
    return changes


def range_files(root: Path, base: str, tip: str) -> list[Change]:
    """Files changed from base to tip; a null base (a new branch) means every
    commit of tip that no remote ref has yet."""
    if not base or base == NULL_SHA:
        out = _run(root, "log", "--no-renames", "--name-only", "-z", "--format=%x01%h %s", tip, "--not", "--remotes")
        return _parse_log(out)
    out = _run(root, "diff", "--name-only", "-z", "--no-renames", f"{base}...{tip}")
    label = f"range {base[:7]}..{tip[:7]}"
    return [Change(p, label) for p in _nul_list(out)]


def _parse_log(out: str) -> list[Change]:
    changes: list[Change] = []
    for block in out.split("\x01"):
        if not block.strip("\0\n"):
            continue
        head, _, files = block.partition("\n")
        for path in _nul_list(files.replace("\n", "\0")):
            changes.append(Change(path, f"commit {head.strip()}"))
    return changes


def merge_base(root: Path, base_ref: str) -> tuple[str, str] | None:
    """The merge-base of HEAD with base_ref, falling back to the remote's default branch."""
    candidates = [base_ref, f"origin/{base_ref}", "origin/HEAD", "master", "origin/master"]
    for ref in dict.fromkeys(candidates):
        if rev_parse(root, ref) is None:
            continue
        out = _run(root, "merge-base", "HEAD", ref, check=False).strip()
        if out:
            return ref, out
    return None


def branch_files(root: Path, base_ref: str) -> list[Change]:
    """Files changed by commits on HEAD since its merge-base with base_ref."""
    if not has_head(root):
        return []
    found = merge_base(root, base_ref)
    if found is None:
        return []
    _, base = found
    out = _run(root, "log", "--no-renames", "--name-only", "-z", "--format=%x01%h %s", f"{base}..HEAD")
    return _parse_log(out)


def task_commit_files(root: Path, task: str, limit: int = TASK_LOG_LIMIT) -> list[Change]:
    """Files changed by recent commits whose message names `task` as a whole word."""
    if not has_head(root):
        return []
    out = _run(
        root, "log", f"-n{limit}", "-F", f"--grep={task}", "--no-renames", "--name-only", "-z",
        "--format=%x01%h %x02%B%x03", "HEAD",
    )
    word = task_word_re(task)
    changes: list[Change] = []
    for block in out.split("\x01"):
        if "\x02" not in block:
            continue
        short, _, rest = block.partition(" \x02")
        body, _, files = rest.partition("\x03")
        if not word.search(body):
            continue
        subject = body.strip().splitlines()[0] if body.strip() else ""
        for path in _nul_list(files.replace("\n", "\0")):
            changes.append(Change(path, f"commit {short} {subject}"))
    return changes


def task_word_re(task: str) -> re.Pattern[str]:
    """A task id as a whole word: not inside a longer id made of [A-Za-z0-9_.-]."""
    return re.compile(r"(?<![A-Za-z0-9_.-])" + re.escape(task) + r"(?![A-Za-z0-9_-]|\.[A-Za-z0-9])")


# ---------------------------------------------------------------- GitPython


def repo(root: Path) -> gitpython.Repo:
    import git as gitpython

    try:
        return gitpython.Repo(root, search_parent_directories=True)
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        raise SmokeError(f"{root} is not inside a git repository") from None
