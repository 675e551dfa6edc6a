"""The stop door: run the gate for the agent's work within the harness's time, and remember repeated refusals.

What is gated is what `smoke gate --task T` gates: the scenarios task T owns
(T from $SMOKE_TASK, $WG_TASK_ID or the branch) and those guarding the files
the work changed: uncommitted changes, and commits on HEAD since the merge-base
with `base_ref` (plus, with a task, commits naming it). The scenarios run in a
`smoke run` child, so the runner's own guarantees hold (process trees ended,
secrets masked, results recorded); at the deadline the child is interrupted,
reports what finished, and what did not finish blocks.

The loop rule: a refusal on the same failure with the same work tree as the
last one counts again; after `tries` of them the agent may stop, and the
person is told that nothing passed. Only the stop door loosens: `wg done`,
commits and pushes run the gate afresh and stay refused.
"""
from __future__ import annotations

import os
import posixpath
import signal
import sys
import time

from smoke import git
from smoke import pathstr
from smoke.errors import SmokeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from smoke.git import Steps
    from smoke.pathstr import StrPath

STATE_FILE = "agent-stops.json"
REASON_MAX_CHARS = 8000
BLOCKING = ("fail", "timeout", "error")


class Verdict:
    """The gate's answer for the stop: `broken` is empty when the agent may stop."""

    def __init__(self, broken: list[str], reason: str, fingerprint: str, note: str = "") -> None:
        self.broken = broken
        self.reason = reason
        self.fingerprint = fingerprint
        self.note = note


def gate(root: StrPath, deadline: float, limit: float) -> Verdict:
    """Select and run the scenarios guarding the agent's work, answering before `deadline` (time.monotonic()).

    `limit` is the hook's whole time in seconds, for the message.
    """
    from smoke import manifest as manifest_mod
    from smoke import tasks
    from smoke.selection import Selector
    from smoke.selection import select

    # Whether the suite changed since the work began, and what the work changed: independent questions,
    # which git answers at once (what changed is read only once the suite's answer refuses nothing).
    with git.Batch(root) as batch:
        # Those that need no manifest start now and run while it is parsed: the same
        # questions asked below, while these run, are answered by the same git processes.
        batch.add(git.full_status_steps())
        named = tasks.named_task()
        if named:
            batch.add(git.task_commit_files_steps(root, named))
        # An agent's gate reads the repository's own manifest (SPEC, "What the gate trusts"):
        # not one a variable points at, here or in the children below. Its root is `root`.
        manifest = manifest_mod.load(pathstr.join(root, manifest_mod.DEFAULT_REL_PATH), cwd=root)
        task = tasks.current_task(manifest)
        scripts = [sc.script for sc in manifest.scenarios if sc.script is not None]
        began = batch.add(_suite_changed_steps(manifest.root_str, manifest.settings.base_ref, scripts))
        parts = [batch.add(steps) for steps in tasks.change_steps(manifest, task)]
        batch.run()
    scope = f"task '{task}'" if task else "your change"
    weakened = _grow_only(manifest.root_str, began(), deadline)
    if weakened is not None:
        reason = (
            f"smoke-gate: you are not done. The smoke gate refuses {scope}: the smoke suite was weakened since "
            f"the work began.\n{weakened}\nRestore what was removed or loosened; fix the code, never the scenario."
        )
        return Verdict(["(grow-only)"], _cap(reason), _fingerprint(root, ["grow-only", weakened]))
    changes = [change for part in parts for change in part()]
    owners = (task,) if task else ()
    selected = select(manifest.scenarios, Selector(owners=owners, changes=tuple(changes)))
    if not selected:
        return Verdict([], "", "", f"smoke-gate: no scenario guards {scope}; nothing to run")
    names = [s.scenario.name for s in selected]
    results, finished, stderr, code = _run(manifest.root_str, names, deadline)
    fail_on_skip = manifest.settings.fail_on_skip
    broken = [r["name"] for r in results if r.get("status") in BLOCKING or (fail_on_skip and r.get("status") == "skip")]
    unfinished = [n for n in names if n not in {r.get("name") for r in results}]
    if not finished:
        unfinished = unfinished or names
    rerun = f"smoke gate --task {task}" if task else "smoke run " + " ".join(
        [n for n in names if n in broken or n in unfinished] or names
    )
    if code not in (0, 1, 130) and not results:
        # The run itself could not start (a bad manifest, a failing build): what it said is the reason.
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        reason = (
            f"smoke-gate could not run the scenarios guarding {scope} (exit {code}); nothing passed:\n{tail}\n"
            f"Fix that, then run `{rerun}` until it passes."
        )
        return Verdict(names, reason, _fingerprint(root, ["run-failed", tail]))
    if not broken and not unfinished:
        return Verdict([], "", "", f"smoke-gate: {len(names)} scenario(s) guarding {scope} passed")
    lines = [f"smoke-gate: you are not done. The smoke gate refuses {scope}:"]
    if broken:
        lines.append(f"{len(broken)} scenario(s) guarding it fail. Fix the code (never the scenario) until they pass.")
        lines.extend(_blocks(stderr, set(broken)))
    if unfinished:
        lines.append(
            f"{len(unfinished)} scenario(s) did not finish within this hook's {limit:g} s and count as not "
            f"passed: {', '.join(unfinished)}."
        )
    lines.append(f"Run them yourself with `{rerun}` and make it pass before you stop; "
                 "`wg done`, `git commit` and `git push` refuse while it fails.")
    reason = _cap("\n".join(lines))
    fp = _fingerprint(root, sorted(broken) + ["unfinished:"] + sorted(unfinished))
    return Verdict(sorted(broken) + sorted(unfinished), reason, fp)


def _suite_changed_steps(root: StrPath, base_ref: str, scripts: list[str]) -> Steps[str | None]:
    """Where the work began (the merge-base, else HEAD) when the suite may have changed since; None when there is nothing to compare."""
    found = yield from git.merge_base_steps(root, base_ref)
    base = found[1] if found else ("HEAD" if (yield from git.rev_parse_steps("HEAD")) is not None else None)
    if base is None:
        return None
    if (yield from _suite_untouched_steps(root, base, scripts)):
        return None
    return base


def _grow_only(root: StrPath, base: str | None, deadline: float) -> str | None:
    """What `smoke check --grow-only` refuses against `base`, where the work began; None when nothing (or no base)."""
    if base is None:
        return None
    import subprocess

    try:
        res = subprocess.run(
            [sys.executable, "-E", "-P", "-m", "smoke", "check", "--grow-only", "--base", base, "--color", "never"],
            cwd=root, env=_child_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
            timeout=max(1.0, (deadline - time.monotonic()) / 2),
        )
    except subprocess.TimeoutExpired:
        return "the grow-only check did not finish in time"
    if res.returncode == 0:
        return None
    return (res.stdout + res.stderr).strip() or f"smoke check --grow-only exited {res.returncode}"


def _suite_untouched_steps(root: StrPath, base: str, scripts: list[str]) -> Steps[bool]:
    """Whether nothing grow-only protects differs from `base`: then there is nothing to compare.

    A weakening needs a change to the manifest, to a file in its folder (the
    scenarios) or to a script it names (`scripts`, as the loaded manifest names
    them: when the manifest itself is unchanged, also those at `base`).
    `git diff <base>` lists every tracked file the work tree changed since
    (staged or not, deletions included), so one git process spares starting
    `smoke check` and parsing two manifests. When `base` is HEAD (work not yet
    committed), `git status`, which the stop asks anyway, lists all of those
    and perhaps more (a file staged, then changed back): never "untouched"
    where `git diff` would not say so, and no git process of its own.
    """
    from smoke import manifest as manifest_mod

    rel = manifest_mod.DEFAULT_REL_PATH
    folder = posixpath.dirname(rel)
    try:
        if base == "HEAD" or base == git.head_sha(root):
            changed = [path for code, path in (yield from git.full_status_steps()) if code != "??"]
        else:
            changed = yield from git.changed_since_steps(base)
    except SmokeError:
        return False
    if any(path == rel or path.startswith(folder + "/") for path in changed):
        return False
    named = {posixpath.normpath(posixpath.join(folder, script)) for script in scripts}
    return not named.intersection(changed)


def _child_env() -> dict[str, str]:
    """The hook's environment for its `smoke` children: the repository's own manifest, no override, and
    marked as an agent's. A harness's hook environment need not carry the agent's variable, and a person's
    SMOKE_ALLOW_SHRINK=1 there must not pass an agent's weakened suite; an agent's gate names no variable."""
    from smoke.agents.bypass import GATE_VARS

    env = {k: v for k, v in os.environ.items() if k not in GATE_VARS}
    if not env.get("WG_AGENT_ID", "").strip():
        env["WG_AGENT_ID"] = "agent-hook"
    return env


def _run(root: StrPath, names: list[str], deadline: float) -> tuple[list[dict[str, Any]], bool, str, int]:
    """`smoke run --json NAMES` in a child: (results, whether it finished, its report, its exit code)."""
    import json
    import subprocess

    command = [sys.executable, "-E", "-P", "-m", "smoke", "run", "--json", "--color", "never", "--", *names]
    budget = deadline - time.monotonic()
    grace = min(10.0, max(0.5, budget * 0.25))
    child = subprocess.Popen(
        command, cwd=root, env=_child_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, errors="replace", start_new_session=True, preexec_fn=_term_with_parent,
    )
    finished = True
    try:
        out, err = child.communicate(timeout=max(0.1, budget - grace))
    except subprocess.TimeoutExpired:
        finished = False
        # TERM: the runner ends every scenario's tree and prints what finished.
        child.send_signal(signal.SIGTERM)
        try:
            out, err = child.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            out, err = child.communicate()
    except BaseException:
        # The hook itself is being stopped: the run still ends its scenarios' trees on TERM.
        child.send_signal(signal.SIGTERM)
        try:
            child.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
        raise
    results: list[dict[str, Any]] = []
    try:
        doc = json.loads(out) if out.strip() else {}
        results = [r for r in doc.get("results", []) if isinstance(r, dict)]
    except ValueError:
        pass
    return results, finished and child.returncode in (0, 1), err, child.returncode


def _term_with_parent() -> None:
    """In the child: TERM when the hook dies (a harness that kills its hook by timeout kills only the hook)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass


def _blocks(report: str, names: set[str]) -> list[str]:
    """The report's block for each broken scenario: status line, manifest line, failed checks, output tails, saved output."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in report.splitlines():
        if line and not line.startswith(" "):
            current = None
            if any(line.startswith(name + "...") for name in names):
                current = [line]
                blocks.append("")
        elif current is not None:
            current.append(line)
        if current is not None:
            blocks[-1] = "\n".join(current)
    return blocks


def _cap(text: str) -> str:
    if len(text) <= REASON_MAX_CHARS:
        return text
    return text[: REASON_MAX_CHARS - 80] + "\n[... cut; the full report is in the saved output named above]"


def _fingerprint(root: StrPath, what: list[str]) -> str:
    """What is failing and the whole work tree's state: unchanged means the agent changed nothing since."""
    import hashlib
    import subprocess

    h = hashlib.sha256("\0".join(what).encode())
    try:
        h.update(subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True).stdout)
        h.update(subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=root, capture_output=True).stdout)
        untracked = subprocess.run(
            ["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=root, capture_output=True,
        ).stdout
        for rel in sorted(p for p in untracked.split(b"\0") if p):
            h.update(rel)
            try:
                with open(pathstr.join(root, rel.decode(errors="replace")), "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
            except OSError:
                pass
    except OSError:
        pass
    return h.hexdigest()


# ---------------------------------------------------------------- the loop rule


def refusals(root: StrPath | None, key: str, fingerprint: str) -> int:
    """Count this refusal: how many refusals in a row (this one included) had the same failure and work tree."""
    state, path = _state(root)
    entry = state.get(key) if isinstance(state.get(key), dict) else None
    count = int(entry.get("count", 0)) + 1 if entry and entry.get("fingerprint") == fingerprint else 1
    state[key] = {"fingerprint": fingerprint, "count": count, "time": time.time()}
    _save(path, state)
    return count


def forget(root: StrPath | None, key: str) -> None:
    state, path = _state(root)
    if key in state:
        del state[key]
        _save(path, state)


def _state(root: StrPath | None) -> tuple[dict[str, Any], str | None]:
    base = git.private_dir_str(root) if root is not None else None
    if base is None:
        return {}, None
    import json

    path = pathstr.join(base, "smoke", STATE_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.loads(f.read())
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    # Old sessions are dropped: a day is longer than any agent's turn.
    now = time.time()
    return {k: v for k, v in data.items() if isinstance(v, dict) and now - float(v.get("time", 0)) < 86400}, path


def _save(path: str | None, state: dict[str, Any]) -> None:
    if path is None:
        return
    try:
        import json
        from pathlib import Path

        from smoke import files

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write(Path(path), json.dumps(state), durable=False)
    except OSError:
        pass  # without a record the stop is refused every time: the harness's own cap still ends the turn
