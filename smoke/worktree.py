"""Temporary checkouts of a commit, for testing code that is not the work tree.

`smoke prove` runs a scenario at an old ref and the pre-push gate runs the
pushed commit; both check it out in a detached worktree under $TMPDIR that is
removed afterwards, also when Ctrl-C or SIGTERM (which main() turns into
KeyboardInterrupt) cuts the run short.
"""
from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from smoke import git


@contextlib.contextmanager
def checkout(root: Path, sha: str | None, prefix: str = "smoke-checkout-") -> Iterator[Path]:
    """The tree to test: the work tree itself when `sha` is None, else `sha` in a temporary worktree removed afterwards."""
    if sha is None:
        yield root
        return
    holder = Path(tempfile.mkdtemp(prefix=prefix))
    tree = holder / sha[:12]
    try:
        git.add_worktree(root, sha, tree)
        yield tree
    finally:
        with signals_held():
            git.remove_worktree(root, tree)
            shutil.rmtree(holder, ignore_errors=True)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Cleanup that a second Ctrl-C or TERM must not cut short: they are delivered afterwards."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
