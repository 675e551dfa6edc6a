"""`smoke agent-hook HARNESS EVENT`: what an agent harness's hook runs; answers in that harness's protocol.

Fail closed in the harness's own terms: whatever goes wrong (bad input, a bad
manifest, a crash, a run that cannot finish in time) the stop is refused and
the command denied, with the reason, on exit 0. Claude Code reads exit 1 as
"go ahead", so nothing here may exit 1.
"""
from __future__ import annotations

import json
import os
import sys
import time

from smoke.agents import protocol
from smoke.agents.harnesses import HARNESSES
from smoke.agents.harnesses import Harness
from smoke.agents.protocol import Answer

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

# Where harnesses name the project, for a hook whose input gives no folder.
PROJECT_VARS = ("CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR", "CODEX_PROJECT_DIR", "CURSOR_PROJECT_DIR")


def cmd(args: argparse.Namespace) -> int:
    h = HARNESSES[args.harness]
    try:
        answer = _answer(h, args)
    except BaseException as e:  # noqa: B036 - fail closed on anything, Ctrl-C and the harness's TERM included
        answer = _failed(h, args.event, e)
    sys.stdout.write(answer.text())
    sys.stdout.flush()
    if answer.stderr:
        sys.stderr.write(answer.stderr)
    return answer.code


def _answer(h: Harness, args: argparse.Namespace) -> Answer:
    started = time.monotonic()
    text = sys.stdin.read() if sys.stdin is not None else ""
    try:
        data: Any = json.loads(text) if text.strip() else {}
    except ValueError as e:
        return _refuse(h, args.event, f"smoke-gate could not read the hook's input as JSON ({e}), so nothing was checked")
    if not isinstance(data, dict):
        return _refuse(h, args.event, "smoke-gate's hook input is not a JSON object, so nothing was checked")
    if args.event in h.stop_events:
        return _stop(h, data, started + args.deadline, args.deadline, args.tries)
    if args.event == h.pretool_event:
        return _pretool(h, data)
    known = ", ".join(h.events)
    return _refuse(h, args.event, f"smoke-gate does not know the {h.title} event '{args.event}' (it knows {known})")


def _stop(h: Harness, data: dict[str, Any], deadline: float, limit: float, tries: int) -> Answer:
    from smoke.agents import stophook
    from smoke.errors import SmokeError

    root = _root(h, data)
    if root is None:
        where = protocol.workdir(h, data) or os.getcwd()
        return protocol.block(h, f"smoke-gate: {where} is not inside a git repository, so the gate cannot check your work")
    os.chdir(root)
    key = f"{h.name}:{protocol.session(h, data)}"
    try:
        verdict = stophook.gate(root, deadline, limit)
    except SmokeError as e:
        reason = (
            f"smoke-gate cannot check your work, so it is not done: {e}\n"
            "Fix that, then run `smoke gate` until it passes."
        )
        verdict = stophook.Verdict(["(the gate)"], reason, stophook._fingerprint(root, [str(e)]))
    if not verdict.broken:
        stophook.forget(root, key)
        return protocol.passed(h, verdict.note)
    count = stophook.refusals(root, key, verdict.fingerprint)
    if count > tries:
        return protocol.released(h, (
            f"smoke-gate let the agent stop after {count - 1} refusals in a row on the same failure with no change "
            f"to the work ({', '.join(verdict.broken)}). This is NOT a pass: `wg done`, `git commit` and `git push` "
            "stay refused until `smoke gate` passes."
        ))
    return protocol.block(h, verdict.reason)


def _pretool(h: Harness, data: dict[str, Any]) -> Answer:
    from smoke.agents import bypass

    command = protocol.shell_command(h, data)
    if command is None:
        return protocol.allow(h)
    cwd = protocol.workdir(h, data) or os.getcwd()
    denial = bypass.check(command, cwd=cwd)
    if denial is None:
        return protocol.allow(h)
    _audit(cwd, h, command)
    return protocol.deny(h, denial.message())


def _root(h: Harness, data: dict[str, Any]) -> str | None:
    """The work tree the hook gates, as str(Path) spells it (no pathlib on a stop with nothing at stake)."""
    from smoke import git

    for start in (protocol.workdir(h, data), *(os.environ.get(v) for v in PROJECT_VARS), os.getcwd()):
        if start:
            top = git.toplevel_str(start)
            if top is not None:
                return top
    return None


def _refuse(h: Harness, event: str, reason: str) -> Answer:
    """The fail-closed answer for `event`: a denied command at the pre-tool event, a refused stop otherwise."""
    if event == h.pretool_event:
        return protocol.deny(h, reason)
    return protocol.block(h, reason + ". You are not done until `smoke gate` passes.")


def _failed(h: Harness, event: str, error: BaseException) -> Answer:
    import tempfile
    import traceback

    saved = ""
    try:
        fd, path = tempfile.mkstemp(prefix="smoke-agent-hook-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(f"smoke agent-hook {h.name} {event}\n\n")
            traceback.print_exception(error, file=f)
        saved = f"; traceback saved to {path}"
    except OSError:
        pass
    name = type(error).__name__
    if isinstance(error, KeyboardInterrupt):
        what = "smoke-gate's hook was interrupted before it could check your work"
    else:
        what = f"smoke-gate's hook failed ({name}: {error}){saved}, so nothing was checked"
    answer = _refuse(h, event, what)
    answer.stderr = what + "\n"
    return answer


def _audit(cwd: str, h: Harness, command: str) -> None:
    """A denied command is a bypass attempt: it goes to the audit log beside the others."""
    from smoke import git
    from smoke import policy
    from smoke.errors import SmokeError

    root = git.find_toplevel(cwd)
    if root is None:
        return
    try:
        policy.audit(root, "agent-command-denied", None, f"{h.name} {h.pretool_event}", command)
    except (SmokeError, OSError):
        pass
