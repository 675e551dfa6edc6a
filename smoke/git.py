"""All access to git goes through this module.

Plumbing queries (changed files, merge-bases, a commit's files, a file's
content at a commit or in the index) run `git` directly: importing GitPython
alone costs ~90 ms, more than a no-op gate is allowed to take. Listing a
folder at a ref uses GitPython, imported only there. `git` is started with
os.posix_spawn rather than the subprocess module, whose import alone costs a
no-op gate more than the git it runs. Temporary worktrees also run `git`
directly: the child is killed when Ctrl-C interrupts it, so cleanup never
races a half-finished `worktree add`.

A question that takes several git processes (a merge-base, then a log) is
written once, as steps (a generator yielding each git command and receiving
its output): `_drive` answers it one process at a time, and a `Batch` answers
several questions at once, without threads, starting each one's next process
as soon as its previous answer is in.
"""
from __future__ import annotations

import collections
import functools
import os
import posixpath
import stat

from smoke import gitproc
from smoke import pathstr
from smoke.errors import SmokeError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from collections.abc import Generator
    from pathlib import Path
    from typing import TypeVar

    import git as gitpython

    from smoke.pathstr import StrPath

    T = TypeVar("T")
    # One git command (its arguments, and whether a failure raises) and the
    # steps that ask them: each yields a command and receives its stdout.
    Ask = tuple[tuple[str, ...], bool]
    Steps = Generator[Ask, str, T]
    _Answer = list[tuple[object, Exception | None]]  # the steps' result or what they raised, once answered

# Commits searched for a task id in their message: bounded so a long history stays fast.
TASK_LOG_LIMIT = gitproc.TASK_LOG_LIMIT
NULL_SHA = "0" * 40
DEFAULT_BASE_REF = "main"  # settings.base_ref when the manifest says nothing
TRUNK_NAMES = ("main", "master", "trunk")  # what the default base may be called
# Set by git while it runs a hook; they point at the repository being committed
# to, so a scenario or a build that makes its own repository must not inherit them.
HOOK_VARS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_QUARANTINE_PATH",
)


# NamedTuples for the type checker, collections.namedtuple at run time: see
# the note in smoke/manifest.py (importing `typing` costs the gate too much).
if TYPE_CHECKING:
    from typing import NamedTuple

    class Change(NamedTuple):
        """A changed file and what brought it in (for `smoke list` explanations)."""

        path: str
        origin: str  # "staged", "unstaged", "untracked", "commit 1a2b3c4 feat: x", "range A..B"

    class PushedRef(NamedTuple):
        """One line of git's pre-push input, resolved."""

        local_ref: str
        tip: str  # the commit being pushed
        remote_ref: str
        remote_sha: str  # the remote's commit; NULL_SHA for a new branch
        remote_known: bool  # False when the remote's commit was never fetched here
        file: bytes | None = None  # the content of the file pushed_refs was asked for, at tip; None when no file there
else:
    Change = collections.namedtuple("Change", "path origin")
    PushedRef = collections.namedtuple(
        "PushedRef", "local_ref tip remote_ref remote_sha remote_known file", defaults=(None,)
    )


def find_toplevel(start: StrPath) -> Path | None:
    """The work tree root containing `start`, found without running git."""
    from pathlib import Path

    found = toplevel_str(start)
    return Path(found) if found is not None else None


def toplevel_str(start: StrPath) -> str | None:
    """find_toplevel, as str(Path) spells it (no pathlib on the no-op path)."""
    env_top = os.environ.get("GIT_WORK_TREE")
    if env_top:
        return pathstr.absolute(env_top)
    found = gitproc.toplevel(pathstr.absolute(start))
    return pathstr.norm(found) if found is not None else None


def worktree_git_dir(root: StrPath) -> Path | None:
    """This work tree's own git directory (where its HEAD is), found without running git."""
    from pathlib import Path

    found = worktree_git_dir_str(root)
    return Path(found) if found is not None else None


def private_dir(root: StrPath) -> Path | None:
    """The git directory shared by all worktrees, found without running git."""
    from pathlib import Path

    found = private_dir_str(root)
    return Path(found) if found is not None else None


def worktree_git_dir_str(root: StrPath) -> str | None:
    """worktree_git_dir, as str(Path) spells it (no pathlib on the no-op path)."""
    dot = pathstr.join(root, ".git")
    if pathstr.is_dir(dot):
        return dot
    if pathstr.is_file(dot):
        with open(dot, encoding="utf-8", errors="replace") as f:
            text = f.read().strip()
        if text.startswith("gitdir:"):
            return os.path.realpath(pathstr.join(root, text[len("gitdir:"):].strip()))
    return None


def private_dir_str(root: StrPath) -> str | None:
    """private_dir, as str(Path) spells it."""
    gd = worktree_git_dir_str(root)
    if gd is None or pathstr.name(gd) == ".git":
        return gd
    common = pathstr.join(gd, "commondir")
    if pathstr.is_file(common):
        with open(common) as f:
            return os.path.realpath(pathstr.join(gd, f.read().strip()))
    return gd


def _run(
    root: StrPath, *args: str, check: bool = True, stdin: str | None = None, env: dict[str, str] | None = None,
) -> str:
    data = stdin.encode("utf-8", "surrogateescape") if stdin is not None else None
    code, out, err = _spawn(root, list(args), env, data)
    if check and code != 0:
        raise _failed(args, code, err)
    return _text(out)


def _failed(args: tuple[str, ...] | list[str], code: int, err: bytes) -> SmokeError:
    lines = _text(err).strip().splitlines()
    return SmokeError(f"git {' '.join(args[:3])} failed: {lines[-1] if lines else code}")


def _text(data: bytes) -> str:
    # As subprocess's text mode: UTF-8 (undecodable bytes kept), universal newlines.
    return data.decode("utf-8", "surrogateescape").replace("\r\n", "\n").replace("\r", "\n")


_PIPE_SAFE = 32 * 1024  # input written whole before reading; more than a pipe holds could deadlock


def _start(root: StrPath, args: list[str] | tuple[str, ...], env: dict[str, str] | None, stdin: bool) -> tuple[int, int, int, int]:
    """Start `git -C root args...` with its stdout and stderr on pipes: (pid, stdout, stderr, stdin or -1)."""
    try:
        started = gitproc.Started(str(root), args, env, b"" if stdin else None)
    except gitproc.GitMissing:
        raise SmokeError("git is not installed or not on PATH") from None
    return started.pid, started.out_r, started.err_r, started.in_w


def _spawn(root: StrPath, args: list[str], env: dict[str, str] | None, data: bytes | None) -> tuple[int, bytes, bytes]:
    """Run `git -C root args...`: (exit code, stdout, stderr). Interrupted, the child is killed and reaped."""
    if data is not None and len(data) > _PIPE_SAFE:
        import subprocess

        try:
            proc = subprocess.run(["git", *args], cwd=root, env=env, input=data, capture_output=True)
        except FileNotFoundError:
            raise SmokeError("git is not installed or not on PATH") from None
        return proc.returncode, proc.stdout, proc.stderr
    started = gitproc.take(str(root), tuple(args)) if env is None and data is None else None
    if started is None:
        try:
            started = gitproc.Started(str(root), args, env, data)
        except gitproc.GitMissing:
            raise SmokeError("git is not installed or not on PATH") from None
    return started.result()


def run(root: StrPath, *args: str, check: bool = True) -> str:
    """`git ARGS` in `root`; its stdout."""
    return _run(root, *args, check=check)


def ask(*args: str, check: bool = True) -> Ask:
    """One step: `git ARGS`, whose stdout the steps receive (a failure raises there, as `run` would, when `check`)."""
    return args, check


def _drive(root: StrPath, steps: Steps[T]) -> T:
    """The steps' answer, asking git one process at a time."""
    try:
        args, check = next(steps)
        while True:
            try:
                out = _run(root, *args, check=check)
            except SmokeError as e:
                args, check = steps.throw(e)
            else:
                args, check = steps.send(out)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


class _Process:
    """A git process a Batch started: what it printed so far, and the steps waiting for it."""

    __slots__ = ("args", "chunks", "open", "pid", "waiting")

    def __init__(self, args: tuple[str, ...], pid: int, fds: tuple[int, int]) -> None:
        self.args = args
        self.pid = pid
        self.chunks: dict[int, list[bytes]] = {fd: [] for fd in fds}
        self.open = len(fds)
        self.waiting: list[tuple[Steps[object], _Answer, bool]] = []


class Batch:
    """Several questions (steps) answered at once, without threads: on a
    machine with cores to spare a gate waits for the longest chain of git
    processes, not for their sum.

    `add` starts the steps' first git process at once and returns how to read
    their answer once `run` has answered every question (reading raises what
    the steps raised). A batch is one moment's questions: a command asked
    twice in it is asked of git once, and both get its answer. Leaving the
    `with` block ends whatever still runs: TERM, which git answers by removing
    its lock files (a KILL could leave index.lock behind), then reaped.
    """

    def __init__(self, root: StrPath) -> None:
        import select

        self.root = root
        self._poller = select.poll()
        self._pollin = select.POLLIN
        self._running: dict[tuple[str, ...], _Process] = {}
        self._by_fd: dict[int, _Process] = {}
        self._answers: dict[tuple[str, ...], tuple[int, bytes, bytes]] = {}

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, steps: Steps[T]) -> Callable[[], T]:
        answer: _Answer = []
        self._advance(steps, answer, None, None)

        def get() -> T:
            if not answer:
                raise RuntimeError("Batch.run() has not answered these steps")
            value, error = answer[0]
            if error is not None:
                raise error
            return value  # type: ignore[return-value]

        return get

    def run(self) -> None:
        """Answer every question added, starting each next git process as soon as the one before it is done."""
        try:
            while self._by_fd:
                for fd, _ in self._poller.poll():
                    proc = self._by_fd[fd]
                    chunk = os.read(fd, 1 << 16)
                    if chunk:
                        proc.chunks[fd].append(chunk)
                        continue
                    self._poller.unregister(fd)
                    del self._by_fd[fd]
                    os.close(fd)
                    proc.open -= 1
                    if not proc.open:
                        self._finished(proc)
        finally:
            self.close()

    def close(self) -> None:
        """End and reap every git process still running."""
        import _signal  # not signal: the same number without building signal's enums (and importing enum)

        for proc in self._running.values():
            try:
                os.kill(proc.pid, _signal.SIGTERM)
            except OSError:
                pass
        for fd in self._by_fd:
            os.close(fd)
        self._by_fd.clear()
        for proc in self._running.values():
            try:
                os.waitpid(proc.pid, 0)
            except OSError:
                pass
        self._running.clear()

    def _finished(self, proc: _Process) -> None:
        _, status = os.waitpid(proc.pid, 0)
        del self._running[proc.args]
        out_fd, err_fd = proc.chunks
        done = os.waitstatus_to_exitcode(status), b"".join(proc.chunks[out_fd]), b"".join(proc.chunks[err_fd])
        self._answers[proc.args] = done
        for steps, answer, check in proc.waiting:
            self._advance(steps, answer, *self._reply(proc.args, done, check))

    @staticmethod
    def _reply(args: tuple[str, ...], done: tuple[int, bytes, bytes], check: bool) -> tuple[str | None, SmokeError | None]:
        """What the steps receive, as `_run` would give it: stdout, or (with `check`) the failure."""
        code, out, err = done
        if check and code != 0:
            return None, _failed(args, code, err)
        return _text(out), None

    def _advance(self, steps: Steps[object], answer: _Answer, out: str | None, error: SmokeError | None) -> None:
        """Give `steps` their answer (neither: start them) and start the git command they ask next, or keep their result."""
        while True:
            try:
                if error is not None:
                    args, check = steps.throw(error)
                elif out is not None:
                    args, check = steps.send(out)
                else:
                    args, check = next(steps)
            except StopIteration as stop:
                answer.append((stop.value, None))
                return
            except Exception as e:  # noqa: BLE001 - raised again by the answer's reader
                answer.append((None, e))
                return
            if args in self._answers:
                out, error = self._reply(args, self._answers[args], check)
                continue
            proc = self._running.get(args)
            if proc is None:
                try:
                    proc = self._start(args)
                except SmokeError as e:
                    out, error = None, e
                    continue
            proc.waiting.append((steps, answer, check))
            return

    def _start(self, args: tuple[str, ...]) -> _Process:
        ahead = gitproc.take(str(self.root), args)  # started before smoke was imported (smoke.main)
        if ahead is not None:
            pid, out_r, err_r = ahead.pid, ahead.out_r, ahead.err_r
        else:
            pid, out_r, err_r, _ = _start(self.root, args, None, False)
        proc = _Process(args, pid, (out_r, err_r))
        self._running[args] = proc
        for fd in (out_r, err_r):
            self._by_fd[fd] = proc
            self._poller.register(fd, self._pollin)
        return proc


def _nul_list(out: str) -> list[str]:
    return [p for p in out.split("\0") if p]




def rev_parse(root: StrPath, ref: str) -> str | None:
    return _drive(root, rev_parse_steps(ref))


def rev_parse_steps(ref: str) -> Steps[str | None]:
    out = (yield ask("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)).strip()
    return out or None


def has_head(root: StrPath) -> bool:
    return rev_parse(root, "HEAD") is not None


def current_branch(root: StrPath) -> str | None:
    """The checked-out branch (None when detached), read from HEAD: the gate
    asks this on every commit, and reading a file is cheaper than starting git."""
    gd = None if os.environ.get("GIT_DIR") else worktree_git_dir_str(root)
    head = ""
    if gd is not None:
        try:
            head = _read_text(pathstr.join(gd, "HEAD")).strip()
        except OSError:
            head = ""
    if head:
        ref = head[len("ref: "):] if head.startswith("ref: ") else ""
        return ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
    out = _run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
    return out or None


def head_sha(root: StrPath) -> str | None:
    """HEAD's sha read from the git directory, without starting git when it can."""
    gd = None if os.environ.get("GIT_DIR") else worktree_git_dir_str(root)
    base = private_dir_str(root)
    if gd is None or base is None:
        return rev_parse(root, "HEAD")
    try:
        head = _read_text(pathstr.join(gd, "HEAD")).strip()
    except OSError:
        return None
    if not head.startswith("ref: "):
        return head or None
    ref = head[len("ref: "):]
    for holder in (gd, base):
        if pathstr.is_file(pathstr.join(holder, ref)):
            return _read_text(pathstr.join(holder, ref)).strip() or None
    packed = pathstr.join(base, "packed-refs")
    if pathstr.is_file(packed):
        for line in _read_text(packed).splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    return None  # an unborn branch: no commit yet


def _read_text(path: str) -> str:
    """Path(path).read_text(encoding="utf-8")."""
    with open(path, encoding="utf-8") as f:
        return f.read()


def staged_files(root: StrPath) -> list[Change]:
    args = ["diff", "--cached", "--name-only", "-z", "--no-renames"]
    if not has_head(root):
        args = ["ls-files", "-z", "--cached"]
    return [Change(p, "staged") for p in _nul_list(_run(root, *args))]


def uncommitted_files(root: StrPath, status: list[tuple[str, str]] | None = None) -> list[Change]:
    """Staged, unstaged and untracked files (untracked ones respecting .gitignore); `status` if already asked."""
    return _drive(root, uncommitted_steps(status))


def uncommitted_steps(status: list[tuple[str, str]] | None = None) -> Steps[list[Change]]:
    if status is None:
        status = yield from full_status_steps()
    changes = []
    for code, path in status:
        if code == "??":
            origin = "untracked"
        elif code[0] not in (" ", "?"):
            origin = "staged"
        else:
            origin = "unstaged"
        changes.append(Change(path, origin))
    return changes




def full_status(root: StrPath) -> list[tuple[str, str]]:
    """`git status` as (XY code, path), every untracked file listed (not only their folders)."""
    return _drive(root, full_status_steps())


def full_status_steps() -> Steps[list[tuple[str, str]]]:
    out = yield ask(*gitproc.FULL_STATUS)
    return [(entry[:2], entry[3:]) for entry in _nul_list(out)]


def work_tree_status(root: StrPath) -> list[tuple[str, str]]:
    """`git status` as (XY code, path): staged, unstaged, and untracked files that .gitignore does not hide.

    An untracked folder is one entry (--untracked-files=normal): the caller
    only asks whether anything is there, not what.
    """
    out = _run(root, *gitproc.STATUS)
    return [(entry[:2], entry[3:]) for entry in _nul_list(out)]


def changed_since(root: StrPath, ref: str) -> list[str]:
    """Tracked files the work tree changed since `ref` (staged or not, deletions included)."""
    return _drive(root, changed_since_steps(ref))


def changed_since_steps(ref: str) -> Steps[list[str]]:
    return _nul_list((yield ask("diff", "--name-only", "-z", "--no-renames", ref, "--")))


def deleted_since(root: StrPath, ref: str, *, modified: bool = False) -> list[str]:
    """Files at `ref` that the work tree no longer has (deleted, staged or not); with `modified`, also those it changed."""
    kinds = "DMT" if modified else "D"
    return _nul_list(_run(root, "diff", "--name-only", "-z", "--no-renames", f"--diff-filter={kinds}", ref, "--"))


def snapshot_index(root: StrPath) -> str:
    """A commit of exactly what is staged, on top of HEAD (none on an unborn branch); no ref points at it.

    Under a commit hook the index is $GIT_INDEX_FILE, which `write-tree`
    reads: for `commit -a` or `commit PATH` that is the one being committed.
    """
    tree = _run(root, "write-tree").strip()
    parent = rev_parse(root, "HEAD")
    # Who made a throwaway commit does not matter; git must not refuse it for want of an identity.
    who = {"GIT_AUTHOR_NAME": "smoke-gate", "GIT_AUTHOR_EMAIL": "smoke-gate@localhost",
           "GIT_COMMITTER_NAME": "smoke-gate", "GIT_COMMITTER_EMAIL": "smoke-gate@localhost"}
    args = ["commit-tree", tree, *(["-p", parent] if parent else []), "-m", "smoke: staged snapshot"]
    return _run(root, *args, env={**os.environ, **who}).strip()


def staged_blob(root: StrPath, path: str) -> bytes | None:
    """The exact staged content of `path` (relative to the top level); None if it is not in the index as a file
    (absent, a submodule, or only as an unresolved conflict).

    Plumbing, like blob_at: the commit gate must stay light.
    """
    return _cat_blob(root, f":0:{path}")  # `:0:path` is git's name for the index's copy, whatever `path` holds


def pushed_refs(root: StrPath, text: str, path: str | None = None) -> list[PushedRef]:
    """git's pre-push lines (`<local ref> <local sha> <remote ref> <remote sha>`):
    deletions and tags of non-commits are left out, as they push no code.

    With `path` (relative to the top level), each ref also holds that file's
    content at its tip (PushedRef.file), read by the same git process.
    """
    lines = [parts for line in text.splitlines() for parts in [line.rsplit(maxsplit=3)] if len(parts) == 4]
    lines = [parts for parts in lines if parts[1] != NULL_SHA]
    found, files = commits_and_files(
        root, [sha for parts in lines for sha in (parts[1], parts[3]) if sha != NULL_SHA],
        [parts[1] for parts in lines] if path is not None else [], path or "",
    )
    refs: list[PushedRef] = []
    for local_ref, local_sha, remote_ref, remote_sha in lines:
        tip = found.get(local_sha)
        if tip is None:
            continue
        known = remote_sha != NULL_SHA and found.get(remote_sha) is not None
        refs.append(PushedRef(local_ref, tip, remote_ref, remote_sha, known, files.get(local_sha)))
    return refs


def commits_and_files(
    root: StrPath, names: list[str], at: list[str], path: str,
) -> tuple[dict[str, str | None], dict[str, bytes | None]]:
    """The commit each of `names` and `at` is (None when it is none), as rev_parse would answer; and at each
    of `at`, the content of the file `path` (None when `path` is no file there), as blob_at would answer.

    One git process (`cat-file --batch`) answers all of it.
    """
    names = [n for n in dict.fromkeys([*names, *at]) if n and "\n" not in n]
    at = [n for n in dict.fromkeys(at) if n and "\n" not in n]
    inline = "\n" not in path  # else the path cannot be asked on a line of its own
    asked = [f"{n}^{{commit}}" for n in names] + ([f"{n}^{{commit}}:{path}" for n in at] if inline else [])
    if not asked:
        return {}, {}
    data = "".join(f"{n}\n" for n in asked).encode("utf-8", "surrogateescape")
    _, out, _ = _spawn(root, ["cat-file", "--batch=%(objectname) %(objecttype) %(objectsize)"], None, data)
    answers = _batch_answers(out, asked)
    found: dict[str, str | None] = {}
    for name in names:
        answer = answers.get(f"{name}^{{commit}}")
        found[name] = answer[0] if answer is not None and answer[1] == "commit" else None
    files: dict[str, bytes | None] = {}
    for name in at:
        question, sha = f"{name}^{{commit}}:{path}", found.get(name)
        if inline and question in answers:
            answer = answers[question]
            files[name] = answer[2] if answer is not None and answer[1] == "blob" else None
        else:
            # Not asked (or git stopped answering): asked on its own, as blob_at asks it.
            files[name] = _cat_blob(root, f"{sha}:{path}") if sha is not None else None
    return found, files


def _batch_answers(out: bytes, asked: list[str]) -> dict[str, tuple[str, str, bytes] | None]:
    """`cat-file --batch` output as (object name, type, content) per question; None for one git found no object for.

    Questions past the point where the output ends or stops making sense (git failed) have no answer at all.
    """
    answers: dict[str, tuple[str, str, bytes] | None] = {}
    pos = 0
    for question in asked:
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].decode("utf-8", "surrogateescape")
        pos = end + 1
        if header in (f"{question} missing", f"{question} ambiguous"):
            answers[question] = None
            continue
        parts = header.split(" ")
        if len(parts) != 3 or not parts[2].isdigit() or len(out) < pos + int(parts[2]) + 1:
            break
        size = int(parts[2])
        answers[question] = (parts[0], parts[1], out[pos:pos + size])
        pos += size + 1  # the content, and the newline after it
    return answers


def range_files(root: StrPath, base: str, tip: str) -> list[Change]:
    """Files changed from base to tip; a null base (a new branch) means every
    commit of tip that no remote-tracking ref has yet."""
    if not base or base == NULL_SHA:
        out = _run(root, "log", "--no-renames", "--name-only", "-z", "--format=%x01%h %s", tip, "--not", "--remotes")
        return _parse_log(out)
    # Three dots: what tip brings since it forked from base, so a force-push
    # over unrelated remote work selects by our side only.
    out = _run(root, "diff", "--name-only", "-z", "--no-renames", f"{base}...{tip}")
    label = f"range {base[:7]}..{tip[:7]}"
    return [Change(p, label) for p in _nul_list(out)]


def _parse_log(out: str) -> list[Change]:
    changes: list[Change] = []
    for block in out.split("\x01"):
        if not block.strip("\0\n"):
            continue
        head, _, files = block.partition("\n")
        # With -z the header line ends in NUL before the newline.
        subject = head.strip("\0\n ")
        for path in _nul_list(files.replace("\n", "\0")):
            changes.append(Change(path, f"commit {subject}"))
    return changes


def changed_paths(root: StrPath, base: str, tip: str | None, staged: bool, paths: list[str]) -> set[str]:
    """Those of `paths` that differ between `base` and `tip` (None: the index when `staged`, else the work tree)."""
    if not paths:
        return set()
    if tip is not None:
        args = ["diff", "--name-only", "-z", "--no-renames", base, tip]
    else:
        args = ["diff", "--name-only", "-z", "--no-renames", *(["--cached"] if staged else []), base]
    found = set(_nul_list(_run(root, *args, "--", *[f":(literal){p}" for p in paths], check=False)))
    if tip is None and not staged:
        # git diff trusts the index's skip-worktree and assume-unchanged flags: those files' bytes are read.
        for path in hidden_from_status(root, *paths):
            try:
                with open(pathstr.join(root, path), "rb") as f:
                    now: bytes | None = f.read()
            except OSError:
                now = None
            if now != _cat_blob(root, f"{base}:{path}"):
                found.add(path)
    return found


def hidden_from_status(root: StrPath, *paths: str) -> list[str]:
    """Those tracked files among `paths` (or under them) that git status and git diff do not look at: marked
    skip-worktree (S) or assume-unchanged (a lowercase tag) in the index, so an edit to them is invisible there."""
    entries = _nul_list(_run(root, "ls-files", "-v", "-z", "--", *[f":(literal){p}" for p in paths or (".",)]))
    return [entry[2:] for entry in entries if entry[:1] == "S" or entry[:1].islower()]


def on_remote(root: StrPath, sha: str, remote: str) -> bool:
    """Whether a remote-tracking ref of `remote` holds the commit `sha`."""
    out = _run(root, "for-each-ref", "--count=1", "--contains", sha, f"refs/remotes/{remote}/", check=False)
    return bool(out.strip())


def common_ancestor(root: StrPath, a: str, b: str) -> str | None:
    """The merge-base of two commits, or None when they share no history."""
    out = _run(root, "merge-base", a, b, check=False).strip()
    return out or None


# Asked by grow-only and again for the task's files; HEAD does not move in between.
_merge_bases: dict[tuple[str, str], tuple[str, str] | None] = {}  # by the root as str(Path) spells it


def merge_base(root: StrPath, base_ref: str) -> tuple[str, str] | None:
    """The merge-base of HEAD with base_ref, here or on origin; None when they share no history.

    The default base (`main`) also looks for the usual trunk names and the
    remote's default branch. A base that names no commit at all is an error,
    never "nothing changed": a typo must not make every task look untouched.
    Asked once per process.
    """
    return _drive(root, merge_base_steps(root, base_ref))


def merge_base_steps(root: StrPath, base_ref: str) -> Steps[tuple[str, str] | None]:
    key = (pathstr.norm(root), base_ref)
    if key in _merge_bases:
        return _merge_bases[key]
    candidates = base_candidates(base_ref)
    found: tuple[str, str] | None = None
    for ref in candidates:
        # A ref that does not exist (or is no commit) fails here as it would in rev-parse: one process, not two.
        out = (yield ask("merge-base", "HEAD", f"{ref}^{{commit}}", check=False)).strip()
        if out:
            found = ref, out
            break
    else:
        for ref in candidates:
            if (yield from rev_parse_steps(ref)) is not None:
                break
        else:
            raise SmokeError(
                f"settings.base_ref '{base_ref}' does not name a commit here (looked for {', '.join(candidates)})",
                hint="set base_ref under [settings] to the branch tasks start from, or fetch it",
            )
    _merge_bases[key] = found
    return found


def base_candidates(base_ref: str) -> list[str]:
    """Where base_ref may be found: here, then on origin; for the default, each usual trunk name and origin's HEAD."""
    names = TRUNK_NAMES if base_ref == DEFAULT_BASE_REF else (base_ref,)
    refs = [ref for name in names for ref in (name, f"origin/{name}")]
    if base_ref == DEFAULT_BASE_REF:
        refs.append("origin/HEAD")
    return list(dict.fromkeys(refs))


def branch_files(root: StrPath, base_ref: str) -> list[Change]:
    """Files changed by commits on HEAD since its merge-base with base_ref."""
    return _drive(root, branch_files_steps(root, base_ref))


def branch_files_steps(root: StrPath, base_ref: str) -> Steps[list[Change]]:
    head = head_sha(root)
    if head is None:
        return []
    found = yield from merge_base_steps(root, base_ref)
    if found is None:
        return []
    _, base = found
    if base == head:
        return []  # HEAD is where the branch began (nothing committed yet): no commit is in base..HEAD
    out = yield ask("log", "--no-renames", "--name-only", "-z", "--format=%x01%h %s", f"{base}..HEAD")
    return _parse_log(out)


def task_commit_files(root: StrPath, task: str, limit: int = TASK_LOG_LIMIT) -> list[Change]:
    """Files changed by the last `limit` commits whose message names `task` as a whole word.

    A merge naming the task (e.g. "Merge branch 'wg/fix-login'") counts with
    everything it brought in: its diff against the first parent.
    """
    return _drive(root, task_commit_files_steps(root, task, limit))


def task_commit_files_steps(root: StrPath, task: str, limit: int = TASK_LOG_LIMIT) -> Steps[list[Change]]:
    if head_sha(root) is None:
        return []
    args = [
        "log", "-F", f"--grep={task}", "--no-renames", "--name-only", "-z",
        "--diff-merges=first-parent", "--format=%x01%h %x02%B%x03", "HEAD",
    ]
    oldest = (yield ask("rev-list", f"--skip={limit}", "-n1", "HEAD")).strip()
    if oldest:
        args.append(f"^{oldest}")  # bound the search: a long history stays fast
    word = None  # compiled for the first commit --grep found: no commit, no `re`
    changes: list[Change] = []
    for block in (yield ask(*args)).split("\x01"):
        if "\x02" not in block:
            continue
        short, _, rest = block.partition(" \x02")
        body, _, files = rest.partition("\x03")
        word = word or task_word_re(task)
        if not word.search(body):
            continue  # --grep matched inside a longer id, e.g. fix-login-2
        subject = body.strip().splitlines()[0] if body.strip() else ""
        for path in _nul_list(files.replace("\n", "\0")):
            changes.append(Change(path, f"commit {short} {subject}"))
    return changes


def task_word_re(task: str) -> re.Pattern[str]:
    """A task id as a whole word: not inside a longer id made of [A-Za-z0-9_.-]."""
    import re

    return re.compile(r"(?<![A-Za-z0-9_.-])" + re.escape(task) + r"(?![A-Za-z0-9_-]|\.[A-Za-z0-9])")


# ---------------------------------------------------------------- content


def tree_digest(root: Path) -> str:
    """A digest of the work tree's content alone: every tracked and untracked
    (not ignored) file as git would store it now, whether staged or not.

    Staging or committing what is already there leaves it unchanged, so a pass before `git add` still holds at `git commit`.
    Files git reports unchanged are taken from the index; the rest are hashed.
    """
    import hashlib

    entries: dict[str, str] = {}
    for line in _nul_list(_run(root, "ls-files", "--stage", "-z")):
        meta, _, path = line.partition("\t")
        mode, sha, _stage = meta.split(" ")
        entries[path] = f"{mode} {sha}"
    out = _run(root, *gitproc.FULL_STATUS)
    for path in {entry[3:] for entry in _nul_list(out)}:
        state = _blob_state(root / path)
        if state is None:
            entries.pop(path, None)
        else:
            entries[path] = state
    h = hashlib.sha256()
    for path in sorted(entries):
        h.update(path.encode("utf-8", "surrogateescape") + b"\0" + entries[path].encode() + b"\0")
    return h.hexdigest()


def _blob_state(path: Path) -> str | None:
    """`<mode> <blob sha>` of a work-tree file as `git add` would record it; None when it is gone."""
    import hashlib

    try:
        st = path.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        mode, data = "120000", os.fsencode(os.readlink(path))
    elif stat.S_ISDIR(st.st_mode):
        return "160000 dir"  # a submodule or nested repository: its own content is out of reach here
    else:
        mode = "100755" if st.st_mode & 0o111 else "100644"
        h = hashlib.sha1(b"blob %d\0" % st.st_size)  # read in chunks: a large file costs no memory
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as e:
            return f"{mode} unreadable {e.errno}"
        return f"{mode} {h.hexdigest()}"
    return f"{mode} {hashlib.sha1(b'blob %d%c' % (len(data), 0) + data).hexdigest()}"


def tree_files(root: StrPath) -> list[str]:
    """Every file git sees in the work tree: tracked (deleted ones included) and untracked, not ignored."""
    return sorted(set(_nul_list(_run(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"))))


def file_state(path: Path) -> bytes:
    """What a build or a scenario could see of one file: its kind, executable bit and content."""
    try:
        st = path.lstat()
    except OSError:
        return b"deleted"
    if stat.S_ISLNK(st.st_mode):
        return b"link " + os.fsencode(os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        # A submodule or nested repository: its own content is out of reach here.
        return b"dir"
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as e:
        return f"unreadable {e.errno}".encode()
    executable = b"x" if st.st_mode & 0o111 else b"-"
    return executable + digest.digest()


# ---------------------------------------------------------------- worktrees


def add_worktree(root: StrPath, sha: str, path: Path) -> None:
    """Check out `sha` at `path` as a detached temporary worktree, without running hooks."""
    _run(root, "-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--quiet", str(path), sha)


def remove_worktree(root: StrPath, path: Path) -> None:
    """Remove a temporary worktree and its bookkeeping, whatever state it was left in."""
    import shutil

    # Twice --force: also removes a worktree left locked by an interrupted `worktree add`.
    _run(root, "worktree", "remove", "--force", "--force", str(path), check=False)
    shutil.rmtree(path, ignore_errors=True)
    _run(root, "worktree", "prune", check=False)


def blob_at(root: StrPath, ref: str, path: str) -> bytes | None:
    """The exact content of `path` (relative to the top level) at commit `ref`; None if it is not a file there.

    A `ref` that names no commit is an error, never taken for a file that is
    absent (callers that allow an unborn HEAD ask has_head first). Plumbing,
    not GitPython: the gates ask this and must stay light.
    """
    data = _cat_blob(root, f"{ref}:{path}")
    if data is None and rev_parse(root, ref) is None:
        raise SmokeError(f"unknown git ref '{ref}'", hint="use a branch, tag or commit that exists here")
    return data


def _cat_blob(root: StrPath, name: str) -> bytes | None:
    """The blob git names `name` (`<ref>:<path>`, `:0:<path>`), as bytes; None when it is not a blob."""
    code, out, _ = _spawn(root, ["cat-file", "blob", name], None, None)
    return out if code == 0 else None




def hooks_dir(root: Path) -> Path:
    """Where git looks for hooks: core.hooksPath when set, else <git dir>/hooks."""
    out = _run(root, "rev-parse", "--git-path", "hooks").strip()
    return (root / out).absolute()


def toplevel(cwd: Path) -> Path | None:
    """The work tree root, asked of git (handles worktrees and GIT_DIR); None outside a repository."""
    from pathlib import Path

    out = _run(cwd, "rev-parse", "--show-toplevel", check=False).strip()
    return Path(out) if out else None


# ---------------------------------------------------------------- GitPython


@functools.cache
def repo(root: Path) -> gitpython.Repo:
    """One Repo per root for the whole process: GitPython ends its object
    reader when the Repo is collected, which would cut a stream being read."""
    import git as gitpython

    try:
        return gitpython.Repo(root, search_parent_directories=True)
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        raise SmokeError(f"{root} is not inside a git repository") from None


def _tree_at(root: Path, ref: str):  # type: ignore[no-untyped-def]
    sha = rev_parse(root, ref)
    if sha is None:
        raise SmokeError(f"unknown git ref '{ref}'", hint="use a branch, tag or commit that exists here")
    return repo(root).commit(sha).tree


def follow_links(root: StrPath, ref: str | None, path: str, hops: int = 8) -> str:
    """Where `path` really is at `ref` (None: the index) when it is a symlink there: its content, not the link, is compared.

    A link out of the repository cannot be read through git: an error, never "nothing to compare".
    """
    for _ in range(hops):
        entry = _staged_entry(root, path) if ref is None else _tree_entry(root, ref, path)
        if entry is None or entry[0] != "120000":
            return path
        target = _run(root, "cat-file", "blob", entry[1])
        followed = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if target.startswith("/") or followed == ".." or followed.startswith("../"):
            raise SmokeError(
                f"{path} is a symlink to {target}, outside the repository, so git cannot say what it held",
                hint="make it a regular file, or a symlink to a file inside the repository",
            )
        path = followed
    raise SmokeError(f"{path}: too many levels of symlinks", hint="make the manifest a regular file")


def _staged_entry(root: StrPath, path: str) -> tuple[str, str] | None:
    """The index's (mode, object) for `path` at stage 0; None when it is not there as a file or link."""
    out = _run(root, "ls-files", "--stage", "-z", "--", f":(literal){path}")
    for entry in _nul_list(out):
        meta, _, name = entry.partition("\t")
        mode, sha, stage = meta.split()
        if name == path and stage == "0" and not mode.startswith("160"):
            return mode, sha
    return None


def _tree_entry(root: StrPath, ref: str, path: str) -> tuple[str, str] | None:
    out = _run(root, "ls-tree", "-z", ref, "--", path, check=False)
    for entry in _nul_list(out):
        meta, _, name = entry.partition("\t")
        mode, _kind, sha = meta.split()
        if name == path:
            return mode, sha
    return None


def files_at(root: Path, ref: str, folder: str) -> list[str]:
    """Every file under `folder` at `ref`, as paths relative to the top level."""
    tree = _tree_at(root, ref)
    try:
        sub = tree[folder]
    except KeyError:
        return []
    if sub.type != "tree":
        return []
    return sorted(item.path for item in sub.traverse() if item.type == "blob")


def files_staged(root: StrPath, folder: str) -> list[str]:
    """Every file under `folder` in the index, as paths relative to the top level."""
    out = _run(root, "ls-files", "--cached", "-z", "--", f":(literal){folder}")
    return sorted(p for p in _nul_list(out) if p.startswith(folder.rstrip("/") + "/"))
