"""A scenario must leave the repository as it found it.

A scenario that runs `git stash`, `git checkout` or `git reset` can empty
the commit being gated and leave the work somewhere else, silently. The run
captures HEAD, the index and the tracked work tree before and after; a
change is an error that names the scenario and says where the work went.
Before a run on a work tree with unstaged changes, those changes are saved
as a dangling commit (`git stash create`, which touches nothing) so they can
be brought back.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from smoke import git


class State:
    def __init__(self, head: str | None, branch: str | None, index: str, tracked: str, stash: str | None,
                 saved: str | None) -> None:
        self.head = head
        self.branch = branch
        self.index = index  # digest of the staged entries
        self.tracked = tracked  # digest of the tracked files that differ from the index, with their content
        self.stash = stash  # refs/stash
        self.saved = saved  # the uncommitted work as a commit, or None when there was none


def capture(root: Path, save: bool = False) -> State | None:
    """The state of the repository at `root`; None outside one (nothing to guard)."""
    from smoke.errors import SmokeError

    if git.worktree_git_dir(root) is None and not os.environ.get("GIT_DIR"):
        return None
    try:
        return _capture(root, save)
    except SmokeError:
        return None


def _capture(root: Path, save: bool) -> State:
    index = hashlib.sha256(git.run(root, "ls-files", "--stage", "-z").encode("utf-8", "surrogateescape")).hexdigest()
    status = git.run(root, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames")
    h = hashlib.sha256(status.encode("utf-8", "surrogateescape"))
    for path in sorted({entry[3:] for entry in status.split("\0") if entry}):
        h.update(b"\0" + git.file_state(root / path))
    saved = None
    # Only unstaged work is at risk of being lost for good (staged content is in git's objects already);
    # saving nothing otherwise leaves no dangling commit behind on the usual commit.
    if save and any(entry[1:2] not in ("", " ") for entry in status.split("\0") if entry):
        saved = git.run(root, "stash", "create", "smoke: the work tree before the run", check=False).strip() or None
    return State(git.rev_parse(root, "HEAD"), git.current_branch(root), index, h.hexdigest(),
                 git.rev_parse(root, "refs/stash"), saved)


def changes(before: State, after: State) -> list[str]:
    """What changed, in words; empty when nothing did."""
    found = []
    if (before.head, before.branch) != (after.head, after.branch):
        found.append(f"HEAD moved from {_name(before)} to {_name(after)}")
    if before.index != after.index:
        found.append("the index (what is staged) changed")
    if before.tracked != after.tracked:
        found.append("tracked files in the work tree changed")
    return found


def where_it_went(before: State, after: State) -> str:
    if before.stash != after.stash and after.stash is not None:
        return f"the work went to the stash ({after.stash[:12]}): 'git stash list', then 'git stash pop' to bring it back"
    if before.saved:
        return f"the work tree as it was is saved as commit {before.saved[:12]}: 'git stash apply {before.saved}' brings it back"
    if before.head != after.head and before.head:
        return f"HEAD was {before.head[:12]}: 'git reset --keep {before.head[:12]}' goes back to it"
    return "'git status' and 'git reflog' show what changed"


def _name(state: State) -> str:
    sha = state.head[:12] if state.head else "no commit"
    return f"{state.branch} ({sha})" if state.branch else sha
