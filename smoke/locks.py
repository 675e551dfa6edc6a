"""`exclusive` across processes: scenarios sharing a name never overlap, whichever smoke runs them.

Within one run the scheduler keeps them apart; between runs (two gates at
once in one repository, a hook and a `smoke run`) an flock per name in the
git directory does. Names are taken in sorted order, so two runs never wait
on each other in a cycle; a cancelled run stops waiting.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from smoke import git

_POLL_SECONDS = 0.05


@contextlib.contextmanager
def exclusive(root: Path, names: tuple[str, ...], scenario: str, cancelled: threading.Event) -> Iterator[bool]:
    """Hold every lock in `names` for the block; yields False when cancelled while waiting."""
    base = git.private_dir(root)
    if not names or base is None:
        yield True
        return
    folder = base / "smoke" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    held: list[int] = []
    try:
        for name in sorted(set(names)):
            fd = os.open(folder / (hashlib.sha256(name.encode()).hexdigest()[:24] + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
            held.append(fd)
            said = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not said:
                        sys.stderr.write(f"smoke: {scenario} waits for exclusive '{name}', held by another smoke run here\n")
                        sys.stderr.flush()
                        said = True
                    if cancelled.wait(_POLL_SECONDS):
                        yield False
                        return
        yield True
    finally:
        for fd in held:
            os.close(fd)  # closing releases the lock
