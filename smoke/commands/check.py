"""`smoke check`: validate the manifest; with --grow-only, refuse removed or weakened scenarios."""
from __future__ import annotations

import argparse
from pathlib import Path

from smoke import git
from smoke import growdoor
from smoke import lint
from smoke import manifest as manifest_mod
from smoke.errors import SmokeError
from smoke.output import Out
from smoke.records import ExitCode


def cmd(args: argparse.Namespace) -> ExitCode:
    _check_flags(args)
    from smoke.agents import identity as agents

    if agents.refuse_skipped_hooks("smoke check", manifest_mod.own_bytes()):
        return ExitCode.REFUSED
    out = Out(color=args.color)
    if not args.grow_only or args.strict:
        path = manifest_mod.locate(args.manifest)
        root = git.find_toplevel(path.parent) or Path.cwd()
        code = lint.run(out, path, root, args.strict)
        if code or not args.grow_only:
            return code
    return growdoor.check(out, args.manifest, base=args.base, staged=args.staged, stage=args.stage, remote=args.remote)


def _check_flags(args: argparse.Namespace) -> None:
    if not args.grow_only:
        flags = (("--base", args.base), ("--staged", args.staged), ("--stage", args.stage), ("--remote", args.remote))
        for flag, given in flags:
            if given:
                raise SmokeError(f"{flag} goes with --grow-only", hint=f"smoke check --grow-only {flag} ...")
    elif args.strict and (args.staged or args.stage):
        # Validation reads the work tree; at a commit or a push what counts is
        # the staged or pushed content, which only the comparison reads.
        flag = "--staged" if args.staged else "--stage"
        raise SmokeError(f"--strict does not go with {flag}", hint="the smoke-check hook validates; run 'smoke check --strict' on its own")
    elif args.stage and (args.base or args.staged):
        raise SmokeError(
            f"--stage pre-push does not go with {'--base' if args.base else '--staged'}",
            hint="a push is compared with what the remote has",
        )
    elif args.remote and not args.stage:
        raise SmokeError("--remote goes with --stage pre-push", hint="smoke check --grow-only --stage pre-push --remote NAME")
