"""Teeth: a scenario must fail where the bug is and pass where it is fixed.

Each side is checked out in a temporary detached worktree (the work tree
itself for the default good side), built when settings.build is set, and
the scenario runs there: its working directory, SMOKE_REPO_ROOT and the
build come from that side. The scenario itself - its script, expectations
and SMOKE_MANIFEST_DIR - always comes from the *current* manifest, because
the bad ref usually predates the scenario.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from smoke import git
from smoke import worktree
from smoke.errors import SmokeError
from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.output import Out
from smoke.records import Status
from smoke.runner import Result
from smoke.runner import new_run_dir

BAD_STATUSES = (Status.FAIL, Status.TIMEOUT)
GOOD_STATUSES = (Status.PASS, Status.FLAKY)


@dataclasses.dataclass
class Side:
    """One half of a proof: where the scenario ran and what came of it."""

    role: str  # "bad" or "good"
    ref: str | None  # as given; None is the work tree
    sha: str | None  # None is the work tree
    result: Result | None = None
    build_error: str | None = None
    build_tail: str = ""

    def where(self) -> str:
        if self.sha is None:
            return "the work tree"
        if self.ref is None or self.sha.startswith(self.ref):
            return f"commit {self.sha[:10]}"
        return f"{self.ref} ({self.sha[:10]})"

    def problem(self) -> str | None:
        """Why this side disagrees with the proof, or None when it agrees."""
        if self.build_error:
            return f"the build failed at the {self.role} side, {self.where()}: nothing was proven"
        r = self.result
        assert r is not None
        if r.status == Status.SKIP:
            return f"it was SKIPPED at the {self.role} side, {self.where()} ({r.reason}); a skip is not a proof"
        if self.role == "bad" and r.status not in BAD_STATUSES:
            if r.status == Status.ERROR:
                return f"it could not run at the bad side, {self.where()} ({r.reason}); an error is not a caught bug"
            return f"it passed at the bad side, {self.where()}, where it must fail"
        if self.role == "good" and r.status not in GOOD_STATUSES:
            return f"it did not pass at the good side, {self.where()} ({_label(r)}: {r.short_reason()}), where it must pass"
        return None


@dataclasses.dataclass
class Proof:
    ok: bool
    bad_sha: str
    message: str
    scenario: str
    bad: Side
    good: Side


def prove(manifest: Manifest, scenario: Scenario, bad: str, good: str | None, out: Out) -> Proof:
    """Run `scenario` at `bad` (must FAIL or TIME OUT) and at `good` (default: the work tree; must PASS).

    Prints progress and the report of any side that disagrees to `out`; the
    verdict is Proof.message, for the caller to print. Unknown refs raise
    SmokeError. Temporary worktrees and builds are removed, also on Ctrl-C.
    """
    root = manifest.root
    bad_side = Side("bad", bad, resolve(root, bad, "--bad"))
    good_side = Side("good", good, resolve(root, good, "--good") if good else None)
    assert bad_side.sha is not None
    out.line(out.paint(
        f"smoke prove: '{scenario.name}' must fail at {bad_side.where()} and pass at {good_side.where()}", "title"
    ))
    logs = new_run_dir(manifest.root, "prove")
    for side in (bad_side, good_side):
        _check(manifest, scenario, side, out, logs / side.role)
    problems = [(s, p) for s in (bad_side, good_side) if (p := s.problem())]
    for side, _ in problems:
        _show(manifest, side, out)
    if problems:
        message = f"scenario '{scenario.name}' has no teeth: " + "; and ".join(p for _, p in problems)
    else:
        message = (
            f"scenario '{scenario.name}' has teeth: {_reason(bad_side)} at {bad_side.where()}, "
            f"PASS at {good_side.where()}"
        )
    return Proof(not problems, bad_side.sha, message, scenario.name, bad_side, good_side)


def resolve(root: Path, ref: str, flag: str) -> str:
    """The full commit sha of `ref`, or a one-line SmokeError."""
    sha = git.rev_parse(root, ref) if ref.strip() and not ref.startswith("-") else None
    if sha is None:
        raise SmokeError(f"{flag} {ref!r} is not a commit in this repository", hint="use a branch, tag or sha that exists here")
    return sha


# ---------------------------------------------------------------- one side


def _check(manifest: Manifest, scenario: Scenario, side: Side, out: Out, logs: Path) -> None:
    with worktree.checkout(manifest.root, side.sha, prefix="smoke-prove-") as tree:
        path_prefix: list[str] = []
        extra_env: dict[str, str] = {}
        built = None
        if manifest.settings.build:
            from smoke import build

            # Only the work tree's build goes into the cache: old refs must not evict it.
            built = build.ensure(manifest, out, root=tree, keep=side.sha is None)
            if built.error:
                side.build_error = built.error
                side.build_tail = built.tail
                out.line(f"  {side.role:<4} {'ERROR':<7} at {side.where()}: the build failed")
                return
            path_prefix = [str(built.bin_dir)]
            extra_env["SMOKE_BUILD_DIR"] = str(built.build_dir)
        try:
            side.result = _run(manifest, scenario, tree, logs, path_prefix, extra_env)
        finally:
            if built is not None:
                with worktree.signals_held():
                    built.release()
    r = side.result
    reason = f": {r.short_reason()}" if r.status != Status.PASS else ""
    out.line(f"  {side.role:<4} {_label(r):<7} at {side.where()}{reason}")


def _run(
    manifest: Manifest, scenario: Scenario, tree: Path, logs: Path, path_prefix: list[str], extra_env: dict[str, str]
) -> Result:
    from smoke.runner import Interrupted
    from smoke.runner import Runner

    runner = Runner(manifest, jobs=1, run_dir=logs, root=tree, path_prefix=path_prefix, extra_env=extra_env)
    try:
        return runner.run([scenario])[0]
    except Interrupted:
        raise KeyboardInterrupt from None
    finally:
        runner.close()


# ---------------------------------------------------------------- report


def _show(manifest: Manifest, side: Side, out: Out) -> None:
    """The disagreeing side's report: the build's tail, or the scenario's block."""
    from smoke import report

    out.line(out.paint(f"--- {side.role} side, {side.where()} ---", "bold"))
    if side.build_error:
        out.line(out.paint(f"smoke: the build failed: {side.build_error}", "error"))
        out.line("\n".join(f"  | {line}" for line in side.build_tail.splitlines()) or "  (no output)")
        return
    r = side.result
    assert r is not None
    lines = report.Console(out, manifest, 1).block(r)
    if r.status in GOOD_STATUSES:
        # A pass block is one line; what it printed shows why it could not tell the sides apart.
        if r.stdout_tail:
            lines.append(out.paint("  --- stdout (last lines) ---", "dim"))
            lines.extend(f"  | {ln}" for ln in r.stdout_tail.splitlines())
        if r.log:
            lines.append(f"  full output: {r.log}")
    for line in lines:
        out.line(line)


def _label(r: Result) -> str:
    from smoke.report import LABELS

    return LABELS[r.status]


def _reason(side: Side) -> str:
    r = side.result
    assert r is not None
    return f"{_label(r)} ({r.short_reason()})"
