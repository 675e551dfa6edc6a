"""`smoke add`: append one regression scenario, every existing byte of the manifest kept."""
from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from smoke import editing
from smoke import git
from smoke import manifest as manifest_mod
from smoke.errors import SmokeError
from smoke.output import Out
from smoke.output import err
from smoke.output import shown
from smoke.records import ExitCode


def cmd(args: argparse.Namespace) -> ExitCode:
    if args.unproven and not args.regression_of:
        raise SmokeError("--unproven goes with --regression-of REF", hint="drop --unproven, or say which ref the bug is at")
    path = manifest_mod.locate(args.manifest)
    root = git.find_toplevel(path.parent) or Path.cwd()
    entry = entry_from_args(args, path, root)
    scaffold = args.run is None and args.script is None
    out = Out(color=args.color)
    recorded: dict[str, int] | None = None
    if args.record:
        from smoke import record

        if scaffold:
            raise SmokeError("--record needs a command to run", hint="pass --run CMD or --script PATH with --record")
        entry, recorded = record.record(path, root, entry, out)
    if args.regression_of:
        if scaffold:
            raise SmokeError(
                "--regression-of needs a written repro",
                hint="pass --run CMD or --script PATH; a scaffold that is not written yet cannot be proven",
            )
        proved = _prove(args, path, root, entry, out)
        if proved is None:
            return ExitCode.REFUSED
        entry = proved
    added = editing.add(path, root, entry, scaffold)
    _report(out, added, entry)
    if recorded is not None:
        from smoke import record

        record.explain(out, entry, recorded)
    return ExitCode.OK


def entry_from_args(args: argparse.Namespace, path: Path, root: Path) -> editing.Entry:
    """The scenario asked for; every input a user can get wrong is refused here, before any lock or write."""
    name = args.name
    if not manifest_mod.valid_name(name):
        raise SmokeError(f"invalid scenario name {name!r}", hint="use letters, digits, '_', '.', '-'")
    if not args.owner:
        raise SmokeError("a scenario needs an owner", hint="pass --owner TASK: the task this scenario protects")
    for flag, values in (("--owner", args.owner), ("--tag", args.tag)):
        for value in values:
            if not value.strip():
                raise SmokeError(f"{flag} is empty", hint=f"give {flag} a value")
    for glob in args.path:
        problem = manifest_mod.glob_problem(glob)
        if problem:
            raise SmokeError(f"--path {glob!r}: {problem}", hint="a gitignore-style glob from the repository root, e.g. src/**")
    for pattern in args.matches:
        problem = manifest_mod.regex_problem(pattern)
        if problem:
            raise SmokeError(
                f"--matches {pattern!r} does not compile: {problem}",
                hint="it is a Python regex; escape special characters, e.g. '\\.' or '\\('",
            )
    for text in args.contains:
        if text == "":
            raise SmokeError("--contains '' asserts nothing", hint="give the text the output must contain")
    for req in args.requires:
        if not manifest_mod.valid_requirement(req):
            raise SmokeError(f"--requires {req!r} is not a URL, host:port or cmd:NAME", hint="e.g. https://host:8080, db:5432, cmd:wg")
    if args.run is not None and not args.run.strip():
        raise SmokeError("--run is empty", hint="give the shell command that reproduces the bug")
    script = _script(args.script, path, root) if args.script is not None else None
    return editing.Entry(
        name=name,
        owners=tuple(args.owner),
        paths=tuple(args.path),
        run=args.run,
        script=script if script is not None else (editing.scaffold_script(name) if args.run is None else None),
        description=args.description,
        timeout_seconds=args.timeout,
        requires=tuple(args.requires),
        tags=tuple(args.tag),
        contains=tuple(args.contains),
        matches=tuple(args.matches),
    )


def _script(given: str, path: Path, root: Path) -> str:
    """The script relative to the manifest's folder, refused when it leaves the repository or is missing."""
    if not given.strip():
        raise SmokeError("--script is empty", hint="give a path relative to the manifest's folder")
    full = (path.parent / given).resolve()
    try:
        full.relative_to(root.resolve())
    except ValueError:
        raise SmokeError(f"--script {given!r} leaves the repository ({root})", hint="keep scripts inside it") from None
    if not full.is_file():
        raise SmokeError(
            f"--script {given!r} does not exist (looked for {full})",
            hint="write it first, or leave out --script to scaffold one",
        )
    # Relative to the manifest's folder, as the manifest says; an absolute path would not survive a clone.
    rel = os.path.normpath(given) if not os.path.isabs(given) else os.path.relpath(full, path.parent.resolve())
    return Path(rel).as_posix()


def _prove(args: argparse.Namespace, path: Path, root: Path, entry: editing.Entry, out: Out) -> editing.Entry | None:
    """Prove the scenario catches the regression; the entry to write, or None when refused."""
    from smoke import prove

    _, manifest, scenario = editing.candidate(path, root, entry)
    proof = prove.prove(manifest, scenario, args.regression_of, None, out)
    if proof.ok:
        return dataclasses.replace(entry, proven_against=proof.bad_sha)
    if args.unproven:
        err(f"smoke add: warning: {proof.message}")
        err(f"smoke add: warning: adding '{entry.name}' unproven (recorded as proven = false)")
        return dataclasses.replace(entry, proven=False)
    err(f"smoke add: {proof.message}")
    err(
        f"smoke add: refused: '{entry.name}' does not catch the regression at {args.regression_of}; nothing was"
        " written (fix the repro, or pass --unproven to add it anyway)"
    )
    return None


def _report(out: Out, added: editing.Added, entry: editing.Entry) -> None:
    where = f"{added.manifest.display()}:{added.scenario.line}"
    out.line(f"smoke add: added scenario '{entry.name}' at {where}")
    if entry.proven_against:
        out.line(f"smoke add: proven: it fails at {entry.proven_against[:12]} and passes now")
    if added.script_path is not None:
        script = shown(added.script_path)
        if added.script_existed:
            out.line(f"smoke add: using the existing {script}")
        else:
            out.line(f"smoke add: wrote {script}: it fails ({editing.NOT_WRITTEN}) until you write the repro")
    if not added.scenario.has_positive_assertion:
        err(
            f"smoke add: warning: '{entry.name}' asserts nothing about its output; add --contains/--matches"
            " or edit its [scenario.expect] (smoke check --strict refuses it)"
        )
