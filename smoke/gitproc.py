"""Starting git, and reading what it said: the one place a `git` process is spawned for smoke.git.

It imports nothing but `os` (and `select` once an answer is read), so the
command line can start the `git status` a door is sure to ask for before it
imports the rest of smoke: git answers on the other core while Python loads
(`ahead`). An answer asked for later with exactly the same repository,
arguments and environment is taken from that process (`take`); one never asked
for is ended and reaped when smoke exits. Either way the answer is git's, from
the same command, a few milliseconds earlier: nothing is cached or trusted
beyond this process.
"""
from __future__ import annotations

import os

# The two `git status` forms the doors ask (smoke.git.work_tree_status and full_status).
STATUS = ("status", "--porcelain=v1", "-z", "--untracked-files=normal", "--no-renames")
FULL_STATUS = ("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
# Commits searched for a task id in their message: bounded so a long history stays fast (smoke.git).
TASK_LOG_LIMIT = 2000
# What `wg done` asks whatever the manifest says, when settings.base_ref is the default: where the
# task's branch left it (smoke.git.merge_base_steps), and the bound of the task's commits (task_commit_files_steps).
DONE = (
    FULL_STATUS,
    ("merge-base", "HEAD", "main^{commit}"),
    ("rev-list", f"--skip={TASK_LOG_LIMIT}", "-n1", "HEAD"),
)


class GitMissing(Exception):
    """`git` is not on PATH."""


class Started:
    """A `git -C root ARGS` process, its output read on `result()`."""

    def __init__(self, root: str, args: tuple[str, ...] | list[str], env: dict[str, str] | None, data: bytes | None):
        self.out_r, out_w = os.pipe()  # not inheritable: the child keeps only what is dup'ed onto 0, 1 and 2
        self.err_r, err_w = os.pipe()
        in_r, self.in_w = os.pipe() if data is not None else (-1, -1)
        self.data = data
        actions: list[tuple[object, ...]] = [(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
        if data is not None:
            actions.append((os.POSIX_SPAWN_DUP2, in_r, 0))
        else:
            actions.append((os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0))
        try:
            self.pid = os.posix_spawnp(
                "git", ["git", "-C", root, *args], os.environ if env is None else env, file_actions=actions
            )
        except FileNotFoundError:
            self._close(self.out_r, self.err_r, self.in_w)
            raise GitMissing from None
        finally:
            self._close(out_w, err_w, in_r)
        self.reaped = False

    def result(self) -> tuple[int, bytes, bytes]:
        """(exit code, stdout, stderr). Interrupted, the child is killed and reaped."""
        import select

        try:
            if self.data is not None:
                view = memoryview(self.data)
                while view:
                    view = view[os.write(self.in_w, view) :]
                os.close(self.in_w)
                self.in_w = -1
            chunks: dict[int, list[bytes]] = {self.out_r: [], self.err_r: []}
            poller = select.poll()
            for fd in chunks:
                poller.register(fd, select.POLLIN)
            open_fds = set(chunks)
            while open_fds:
                for fd, _ in poller.poll():
                    chunk = os.read(fd, 1 << 16)
                    if chunk:
                        chunks[fd].append(chunk)
                    else:
                        poller.unregister(fd)
                        open_fds.discard(fd)
            _, status = os.waitpid(self.pid, 0)
            self.reaped = True
            return os.waitstatus_to_exitcode(status), b"".join(chunks[self.out_r]), b"".join(chunks[self.err_r])
        finally:
            self.end()

    def end(self) -> None:
        """End and reap the child if it was not read to its end; close what is left open.

        TERM, not KILL: git answers TERM by removing its lock files, and a `git
        status` killed outright could leave index.lock behind, refusing the next
        git command in the repository."""
        if not self.reaped:
            self.reaped = True
            try:
                os.kill(self.pid, 15)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        self._close(self.out_r, self.err_r, self.in_w)
        self.out_r = self.err_r = self.in_w = -1

    @staticmethod
    def _close(*fds: int) -> None:
        for fd in fds:
            if fd >= 0:
                os.close(fd)


_AHEAD: dict[tuple[str, tuple[str, ...]], tuple[Started, dict[str, str]]] = {}


def ahead(root: str, args: tuple[str, ...]) -> None:
    """Start `git -C root ARGS` now, for a later `take` of the same; best effort (no git: the later ask says so)."""
    key = (root, args)
    if key in _AHEAD:
        return
    try:
        started = Started(root, args, None, None)
    except (GitMissing, OSError):
        return
    if not _AHEAD:
        import atexit

        atexit.register(_end_all)
    _AHEAD[key] = (started, dict(os.environ))


def take(root: str, args: tuple[str, ...]) -> Started | None:
    """The process `ahead` started for exactly this, if the environment it inherited is still the one a spawn now would get."""
    found = _AHEAD.pop((root, args), None)
    if found is None:
        return None
    started, env = found
    if env != os.environ:
        started.end()
        return None
    return started


def _end_all() -> None:
    while _AHEAD:
        _, (started, _) = _AHEAD.popitem()
        started.end()


def toplevel(start: str) -> str | None:
    """The work tree root containing `start` (an absolute path), found without running git and
    without $GIT_WORK_TREE (smoke.git.find_toplevel answers that one)."""
    path = start
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent
