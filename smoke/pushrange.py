"""What is being pushed, as git says it, whatever the caller's environment says: the commits a push
brings (for the gate) and the sides a push compares (for grow-only). Data, no decisions.

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
import sys

from smoke import git
from smoke.git import Change

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from smoke.pathstr import StrPath

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


def pre_commit_push(root: StrPath) -> Push | None:
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


def _names_the_push(root: StrPath, remote: str, tip: str, src: str, dst: str) -> bool:
    """The range ends at the commit being pushed and starts at a commit the remote has (so it hides nothing)."""
    to, base = git.rev_parse(root, dst), git.rev_parse(root, src)
    if to != tip or base is None or base == to:
        return False
    return git.on_remote(root, base, remote)


def stdin_lines() -> str:
    """git's pre-push lines on stdin; nothing when run by hand at a terminal."""
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    return sys.stdin.read()


# ---------------------------------------------------------------- the commits a push brings (the gate)


class PushedCommit:
    """One pushed commit: the refs that push it, the files it brings, and its own manifest."""

    def __init__(
        self, sha: str, refs: tuple[str, ...], changes: tuple[Change, ...], manifest: bytes | None = None
    ) -> None:
        self.sha = sha
        self.refs = refs
        self.changes = changes
        self.manifest = manifest  # the manifest's content at this commit; None when it has none there (or none was asked)

    def name(self) -> str:
        return ", ".join(r.removeprefix("refs/heads/") for r in self.refs)


def pushed_commits(root: StrPath, manifest_rel: str | None = None) -> tuple[list[PushedCommit], str | None]:
    """What is being pushed, one PushedCommit per distinct commit: pre-commit's range, or every ref line git gives on stdin.

    With `manifest_rel` (the manifest's path from the top level), each holds the manifest at its commit, read
    by the git process that finds the commits. With a note to show when the range variables were set where
    they do not count.
    """
    push = pre_commit_push(root)
    if push is not None and push.src and push.dst:
        branch = os.environ.get("PRE_COMMIT_LOCAL_BRANCH")
        at = [push.dst] if manifest_rel is not None else []
        found, files = git.commits_and_files(root, [push.dst], at, manifest_rel or "")
        return _by_commit([(branch or push.dst, found.get(push.dst) or push.dst,
                            git.range_files(root, push.src, push.dst), files.get(push.dst))]), None
    if push is not None:
        # No range pre-commit vouches for (or none at all, when the push starts
        # a history the remote lacks): the push as git would describe it.
        return _by_commit(_ref_lines(root, push.line, manifest_rel)), None
    note = ignored_note()
    if sys.stdin is None or sys.stdin.isatty():
        return [], note
    return _by_commit(_ref_lines(root, sys.stdin.read(), manifest_rel)), note


_Pushed = tuple[str, str, list[Change], bytes | None]  # (ref, commit, files it brings, manifest at the commit)


def _ref_lines(root: StrPath, text: str, manifest_rel: str | None = None) -> list[_Pushed]:
    """git's pre-push lines as (ref, commit, files, manifest) per pushed ref."""
    pushed: list[_Pushed] = []
    for ref in git.pushed_refs(root, text, manifest_rel):
        # A remote commit never fetched here: everything no remote has counts as new.
        base = ref.remote_sha if ref.remote_known else git.NULL_SHA
        pushed.append((ref.local_ref, ref.tip, git.range_files(root, base, ref.tip), ref.file))
    return pushed


def _by_commit(pushed: list[_Pushed]) -> list[PushedCommit]:
    """Refs pushed at the same commit are tested once, with the files of all of them."""
    by_sha: dict[str, PushedCommit] = {}
    for ref, sha, changes, manifest in pushed:
        before = by_sha.get(sha, PushedCommit(sha, (), (), manifest))
        by_sha[sha] = PushedCommit(sha, (*before.refs, ref), (*before.changes, *changes), manifest)
    return list(by_sha.values())


# ---------------------------------------------------------------- what a push compares (grow-only)


class Side:
    """One comparison: the base, and where the manifest checked against it is read."""

    __slots__ = ("base", "explicit", "label", "tip")

    def __init__(self, base: str, tip: str | None = None, label: str | None = None, explicit: bool = False) -> None:
        self.base = base  # the ref the base manifest is read at
        self.tip = tip  # the commit the current manifest is read at; None: the index or the work tree
        self.label = label  # the pushed ref, for messages
        self.explicit = explicit  # the base was named: a ref that does not exist is an error, not "no commit yet"


def pushed_sides(root: StrPath, text: str, remote: str, manifest_rel: str) -> tuple[list[Side], list[str]]:
    """One Side per ref in git's pre-push lines, and notes on the refs left out.

    Each line is `<local ref> <local sha> <remote ref> <remote sha>`.
    """
    sides: list[Side] = []
    notes: list[str] = []
    for ref in git.pushed_refs(root, text):
        tip, remote_ref, remote_sha = ref.tip, ref.remote_ref, ref.remote_sha
        if ref.remote_known:
            sides.append(Side(remote_sha, tip, remote_ref, explicit=True))
            continue
        # A new branch (or one whose remote commit was never fetched): the remote
        # has no version of it here, so compare with where it left the default branch.
        fork = _fork_point(root, remote, tip, manifest_rel)
        if fork is None:
            notes.append(
                f"{remote_ref} is new on {remote} and no default branch of {remote} is known here"
                " to compare it with; not checked"
            )
            continue
        if remote_sha != git.NULL_SHA:
            notes.append(
                f"{remote_ref}: {remote}'s commit {remote_sha[:12]} is not here (fetch it?); compared with the fork point"
            )
        sides.append(Side(fork, tip, remote_ref, explicit=True))
    return sides, notes


def _fork_point(root: StrPath, remote: str, tip: str, manifest_rel: str) -> str | None:
    """Where `tip` left the remote's default branch: its HEAD, else settings.base_ref (default main) there."""
    for ref in (f"refs/remotes/{remote}/HEAD", f"refs/remotes/{remote}/{_base_ref(root, tip, manifest_rel)}"):
        if git.rev_parse(root, ref) is None:
            continue
        found = git.common_ancestor(root, tip, ref)
        if found:
            return found
    return None


def _base_ref(root: StrPath, tip: str, manifest_rel: str) -> str:
    from smoke import tomlread

    data = git.blob_at(root, tip, manifest_rel)
    try:
        doc = tomlread.loads(data.decode("utf-8")) if data is not None else {}
    except (UnicodeDecodeError, tomlread.TOMLDecodeError, RecursionError):
        doc = {}
    settings = doc.get("settings")
    value = settings.get("base_ref") if isinstance(settings, dict) else None
    return value if isinstance(value, str) and value else "main"
