"""What is being pushed, as git says it, whatever the caller's environment says.

git gives a native pre-push hook one line per pushed ref on stdin. The
pre-commit framework reads those lines itself and hands its hooks
PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF instead; but anyone can set those
variables (`PRE_COMMIT_FROM_REF=HEAD PRE_COMMIT_TO_REF=HEAD git push` would make
the range empty). So they count only at a push under the framework
(PRE_COMMIT=1 with the remote and local branch it sets) and only when they
name the commit being pushed and a base the remote already has. Otherwise
the push is described to the gate the way git would describe it: the local
branch's commit, against what the remote-tracking ref says the remote has.
"""
from __future__ import annotations

import os
from pathlib import Path

from smoke import git

RANGE_VARS = ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF")


class Push:
    """A push under the pre-commit framework: a verified range, or git's own line for it."""

    def __init__(self, remote: str, src: str | None = None, dst: str | None = None, line: str = "") -> None:
        self.remote = remote
        self.src = src  # the verified range (None when `line` describes the push)
        self.dst = dst
        self.line = line  # `<local ref> <local sha> <remote ref> <remote sha>`, as git gives a native hook


def under_framework() -> bool:
    """A pre-push hook run by the pre-commit framework, which sets these itself."""
    return os.environ.get("PRE_COMMIT") == "1" and bool(os.environ.get("PRE_COMMIT_REMOTE_NAME"))


def ignored_note() -> str | None:
    """What to say when the range variables are set where they do not count; None when they are not set."""
    if under_framework() or not any(os.environ.get(v) for v in RANGE_VARS):
        return None
    return "PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF are ignored: they count only at a push under the pre-commit framework"


def pre_commit_push(root: Path) -> Push | None:
    """The push the framework is running a hook for; None when this is not such a push."""
    if not under_framework():
        return None
    remote = os.environ["PRE_COMMIT_REMOTE_NAME"]
    local = os.environ.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    tip = git.rev_parse(root, local)
    src, dst = (os.environ.get(v) for v in RANGE_VARS)
    if tip is not None and src and dst and _names_the_push(root, remote, tip, src, dst):
        return Push(remote, src, dst)
    if tip is None:
        return Push(remote, line="")
    remote_ref = os.environ.get("PRE_COMMIT_REMOTE_BRANCH") or local
    short = remote_ref.removeprefix("refs/heads/")
    known = git.rev_parse(root, f"refs/remotes/{remote}/{short}") or git.NULL_SHA
    return Push(remote, line=f"{local} {tip} {remote_ref} {known}\n")


def _names_the_push(root: Path, remote: str, tip: str, src: str, dst: str) -> bool:
    """The range ends at the commit being pushed and starts at a commit the remote has (so it hides nothing)."""
    to, base = git.rev_parse(root, dst), git.rev_parse(root, src)
    if to != tip or base is None or base == to:
        return False
    return git.on_remote(root, base, remote)
