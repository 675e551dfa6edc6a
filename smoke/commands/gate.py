"""`smoke gate`: the hard gate behind hooks and `wg done`."""
from __future__ import annotations

import os
import sys

from smoke import cache
from smoke import doors
from smoke import git
from smoke import manifest as manifest_mod
from smoke import tasks
from smoke.commands import common
from smoke.errors import SmokeError
from smoke.manifest import Manifest
from smoke.records import ExitCode

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import argparse
    from pathlib import Path

# A hook cannot be given --skip-smoke; these let a human bypass `git commit`
# and `git push` the same audited way: SMOKE_SKIP_SMOKE=1 git commit ...
SKIP_VAR = "SMOKE_SKIP_SMOKE"
REASON_VAR = "SMOKE_SKIP_REASON"


def cmd(args: argparse.Namespace) -> ExitCode:
    from smoke.agents import identity as agents

    if agents.refuse_skipped_hooks("smoke gate", manifest_mod.own_bytes()):
        return ExitCode.REFUSED
    if args.skip_smoke or os.environ.get(SKIP_VAR) == "1":
        return _bypass(args)
    manifest = cache.load(args.manifest)
    task = args.task or tasks.current_task(manifest)
    if _agent_granted(manifest, task):
        return ExitCode.OK
    opts = doors.GateOptions(
        stage=args.stage, all=args.all, files=tuple(args.files), json=args.json, color=args.color,
        run=common.run_options(args),
    )
    return doors.gate(opts, manifest, task)


def _agent_granted(manifest: Manifest, task: str | None) -> bool:
    """For an agent: name an ignored override variable, and spend a person's grant for `task` if one applies."""
    from smoke.agents import identity as agents

    found = manifest.agents()
    if not found:
        return False
    ignored = agents.ignored_overrides("smoke gate")
    if ignored:
        sys.stderr.write(f"{'!' * 79}\n!!! {ignored}\n{'!' * 79}\n")
    from smoke import grants

    if not task or not grants.present(manifest.root_str):
        return False
    grant, why_not = grants.take(manifest.root, task)
    if grant is None:
        if why_not:
            sys.stderr.write(f"smoke gate: note: {why_not}; it does not apply\n")
        return False
    from smoke import policy

    log = policy.audit(manifest.root, "grant-used", task, None, str(grant.get("reason")), agent_env=found)
    bar = "!" * 79
    sys.stderr.write(
        f"{bar}\n!!! SMOKE GATE PASSED BY A GRANT for task '{task}', given by {grant.get('user')}: no scenario was run.\n"
        f"!!! Reason: {grant.get('reason')}\n!!! The grant is used up. Recorded in the audit log: {log}\n{bar}\n"
    )
    return True


def _bypass(args: argparse.Namespace) -> ExitCode:
    """--skip-smoke: loud, audited, and refused for agents (whatever their environment says)."""
    from smoke import policy

    path, root = _manifest_place(args)
    try:
        manifest: Manifest | None = manifest_mod.load(args.manifest)
    except SmokeError:
        manifest = None
    root = manifest.root if manifest else root
    task = args.task or (tasks.current_task(manifest) if manifest else None)
    decision = policy.skip_smoke(path, root, task)
    if not decision.allowed:
        from smoke.agents.identity import ignored_overrides

        ignored = ignored_overrides("smoke gate")
        if ignored:
            sys.stderr.write(f"{'!' * 79}\n!!! {ignored}\n{'!' * 79}\n")
        sys.stderr.write(decision.message)
        return ExitCode.REFUSED
    reason = args.reason or os.environ.get(REASON_VAR)
    log = policy.audit(root, "skip-smoke", task, args.stage, reason, agent_env=decision.agent_env)
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
    return ExitCode.OK


def _manifest_place(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The manifest's path (None when it cannot be found) and the repository's top level, without loading it."""
    from pathlib import Path

    try:
        path: Path | None = manifest_mod.locate(args.manifest)
    except SmokeError:
        path = None
    root = git.find_toplevel(path.parent if path is not None else Path.cwd())
    return path, root
