"""Ending a scenario's whole process tree, escapes included.

Each scenario starts in a session of its own and carries a unique token in
its environment. A process belongs to the scenario when it is in that
session, when its environment (inherited through any fork, setsid or double
fork) carries the token, or when it descends from such a process. While a
run is going, smoke is a child subreaper (Linux), so a process that left the
session, cleared its environment and was orphaned re-parents to smoke instead
of init and is found as an orphan of ours.

Ending a tree: freeze every member with SIGSTOP (repeating the search until it
stops growing, so a fork bomb cannot outrun it), TERM and CONT them, wait a
grace period for them to exit, then freeze and KILL whatever is left, again
until nothing is. See docs/reliability.md for the limits.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
import time
from collections.abc import Iterator

TOKEN_VAR = "SMOKE_RUN_TOKEN"
_PROC = "/proc"
_FREEZE_ROUNDS = 50
_KILL_ROUNDS = 50
_PR_SET_CHILD_SUBREAPER = 36

# Scenario roots the runner is waiting on: never reaped here (that would steal
# their exit status), never mistaken for orphans. Spawning and registering a
# root happen under the lock, so a scan that classifies orphans under the same
# lock never sees a root that is started but not yet registered.
_lock = threading.Lock()
_roots: set[int] = set()
_subreaper = False
# When each scenario's tree lived, by token: [root's start, end] in clock ticks
# since boot (end None while it runs), and its name. An orphan that left its
# session and cleared its environment names no scenario; only the scenarios
# alive when it started can have left it.
_lives: dict[str, list[int | None]] = {}
_names: dict[str, str] = {}


@dataclasses.dataclass
class Tree:
    """What identifies one scenario's processes."""

    token: str
    sid: int | None = None  # the root's pid, which is also its session id
    since: int = 0  # root's start time (clock ticks); older processes cannot carry the token


@dataclasses.dataclass(frozen=True)
class _Proc:
    pid: int
    state: str
    ppid: int
    sid: int
    start: int


def new_token() -> str:
    return os.urandom(12).hex()


# ---------------------------------------------------------------- subreaper


def become_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process (Linux); True if it worked."""
    global _subreaper
    if _subreaper:
        return True
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        _subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _subreaper = False
    return _subreaper


@contextlib.contextmanager
def spawning() -> Iterator[None]:
    """Hold while starting a scenario root and calling `track` on it."""
    with _lock:
        yield


def track(pid: int) -> None:
    """Call with `spawning()` held."""
    _roots.add(pid)


def lives(tree: Tree, name: str) -> None:
    """The scenario's tree is alive from its root's start (call once `tree.since` is known)."""
    with _lock:
        _lives[tree.token] = [tree.since, None]
        _names[tree.token] = name


def ended(tree: Tree) -> None:
    """The scenario's tree is over: an orphan that starts later is not its."""
    with _lock:
        life = _lives.get(tree.token)
        if life is not None:
            life[1] = _now_ticks()


def _now_ticks() -> int:
    try:
        with open(f"{_PROC}/uptime", "rb") as f:
            return int(float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK")) + 1
    except (OSError, ValueError, IndexError):
        return 1 << 62


def _possible_owners(start: int) -> list[str]:
    """The scenarios alive when a process started at `start`. Call with the lock held."""
    return [t for t, (since, end) in _lives.items() if since is not None and since <= start and (end is None or start <= end)]


def shared_with(pid: int, tree: Tree) -> list[str]:
    """For an anonymous orphan claimed by `tree`: the other scenarios alive when it started (names)."""
    p = _stat(pid)
    if p is None or _carries(pid, f"{TOKEN_VAR}=".encode()):
        return []
    with _lock:
        return [_names.get(t, t) for t in _possible_owners(p.start) if t != tree.token]


def untrack(pid: int) -> None:
    """Call once the root has been reaped by whoever waits on it."""
    with _lock:
        _roots.discard(pid)


# ---------------------------------------------------------------- /proc


def _read(path: str) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def _stat(pid: int) -> _Proc | None:
    data = _read(f"{_PROC}/{pid}/stat")
    if not data:
        return None
    # The command name may hold spaces and ')'; the fields start after the last one.
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return _Proc(pid, fields[0].decode(), int(fields[1]), int(fields[3]), int(fields[19]))
    except (IndexError, ValueError):
        return None


def _snapshot() -> list[_Proc]:
    me = os.getpid()
    out = []
    for name in os.listdir(_PROC):
        if name.isdigit() and int(name) != me:
            p = _stat(int(name))
            if p is not None:
                out.append(p)
    return out


def start_time(pid: int) -> int:
    p = _stat(pid)
    return p.start if p else 0


def _carries(pid: int, needle: bytes) -> bool:
    env = _read(f"{_PROC}/{pid}/environ")
    return env is not None and needle in env


def _dead(p: _Proc) -> bool:
    return p.state in ("Z", "X")


# ---------------------------------------------------------------- membership


def members(tree: Tree) -> list[int]:
    """Live processes that belong to the scenario (zombies are already dead)."""
    if not os.path.isdir(_PROC):
        return _members_by_group(tree.sid)
    procs = _snapshot()
    needle = f"{TOKEN_VAR}={tree.token}\0".encode()
    seeds = {
        p.pid for p in procs
        if not _dead(p) and (
            (tree.sid is not None and p.sid == tree.sid)
            or (p.start >= tree.since and _carries(p.pid, needle))
        )
    }
    seeds.update(_orphans(procs, tree))
    return sorted(_with_descendants(procs, seeds))


def _orphans(procs: list[_Proc], tree: Tree | None) -> set[int]:
    """Our children that we did not start ourselves: orphaned scenario processes.

    Children in our own session are ours (git and the like); roots are waited on
    by the runner. Orphans that still show another running scenario's session or token
    are left for that scenario. Dead orphans are reaped here, or they would
    stay zombies for as long as smoke runs.
    """
    if not _subreaper:
        return set()
    me, my_sid = os.getpid(), os.getsid(0)
    candidates = [p for p in procs if p.ppid == me and p.sid != my_sid]
    if not candidates:
        return set()
    found = set()
    with _lock:
        roots = set(_roots)
    for p in candidates:
        if p.pid in roots:
            continue
        if _dead(p):
            _reap(p.pid)
        elif tree is None or _unclaimed(p, tree, roots):
            found.add(p.pid)
    return found


def _unclaimed(p: _Proc, tree: Tree, roots: set[int]) -> bool:
    """Not visibly another running scenario's (by session or token)."""
    if p.sid in roots and p.sid != tree.sid:
        return False
    env = _read(f"{_PROC}/{p.pid}/environ") or b""
    key = f"{TOKEN_VAR}=".encode()
    at = env.find(key)
    if at < 0:
        # Anonymous: it cleared its environment. Claimed by the only scenario alive when it
        # started, else left until every other scenario that was alive then has ended.
        with _lock:
            owners = _possible_owners(p.start)
            if tree.token not in owners:
                return not owners
            return all(_lives[t][1] is not None for t in owners if t != tree.token)
    own = f"{TOKEN_VAR}={tree.token}\0".encode()
    return env[at : at + len(own)] == own


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _with_descendants(procs: list[_Proc], seeds: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for p in procs:
        if not _dead(p):
            children.setdefault(p.ppid, []).append(p.pid)
    out = set(seeds)
    stack = list(seeds)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


def _members_by_group(sid: int | None) -> list[int]:
    if sid is None:
        return []
    try:
        os.killpg(sid, 0)
    except OSError:
        return []
    return [sid]


def describe(pid: int) -> str:
    """pid and full command line (callers redact, then shorten)."""
    raw = _read(f"{_PROC}/{pid}/cmdline") or b""
    cmd = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    return f"{pid} {cmd}".strip()


# ---------------------------------------------------------------- ending


def _signal(pids: list[int], sig: int, tree: Tree) -> None:
    if not os.path.isdir(_PROC) and tree.sid is not None:
        with contextlib.suppress(OSError):
            os.killpg(tree.sid, sig)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _freeze(tree: Tree, seen: dict[int, str]) -> list[int]:
    """SIGSTOP members until a search finds none not yet stopped; returns them all."""
    stopped: set[int] = set()
    for _ in range(_FREEZE_ROUNDS):
        fresh = [pid for pid in members(tree) if pid not in stopped]
        if not fresh:
            break
        _signal(fresh, signal.SIGSTOP, tree)
        stopped.update(fresh)
        for pid in fresh:
            if pid not in seen:
                others = shared_with(pid, tree)
                also = f" (anonymous: it may also be from {', '.join(others)}, alive when it started)" if others else ""
                seen[pid] = describe(pid) + also
    return sorted(stopped)


def end_tree(tree: Tree, grace: float) -> list[str]:
    """Freeze, TERM, wait up to `grace` seconds, then KILL every member; returns what was found."""
    if not members(tree):
        return []
    seen: dict[int, str] = {}
    frozen = _freeze(tree, seen)
    _signal(frozen, signal.SIGTERM, tree)
    _signal(frozen, signal.SIGCONT, tree)
    if not _await_exit(tree, grace, seen):
        _kill(tree, seen)
    return list(seen.values())


def _await_exit(tree: Tree, grace: float, seen: dict[int, str]) -> bool:
    """Give TERM its grace period; True once no member is left."""
    deadline = time.monotonic() + grace
    delay = 0.002
    while True:
        alive = members(tree)
        if not alive:
            return True
        if time.monotonic() >= deadline:
            return False
        # Whatever appeared since (a respawn, a late fork) gets its TERM too.
        fresh = [pid for pid in alive if pid not in seen]
        for pid in fresh:
            seen[pid] = describe(pid)
        _signal(fresh, signal.SIGTERM, tree)
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _kill(tree: Tree, seen: dict[int, str]) -> None:
    for _ in range(_KILL_ROUNDS):
        frozen = _freeze(tree, seen)
        if not frozen:
            return
        _signal(frozen, signal.SIGKILL, tree)
        _wait_gone(tree, frozen)


def _wait_gone(tree: Tree, pids: list[int]) -> None:
    """KILL is not instant: wait briefly so the next search does not see the same pids."""
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        live = set(members(tree))
        if not live.intersection(pids):
            return
        time.sleep(0.005)


def sweep_orphans() -> list[str]:
    """At the end of a run: KILL every orphan of ours still alive, with its descendants."""
    if not _subreaper or not os.path.isdir(_PROC):
        return []
    seen: dict[int, str] = {}
    for _ in range(_KILL_ROUNDS):
        procs = _snapshot()
        found = _with_descendants(procs, _orphans(procs, None))
        if not found:
            break
        for pid in found:
            seen.setdefault(pid, describe(pid))
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
    _orphans(_snapshot(), None)  # reap the last ones
    return list(seen.values())
