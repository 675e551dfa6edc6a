"""Temporary checkouts of a commit, for testing code that is not the work tree.

`smoke prove` runs a scenario at an old ref, the pre-push gate runs the
pushed commit and the commit gate a snapshot of the index; each is checked out in a detached worktree under $TMPDIR that is
removed afterwards, also when Ctrl-C or SIGTERM (which main() turns into
KeyboardInterrupt) cuts the run short.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from smoke import git

INDEX_VAR = "GIT_INDEX_FILE"


@contextlib.contextmanager
def checkout(root: Path, sha: str | None, prefix: str = "smoke-checkout-") -> Iterator[Path]:
    """The tree to test: the work tree itself when `sha` is None, else `sha` in a temporary worktree removed afterwards."""
    if sha is None:
        yield root
        return
    holder = Path(tempfile.mkdtemp(prefix=prefix))
    tree = holder / sha[:12]
    with _hook_index_hidden():
        try:
            git.add_worktree(root, sha, tree)
            yield tree
        finally:
            with signals_held():
                git.remove_worktree(root, tree)
                shutil.rmtree(holder, ignore_errors=True)


@contextlib.contextmanager
def _hook_index_hidden() -> Iterator[None]:
    """Under a commit hook, GIT_INDEX_FILE names the index being committed.

    `worktree add` would fill it with the checkout's files (emptying the
    commit), and the build's git commands in the checkout would read it: while
    the checkout exists, each git command uses its own worktree's index.
    """
    saved = os.environ.pop(INDEX_VAR, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[INDEX_VAR] = saved


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Cleanup that a second Ctrl-C or TERM must not cut short: they are delivered afterwards."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
