"""What the commands that select scenarios share: the selection from the command line, and the run options."""
from __future__ import annotations

from smoke import git
from smoke import tasks
from smoke.errors import SmokeError
from smoke.git import Change
from smoke.manifest import Manifest
from smoke.records import RunOptions
from smoke.selection import Selector

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import argparse


def selector_from_args(args: argparse.Namespace, manifest: Manifest) -> Selector:
    changes: list[Change] | None = None

    def add(more: list[Change]) -> None:
        nonlocal changes
        changes = (changes or []) + more

    if bool(args.from_ref) != bool(args.to_ref):
        raise SmokeError("--from-ref and --to-ref go together", hint="give both, e.g. --from-ref origin/main --to-ref HEAD")
    if args.task:
        add(tasks.task_changes(manifest, args.task))
    if args.changed:
        add(git.uncommitted_files(manifest.root))
    if args.staged:
        add(git.staged_files(manifest.root))
    if args.from_ref:
        for ref in (args.from_ref, args.to_ref):
            if git.rev_parse(manifest.root, ref) is None:
                raise SmokeError(f"unknown git ref '{ref}'", hint="use a branch, tag or commit that exists here")
        add(git.range_files(manifest.root, args.from_ref, args.to_ref))
    return Selector(
        names=tuple(args.names),
        all=args.all,
        owners=(args.task,) if args.task else (),
        tags=tuple(args.tag),
        changes=tuple(changes) if changes is not None else None,
    )


def nothing_selected_hint() -> str:
    return "name scenarios, or use --all, --task T, --tag TAG, --changed, --staged or --from-ref/--to-ref"


def run_options(args: argparse.Namespace) -> RunOptions:
    """What the run session needs from the command line; the Namespace goes no further."""
    return RunOptions(
        jobs=args.jobs, json=args.json, junit=args.junit, color=args.color, fail_on_skip=args.fail_on_skip,
        keep_scratch=args.keep_scratch, no_reuse=getattr(args, "no_reuse", False), task=getattr(args, "task", None),
    )
