"""`smoke gate`: the hard gate behind hooks and `wg done`."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from smoke import git
from smoke import manifest as manifest_mod
from smoke.commands import common
from smoke.errors import SmokeError
from smoke.git import Change
from smoke.manifest import Manifest
from smoke.output import Out
from smoke.output import err
from smoke.selection import Selector
from smoke.selection import select

# A hook cannot be given --skip-smoke; these let a human bypass `git commit`
# and `git push` the same audited way: SMOKE_SKIP_SMOKE=1 git commit ...
SKIP_VAR = "SMOKE_SKIP_SMOKE"
REASON_VAR = "SMOKE_SKIP_REASON"


def cmd(args: argparse.Namespace) -> int:
    if args.skip_smoke or os.environ.get(SKIP_VAR) == "1":
        return _bypass(args)
    manifest = manifest_mod.load(args.manifest, cached=True)
    task = args.task or common.current_task(manifest)
    if args.stage == "done" and not task:
        raise SmokeError("--stage done needs the task being finished", hint="pass --task T")
    selector, what = _selector(args, manifest, task)
    selected = select(manifest.scenarios, selector)
    if not selected:
        out = Out(common.human_stream(args.json), args.color)
        scope = f"task '{task}'" if task else "this change"
        out.line(f"smoke gate: no scenario protects {scope}; nothing to run")
        if args.json:
            from smoke import report

            print(report.dump_json([]))
        return 0
    return common.execute(manifest, selected, args, what=what)


def _selector(args: argparse.Namespace, manifest: Manifest, task: str | None) -> tuple[Selector, str]:
    owners = (task,) if task else ()
    if args.all:
        return Selector(all=True), f"task '{task}'" if task else "the change"
    root = manifest.root
    if args.stage == "pre-commit":
        # pre-commit passes the staged files but never deleted ones; deleting a
        # guarded file must select its scenarios too, so the index is asked as well.
        changes = [Change(f, "staged") for f in args.files] + git.staged_files(root)
        return Selector(owners=owners, changes=tuple(changes)), "the commit"
    if args.stage == "pre-push":
        changes, tips = _pushed(root)
        _note_work_tree(root, tips)
        return Selector(owners=owners, changes=tuple(changes)), "the push"
    if task:
        changes = common.task_changes(manifest, task)
        changes += [Change(f, "named") for f in args.files]
        return Selector(owners=owners, changes=tuple(changes)), f"task '{task}'"
    changes = [Change(f, "named") for f in args.files] if args.files else git.uncommitted_files(root)
    return Selector(changes=tuple(changes)), "the change"


def _pushed(root: Path) -> tuple[list[Change], list[str]]:
    """Files in what is being pushed, and the pushed commits: pre-commit's range, or every ref line git gives on stdin."""
    src, dst = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if src and dst:
        return git.range_files(root, src, dst), [dst]
    if os.environ.get("PRE_COMMIT_REMOTE_NAME"):
        # pre-commit gives no range when the push starts a history the remote
        # lacks (from the root commit): everything not yet on a remote is new.
        tip = os.environ.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
        return git.range_files(root, git.NULL_SHA, tip), [tip]
    if sys.stdin is None or sys.stdin.isatty():
        return [], []
    return _ref_lines(root, sys.stdin.read())


def _ref_lines(root: Path, text: str) -> tuple[list[Change], list[str]]:
    """git's pre-push lines: `<local ref> <local sha> <remote ref> <remote sha>`, one per pushed ref."""
    changes: list[Change] = []
    tips: list[str] = []
    for line in text.splitlines():
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            continue
        _local_ref, local_sha, _remote_ref, remote_sha = parts
        if local_sha == git.NULL_SHA:
            continue  # a deletion pushes no code
        tip = git.rev_parse(root, local_sha)
        if tip is None:
            continue  # a tag of a tree or blob: no commits to gate
        if remote_sha != git.NULL_SHA and git.rev_parse(root, remote_sha) is None:
            remote_sha = git.NULL_SHA  # the remote has commits we never fetched: treat as new
        changes.extend(git.range_files(root, remote_sha, tip))
        tips.append(tip)
    return changes, tips


def _note_work_tree(root: Path, tips: list[str]) -> None:
    """Scenarios run in the work tree: say so when it is not what is being pushed."""
    head = git.rev_parse(root, "HEAD")
    others = sorted({t[:7] for t in (git.rev_parse(root, t) or t for t in tips) if t != head})
    dirty = any(c.origin != "untracked" for c in git.uncommitted_files(root))
    if not others and not dirty:
        return
    what = f"HEAD {head[:7] if head else '(none)'}" + (" plus uncommitted changes" if dirty else "")
    pushed = f"; pushed but not checked out: {', '.join(others)}" if others else ""
    err(f"smoke gate: note: scenarios run against the work tree ({what}){pushed}")


def _bypass(args: argparse.Namespace) -> int:
    """--skip-smoke: loud, audited, and refused for agents without an override."""
    from smoke import policy

    path, root = _manifest_place(args)
    try:
        manifest: Manifest | None = manifest_mod.load(args.manifest)
    except SmokeError:
        manifest = None
    root = manifest.root if manifest else root
    names, agents = _agents(path, root)
    override = policy.overrides()
    task = args.task or (common.current_task(manifest) if manifest else None)
    if agents and not override:
        sys.stderr.write(
            f"smoke gate: --skip-smoke refused: the caller is an agent ({', '.join(agents)} is set). "
            "Fix the failing scenario instead; a human may set SMOKE_AGENT_OVERRIDE=1.\n"
        )
        return 1
    reason = args.reason or os.environ.get(REASON_VAR)
    log = policy.audit(root, "skip-smoke", task, args.stage, reason, agent_env=names, override=override)
    if log is None:
        # An unaudited bypass is exactly what this tool exists to prevent.
        raise SmokeError("--skip-smoke refused: not inside a git repository, so the bypass cannot be audited")
    how = "--skip-smoke" if args.skip_smoke else f"{SKIP_VAR}=1"
    bar = "!" * 79
    sys.stderr.write(
        f"{bar}\n!!! SMOKE GATE BYPASSED with {how}"
        f"{' for task ' + repr(task) if task else ''}: no scenario was run.\n"
        f"!!! Reason: {reason or '(none given; pass --reason or set ' + REASON_VAR + ')'}\n"
        f"!!! Recorded in the audit log: {log}\n{bar}\n"
    )
    return 0


def _manifest_place(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The manifest's path (None when it cannot be found) and the repository's top level, without loading it."""
    try:
        path: Path | None = manifest_mod.locate(args.manifest)
    except SmokeError:
        path = None
    root = git.find_toplevel(path.parent if path is not None else Path.cwd())
    return path, root


def _agents(path: Path | None, root: Path | None) -> tuple[list[str], list[str]]:
    """The agent variables that count, and those set.

    Not from the loaded settings alone: an agent could edit agent_env in the
    work tree (or break the manifest so it does not load) to pass as a human.
    """
    from smoke import policy

    rels = policy.manifest_rels(path, root) if root is not None else []
    return policy.detect(root, rels, [policy.parse_file(path)] if path is not None else [])
