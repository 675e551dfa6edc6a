"""`smoke check`'s validation: every manifest error and warning, and what the manifest alone cannot say
(globs that do not compile, scripts no scenario runs, scenarios nothing selects or that assert nothing)."""
from __future__ import annotations

import re
from pathlib import Path

from smoke import manifest as manifest_mod
from smoke import output
from smoke.errors import ManifestError
from smoke.manifest import LineMap
from smoke.manifest import Manifest
from smoke.output import Out
from smoke.records import ExitCode
from smoke.records import Problem

# Files in the scenarios folder that are shared code, not scenarios.
SHARED_SCRIPTS = ("helpers.sh",)
SHARED_DIRS = ("lib",)


def run(out: Out, path: Path, root: Path, strict: bool) -> ExitCode:
    """Print every error and warning and a summary; exit code 2 on errors, else 0."""
    display = output.shown(path)
    try:
        manifest = manifest_mod.load_path(path, root)
    except ManifestError as e:
        _print(out, sorted(e.problems, key=_line_of), [])
        out.line(f"smoke check: {display}: {len(e.problems)} error(s), 0 warning(s)")
        return ExitCode.USAGE
    text = path.read_bytes().decode("utf-8")
    lines = LineMap(text)
    errors = [*manifest.deferred.values(), *_glob_errors(manifest, lines)]
    warnings = [Problem(None, None, text) for text in manifest.warnings]
    if not manifest.scenarios:
        what = "the manifest has no scenarios, so the gate guards nothing"
        fix = "add one: smoke add NAME --owner TASK --run CMD --record"
        if strict:
            errors.append(Problem(display, 1, what, hint=fix))
        else:
            warnings.append(Problem(display, 1, f"warning: {what}", hint=f"{fix}; smoke check --strict refuses this"))
    for sc in manifest.scenarios:
        if not sc.owners and not sc.paths:
            warnings.append(Problem(
                display, sc.line, "warning: nothing selects it but --all: it has no owners and no paths",
                scenario=sc.name, hint='add owners = ["<task>"] or paths = ["src/**"]',
            ))
        if not sc.has_positive_assertion:
            line = lines.key(sc.index, "expect")
            what = "declares no expected output, so only its exit code is checked"
            fix = "add stdout_contains, stdout_matches, lines_in_order, json or files under [scenario.expect]"
            if strict:
                errors.append(Problem(display, line, what, scenario=sc.name, key="expect", hint=fix))
            else:
                warnings.append(Problem(
                    display, line, f"warning: {what}", scenario=sc.name, key="expect",
                    hint=f"{fix}; smoke check --strict refuses this",
                ))
    warnings.extend(_orphans(manifest))
    _print(out, sorted(errors, key=_line_of), sorted(warnings, key=_line_of))
    if errors:
        out.line(f"smoke check: {display}: {len(errors)} error(s), {len(warnings)} warning(s)")
        return ExitCode.USAGE
    out.line(f"smoke check: {display}: {len(manifest.scenarios)} scenario(s) OK, {len(warnings)} warning(s)")
    return ExitCode.OK


def _print(out: Out, errors: list[Problem], warnings: list[Problem]) -> None:
    for problem in errors:
        out.line(out.paint(str(problem), "error"))
    for warning in warnings:
        out.line(out.paint(str(warning), "warn"))


def _line_of(problem: Problem) -> int:
    return problem.line or 0


def _glob_errors(manifest: Manifest, lines: LineMap) -> list[Problem]:
    """Compile every path glob with the library selection uses (too slow to import on every run)."""
    if not any(sc.paths for sc in manifest.scenarios):
        return []
    import warnings

    from pathspec import GitIgnoreSpec

    found = []
    for sc in manifest.scenarios:
        for pattern in sc.paths:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    GitIgnoreSpec.from_lines([pattern])
            except Exception as e:  # pathspec raises its own errors and re.error alike
                # A position would point into pathspec's regex, not into the glob.
                why = re.sub(r" at position \d+", "", str(e))
                found.append(Problem(
                    manifest.display(), lines.key(sc.index, "paths"),
                    f"{pattern!r} does not compile as a gitignore-style glob: {why}",
                    scenario=sc.name, key="paths", hint="fix or escape it",
                ))
    return found


def _orphans(manifest: Manifest) -> list[Problem]:
    """Scripts in the scenarios folder that no scenario runs."""
    folder = manifest.dir / "scenarios"
    if not folder.is_dir():
        return []
    used = {(manifest.dir / sc.script).resolve() for sc in manifest.scenarios if sc.script}
    commands = "\n".join(sc.run for sc in manifest.scenarios if sc.run)
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if rel.parts[0] in SHARED_DIRS or rel.as_posix() in SHARED_SCRIPTS:
            continue
        if path.resolve() in used or path.name in commands:
            continue
        script = (Path("scenarios") / rel).as_posix()
        found.append(Problem(
            output.shown(path), 1, "warning: no scenario runs this script",
            hint=f"add one with 'smoke add NAME --owner T --script {script}', move shared code to scenarios/lib/,"
            " or delete it",
        ))
    return found
