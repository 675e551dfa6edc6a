"""`smoke prove`: show that a scenario fails on the bad ref and passes on the good one."""
from __future__ import annotations

import argparse
import difflib
import sys

from smoke import git
from smoke import manifest as manifest_mod
from smoke.errors import SmokeError
from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.output import Out
from smoke.prove import prove
from smoke.records import ExitCode


def cmd(args: argparse.Namespace) -> ExitCode:
    _check_args(args)
    manifest = manifest_mod.load(args.manifest)
    out = Out(sys.stdout, args.color)
    if args.all_proven:
        return _all_proven(manifest, out)
    proof = prove(manifest, _scenario(manifest, args.name), args.bad, args.good, out)
    out.line(out.paint(f"smoke prove: {proof.message}", "pass" if proof.ok else "error"))
    return ExitCode.OK if proof.ok else ExitCode.REFUSED


def _check_args(args: argparse.Namespace) -> None:
    if args.all_proven:
        if args.name or args.bad or args.good:
            raise SmokeError(
                "--all-proven re-runs the recorded proofs and takes no NAME, --bad or --good",
                hint="use either 'smoke prove NAME --bad REF' or 'smoke prove --all-proven'",
            )
        return
    if not args.name:
        raise SmokeError("which scenario?", hint="smoke prove NAME --bad REF [--good REF], or smoke prove --all-proven")
    if not args.bad:
        raise SmokeError(
            "--bad REF is required: the commit where the scenario must fail",
            hint=f"e.g. smoke prove {args.name} --bad HEAD~1",
        )


def _scenario(manifest: Manifest, name: str) -> Scenario:
    scenarios = manifest.by_name()
    if name in scenarios:
        return scenarios[name]
    close = difflib.get_close_matches(name, list(scenarios), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "'smoke list --all' shows every scenario"
    raise SmokeError(f"no scenario named '{name}' in {manifest.display()}", hint=hint)


def _all_proven(manifest: Manifest, out: Out) -> ExitCode:
    recorded = [s for s in manifest.scenarios if s.proven_against]
    # `smoke add --unproven` records a proof that already failed; re-running it proves nothing new.
    proven = [s for s in recorded if s.proven is not False]
    if not proven:
        out.line("smoke prove: no scenario records a proof (proven_against); nothing to re-prove")
        return ExitCode.OK
    lost: list[str] = []
    for sc in proven:
        assert sc.proven_against is not None
        if git.rev_parse(manifest.root, sc.proven_against) is None:
            lost.append(f"{sc.name} (proven_against {sc.proven_against[:12]} is not in this repository; "
                        "fetch the full history)")
            out.line(out.paint(f"smoke prove: cannot re-run the proof of '{sc.name}': {lost[-1]}", "error"))
            continue
        proof = prove(manifest, sc, sc.proven_against, None, out)
        out.line(out.paint(f"smoke prove: {proof.message}", "pass" if proof.ok else "error"))
        if not proof.ok:
            lost.append(sc.name)
    return _summary(out, len(proven), len(recorded) - len(proven), lost)


def _summary(out: Out, checked: int, unproven: int, lost: list[str]) -> ExitCode:
    skipped = f" ({unproven} recorded as proven = false not re-run)" if unproven else ""
    if not lost:
        out.line(out.paint(f"smoke prove: all {checked} recorded proof(s) still hold{skipped}", "pass"))
        return ExitCode.OK
    out.line(out.paint(
        f"smoke prove: {len(lost)} of {checked} scenario(s) lost their teeth{skipped}: {', '.join(lost)}", "error"
    ))
    return ExitCode.REFUSED
