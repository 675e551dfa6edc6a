"""`smoke gate`: the hard gate behind hooks and `wg done`."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time

from smoke import git
from smoke import manifest as manifest_mod
from smoke.commands import common
from smoke.errors import SmokeError
from smoke.git import Change
from smoke.manifest import Manifest
from smoke.manifest import Settings
from smoke.output import Out
from smoke.selection import Selector
from smoke.selection import select

OVERRIDE_VARS = ("SMOKE_AGENT_OVERRIDE", "WG_SMOKE_AGENT_OVERRIDE")


def cmd(args: argparse.Namespace) -> int:
    if args.skip_smoke:
        return _bypass(args)
    manifest = manifest_mod.load(args.manifest)
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
        changes = [Change(f, "staged") for f in args.files] if args.files else git.staged_files(root)
        return Selector(owners=owners, changes=tuple(changes)), "the commit"
    if args.stage == "pre-push":
        return Selector(owners=owners, changes=tuple(_pushed(root))), "the push"
    if task:
        changes = common.task_changes(manifest, task)
        changes += [Change(f, "named") for f in args.files]
        return Selector(owners=owners, changes=tuple(changes)), f"task '{task}'"
    changes = [Change(f, "named") for f in args.files] if args.files else git.uncommitted_files(root)
    return Selector(changes=tuple(changes)), "the change"


def _pushed(root: os.PathLike[str] | str) -> list[Change]:
    """Files in what is being pushed: pre-commit's env range, or git's ref lines on stdin."""
    from pathlib import Path

    root = Path(root)
    src, dst = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if src and dst:
        return git.range_files(root, src, dst)
    changes: list[Change] = []
    if sys.stdin is None or sys.stdin.isatty():
        return changes
    for line in sys.stdin.read().splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        _local_ref, local_sha, _remote_ref, remote_sha = parts
        if local_sha == git.NULL_SHA:
            continue  # a deletion pushes no code
        if remote_sha != git.NULL_SHA and git.rev_parse(root, remote_sha) is None:
            remote_sha = git.NULL_SHA  # the remote has commits we never fetched: treat as new
        changes.extend(git.range_files(root, remote_sha, local_sha))
    return changes


def _bypass(args: argparse.Namespace) -> int:
    """--skip-smoke: loud, audited, and refused for agents without an override."""
    try:
        manifest: Manifest | None = manifest_mod.load(args.manifest)
        settings = manifest.settings if manifest else Settings()
    except SmokeError:
        manifest, settings = None, Settings()
    agent_vars = [v for v in settings.agent_env if os.environ.get(v)]
    override = any(os.environ.get(v) == "1" for v in OVERRIDE_VARS)
    task = args.task or (common.current_task(manifest) if manifest else None)
    if agent_vars and not override:
        sys.stderr.write(
            f"smoke gate: --skip-smoke refused: the caller is an agent ({', '.join(agent_vars)} is set). "
            "Fix the failing scenario instead; a human may set SMOKE_AGENT_OVERRIDE=1.\n"
        )
        return 1
    audit(manifest.root if manifest else None, "skip-smoke", task, args.stage, args.reason)
    bar = "!" * 79
    sys.stderr.write(
        f"{bar}\n!!! SMOKE GATE BYPASSED with --skip-smoke"
        f"{' for task ' + repr(task) if task else ''}: no scenario was run.\n"
        f"!!! This is recorded in the audit log.\n{bar}\n"
    )
    return 0


def audit(root: os.PathLike[str] | None, action: str, task: str | None, stage: str | None, reason: str | None) -> None:
    """Append one line to <git dir>/smoke/audit.log."""
    from pathlib import Path

    base = git.private_dir(Path(root)) if root else None
    if base is None:
        top = git.find_toplevel(Path.cwd())
        base = git.private_dir(top) if top else None
    if base is None:
        return
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "action": action, "user": user,
        "agent": {v: os.environ[v] for v in ("WG_AGENT_ID",) if v in os.environ},
        "task": task, "stage": stage, "reason": reason, "cwd": os.getcwd(),
    }
    path = base / "smoke" / "audit.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
