"""Files replaced whole: a reader sees the old content or the new, never half of it."""
from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

_names = itertools.count()


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None, durable: bool = True) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    `mode` defaults to the replaced file's mode (a new file gets the umask's).
    `durable` also fsyncs the file and the folder, so the new content survives
    a crash; caches and logs that can be rebuilt skip it. A symlink at `path`
    is replaced, not followed: callers that mean its target pass `path.resolve()`.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if mode is None:
        with contextlib.suppress(OSError):
            mode = path.stat().st_mode & 0o7777
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_names)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
            break
        except FileExistsError:
            continue  # left by a process that had our pid before
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if mode is not None:
                with contextlib.suppress(OSError):  # not every filesystem keeps modes
                    os.fchmod(fd, mode)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every filesystem allows it.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
