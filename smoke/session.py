"""The run session: build, reuse, run, report (console, JSON, JUnit, GitHub) and history, for one selection.

It takes a RunOptions record, never the command line: `smoke run` and every
door of `smoke gate` fill one and hand it down.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from smoke.errors import SmokeError
from smoke.manifest import Manifest
from smoke.output import human_stream
from smoke.records import ExitCode
from smoke.records import RunOptions
from smoke.records import Status
from smoke.selection import Selected

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from smoke.build import Built
    from smoke.output import Out
    from smoke.repostate import State
    from smoke.reuse import Reuse
    from smoke.runner import Result


def execute(
    manifest: Manifest,
    selected: list[Selected],
    opts: RunOptions,
    *,
    what: str | None = None,
    root: Path | None = None,
    on_json: Callable[[list[Result]], None] | None = None,
) -> ExitCode:
    """Run the selection, report it, and turn it into an exit code.

    `what` names the work for the gate's refusal ("task 'x'", "the commit");
    None means a plain `smoke run`. `root` is a temporary checkout to build
    and run in instead of the manifest's work tree; its build never evicts
    the work tree's from the cache. With --json, `on_json` takes the results
    instead of them being printed as one object (the caller merges several runs).
    """
    import gc

    # A door decides with the garbage collector off (smoke.main); scenarios to run make a longer
    # process: collection is back on, without walking again what was loaded to decide.
    gc.freeze()
    gc.enable()
    from smoke import report
    from smoke.output import Out
    from smoke.runner import Interrupted
    from smoke.runner import Result
    from smoke.runner import Runner
    from smoke.runner import new_run_dir

    emit = on_json or _print_json
    settings = manifest.settings
    jobs = opts.jobs or settings.jobs
    fail_on_skip = opts.fail_on_skip or settings.fail_on_skip
    if opts.junit:
        _check_writable(opts.junit, "--junit")
    out = Out(human_stream(opts.json), opts.color)
    console = report.Console(out, manifest, len(selected))
    out.line(out.paint(
        f"smoke: {len(selected)} scenario(s) from {manifest.display()}, {min(jobs, len(selected))} at a time", "title"
    ))
    path_prefix: list[str] = []
    extra_env: dict[str, str] = {}
    # Asked once: for an agent nothing cached in the git directory is used (build, reuse).
    agents = manifest.agents()
    built = None
    if settings.build:
        from smoke import build

        built = build.ensure(manifest, out, root=root, keep=root is None, fresh=bool(agents))
        if built.error:
            out.line(out.paint(f"smoke: the build failed: {built.error}", "error"))
            from smoke.output import printable

            for line in printable(built.tail).splitlines():
                out.line(f"  | {line}")
            out.line(f"smoke gate refused {what or 'the run'}: the build failed, so no scenario can be trusted")
            if opts.json:
                # Scripts still get their one object: every selected scenario is an ERROR.
                emit([Result(s.scenario.name, Status.ERROR, 0.0, reason="the build failed") for s in selected])
            return ExitCode.REFUSED
        path_prefix = [str(built.bin_dir)]
        extra_env["SMOKE_BUILD_DIR"] = str(built.build_dir)
    reuse = _reuse(manifest, selected, opts, out, root, built.key if built is not None else None, agents)
    runner = Runner(
        manifest, jobs=jobs, run_dir=new_run_dir(manifest.root), on_result=console.on_result,
        on_start=console.on_start, on_tick=console.tick, keep_scratch=opts.keep_scratch,
        path_prefix=path_prefix, extra_env=extra_env, root=root, reuse=reuse,
    )
    started = time.monotonic()
    from smoke import repostate

    where = root or manifest.root
    before = repostate.capture(where, save=True)
    try:
        results = runner.run([s.scenario for s in selected])
    except Interrupted as e:
        out.line(out.paint(
            f"smoke: interrupted: {len(e.finished)} finished, {len(e.cut)} cut short"
            + (f" ({', '.join(e.cut)})" if e.cut else "")
            + f", {len(e.not_started)} not started; their processes were ended", "error"))
        if opts.json:
            emit(e.finished)
        raise KeyboardInterrupt from None
    finally:
        runner.close()
        if built is not None:
            _release(built)
    elapsed = time.monotonic() - started
    _left_as_found(out, where, before, results)
    console.summary(results, elapsed)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from smoke import github

        github.report(out.line, manifest, results, elapsed, fail_on_skip)
    _record(manifest, results, opts.task)
    if opts.json:
        emit(results)
    if opts.junit:
        report.write_junit(opts.junit, results, manifest, elapsed)
    skips = [r for r in results if r.status == "skip"]
    if fail_on_skip and skips:
        why = "--fail-on-skip" if opts.fail_on_skip else f"fail_on_skip = true in {manifest.display()} [settings]"
        out.line(out.paint(
            f"smoke: {len(skips)} skipped scenario(s) block because of {why}: "
            + ", ".join(f"{r.name} ({r.reason})" for r in skips), "error"))
    if any(r.blocks(fail_on_skip) for r in results):
        if what:
            out.line(out.paint(report.refusal(what, results, fail_on_skip), "error"))
        return ExitCode.REFUSED
    return ExitCode.OK


def _left_as_found(out: Out, where: Path, before: State | None, results: list[Result]) -> None:
    """A scenario that changed HEAD, the index or the tracked work tree is an error, named, with where the work went."""
    from smoke import repostate

    after = repostate.capture(where)
    if before is None or after is None:
        return  # not a repository: nothing to guard
    changed = repostate.changes(before, after)
    if not changed:
        return
    ran = [r for r in results if r.status != "skip"] or results
    who = f"scenario '{ran[0].name}'" if len(ran) == 1 else f"one of the scenarios {', '.join(r.name for r in ran)}"
    why = f"the repository changed while it ran: {'; '.join(changed)}"
    for r in ran:
        r.status, r.reason = Status.ERROR, why
    bar = "!" * 79
    for line in (bar, f"!!! {who} changed the repository: {'; '.join(changed)}.",
                 f"!!! A scenario must leave HEAD, the index and the work tree as it found them; {repostate.where_it_went(before, after)}.", bar):
        out.line(out.paint(line, "error"))


def _reuse(
    manifest: Manifest, selected: list[Selected], opts: RunOptions, out: Out, root: Path | None, build_key: str | None,
    agents: list[str],
) -> Reuse | None:
    """What this run may reuse (smoke.reuse): nothing with --no-reuse, reuse_seconds = 0, or for an agent."""
    from smoke import reuse

    if opts.no_reuse or manifest.settings.reuse_seconds <= 0:
        return None
    if agents:
        # Records sit in the git directory, which an agent can write: they never pass an agent's gate.
        out.line(f"smoke: reuse is off for agents ({', '.join(agents)} is set): every selected scenario runs")
        return None
    found = reuse.Reuse(manifest, root or manifest.root, build_key)
    if not found.enabled:
        return None
    found.prepare([s.scenario for s in selected])
    return found


def _print_json(results: list[Result]) -> None:
    from smoke import report

    sys.stdout.write(report.dump_json(results) + "\n")


def _release(built: Built) -> None:
    """Let the build go once no scenario needs it: a temporary one is removed, even on a second Ctrl-C."""
    from smoke import worktree

    with worktree.signals_held():
        built.release()


def _check_writable(path: str, flag: str) -> None:
    """Refuse before any scenario runs if a report could not be written afterwards."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        ok = os.access(target.parent, os.W_OK) and not target.is_dir()
    except OSError as e:
        raise SmokeError(f"{flag} {path}: cannot create its folder ({e.strerror or e})") from None
    if not ok:
        raise SmokeError(f"{flag} {path}: cannot write there", hint="pick a writable file path")


def _record(manifest: Manifest, results: list[Result], task: str | None) -> None:
    from smoke import history

    history.append(manifest, results, task)
