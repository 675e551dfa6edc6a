"""`smoke allow`: a person at a terminal lets the next agent gate of one task through, once."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from smoke import git
from smoke import grants
from smoke import manifest as manifest_mod
from smoke import policy
from smoke.agents import identity as agents
from smoke.errors import SmokeError


def cmd(args: argparse.Namespace) -> int:
    task, reason = (args.task or "").strip(), (args.reason or "").strip()
    if not task or not reason:
        raise SmokeError("--task and --reason are both needed", hint="smoke allow --task T --reason 'why the gate may be passed'")
    if not _at_terminal():
        raise SmokeError(
            "a person at a terminal must run this: it asks them to type the task id, and nothing else can grant",
        )
    root = git.find_toplevel(Path.cwd())
    if root is None:
        raise SmokeError("not inside a git repository", hint="run it in the repository the agent works in")
    if agents.caller_agents(manifest_mod.own_bytes(root)):
        raise SmokeError("an agent cannot grant itself a pass: a person must run this in their own terminal")
    sys.stdout.write(
        f"This lets the next agent gate of task '{task}' pass once, without its scenarios deciding.\n"
        f"Reason: {reason}\nType the task id to confirm: "
    )
    sys.stdout.flush()
    typed = sys.stdin.readline().strip()
    if typed != task:
        raise SmokeError(f"you typed {typed!r}, not {task!r}; no grant was written")
    user = policy.user()
    grant = grants.give(root, task, reason, user)
    log = policy.audit(root, "allow", task, None, reason)
    expires = time.strftime("%H:%M", time.localtime(float(grant["expires"])))  # type: ignore[arg-type]
    sys.stdout.write(
        f"smoke allow: granted: the next agent gate of task '{task}' passes once, at this commit and with the"
        f" work tree as it is now, until {expires}. Recorded in the audit log: {log}\n"
    )
    return 0


def _at_terminal() -> bool:
    return sys.stdin is not None and sys.stdout is not None and sys.stdin.isatty() and sys.stdout.isatty()
