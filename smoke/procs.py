"""Ending a scenario's whole process tree, escapes included.

Each scenario starts in a session of its own and carries a unique token in
its environment. A process belongs to the scenario when it is still in that
session, or when its environment (inherited through any fork, setsid or
double fork) carries the token. At the end every such process gets TERM, a
grace period, then KILL, and the search repeats until none is left so that a
process forked meanwhile is caught too.
"""
from __future__ import annotations

import os
import signal
import time

TOKEN_VAR = "SMOKE_RUN_TOKEN"
_PROC = "/proc"
_KILL_ROUNDS = 20


def new_token() -> str:
    return os.urandom(12).hex()


def _stat(pid: str) -> tuple[str, int] | None:
    """(state, session id) of a process, or None if it is gone."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return fields[0].decode(), int(fields[3])
    except (IndexError, ValueError):
        return None


def members(token: str, sid: int | None) -> list[int]:
    """Live processes that belong to the scenario (zombies are already dead)."""
    if not os.path.isdir(_PROC):
        return _members_by_group(sid)
    needle = f"{TOKEN_VAR}={token}\0".encode()
    me = os.getpid()
    found = []
    for name in os.listdir(_PROC):
        if not name.isdigit() or int(name) == me:
            continue
        st = _stat(name)
        if st is None or st[0] in ("Z", "X"):
            continue
        if sid is not None and st[1] == sid:
            found.append(int(name))
            continue
        try:
            with open(f"{_PROC}/{name}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if needle in env:
            found.append(int(name))
    return found


def _members_by_group(sid: int | None) -> list[int]:
    if sid is None:
        return []
    try:
        os.killpg(sid, 0)
    except OSError:
        return []
    return [sid]


def describe(pid: int) -> str:
    try:
        with open(f"{_PROC}/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        cmd = ""
    return f"{pid} {cmd[:120]}".strip()


def _signal_all(pids: list[int], sig: int, sid: int | None) -> None:
    if sid is not None:
        try:
            os.killpg(sid, sig)
        except OSError:
            pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def end_tree(token: str, sid: int | None, grace: float) -> list[str]:
    """TERM, wait up to `grace` seconds, then KILL every member; returns what was found."""
    found = members(token, sid)
    if not found:
        return []
    seen = {pid: describe(pid) for pid in found}
    _signal_all(found, signal.SIGTERM, sid)
    deadline = time.monotonic() + grace
    delay = 0.005
    while time.monotonic() < deadline:
        alive = members(token, sid)
        for pid in alive:
            if pid not in seen:
                seen[pid] = describe(pid)
                _signal_all([pid], signal.SIGTERM, None)
        if not alive:
            return list(seen.values())
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    for _ in range(_KILL_ROUNDS):
        alive = members(token, sid)
        if not alive:
            break
        for pid in alive:
            seen.setdefault(pid, describe(pid))
        _signal_all(alive, signal.SIGKILL, sid)
        time.sleep(0.02)
    return list(seen.values())
