"""The build step: `settings.build`, run once per content, cached in the git directory.

Scenarios must exercise the work tree, never an old install, so before any
scenario runs the build installs the project into $SMOKE_BUILD_DIR and the
runner puts $SMOKE_BUILD_DIR/bin first on PATH.

Cache layout, in `<git common dir>/smoke/build/`:
  <key>/       a build ($SMOKE_BUILD_DIR), usable only once <key>.ok exists
  <key>.ok     written when the build succeeded; its mtime is the last use
  <key>.lock   flock: exclusive while building or deleting, shared while in use
  logs/<key>.log  the output of the last build of that key

The key is the build command plus git.tree_digest() of the tree (staging a
file changes nothing a build reads, so it keeps the key). Builds
happen in place under the exclusive lock rather than in a temporary folder
renamed afterwards: many installs (a virtualenv, `make install PREFIX=`) write
their own absolute path into what they install, so a renamed build breaks.
The lock serialises builders of one key; a crashed build leaves no .ok and
is wiped by the next builder.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from smoke import git
from smoke import procs
from smoke.errors import SmokeError
from smoke.manifest import Manifest
from smoke.output import Out
from smoke.redact import Redactor

KEEP_BUILDS = 3
KEEP_LOGS = 10
TAIL_LINES = 20
_KEY_VERSION = b"smoke-build-1"


@dataclasses.dataclass
class Built:
    """The outcome of ensure(): a usable build folder, or an error with the output's tail."""

    error: str | None
    tail: str
    build_dir: Path
    bin_dir: Path
    key: str
    cached: bool = False
    log: Path | None = None
    _lock_fd: int | None = None
    _temporary: Path | None = None

    def release(self) -> None:
        """Let the cache prune this build again; remove it if it was temporary."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None


def ensure(manifest: Manifest, out: Out, *, root: Path | None = None, keep: bool = True, fresh: bool = False) -> Built:
    """Build the tree at `root` (default: the manifest's repository) unless its build is cached.

    keep=False (used by `smoke prove` for old refs) reuses a cached build but
    builds a missing one into a temporary folder that release() removes, so
    proofs do not evict the work tree's build from the cache. fresh=True (an
    agent's run) never reads the cache: what is in the git directory could
    have been written by the agent, so it builds into a temporary folder.
    """
    command = manifest.settings.build
    assert command, "ensure() is only called when settings.build is set"
    root = root or manifest.root
    cache = _cache_dir(manifest)
    key = _key(command, root)
    log = cache / "logs" / f"{key}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if keep and not fresh:
        return _ensure_cached(manifest, out, root, cache, key, log)
    fd = None if fresh else _use_if_cached(cache, key)
    if fd is not None:
        out.line(f"smoke: build up to date (cache {key[:12]})")
        return _built(cache, key, log, fd)
    temporary = Path(tempfile.mkdtemp(prefix="smoke-build-"))
    build_dir = temporary / "build"
    build_dir.mkdir()
    try:
        # Its own log: a concurrent cached build of the same key writes <key>.log.
        built = _run_build(manifest, out, root, build_dir, key, log.with_name(f"{key}-{os.getpid()}.log"), temporary=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    built._temporary = temporary
    if built.error:
        built.release()
    return built


def _cache_dir(manifest: Manifest) -> Path:
    base = git.private_dir(manifest.root)
    if base is None:
        raise SmokeError(
            "settings.build needs a git repository: builds are cached by what git sees of the tree",
            hint="run smoke inside the repository, or remove 'build' from [settings]",
        )
    path = base / "smoke" / "build"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(command: str, root: Path) -> str:
    h = hashlib.sha256(_KEY_VERSION + b"\0" + command.encode() + b"\0")
    h.update(git.tree_digest(root).encode())
    return h.hexdigest()[:32]


def _built(cache: Path, key: str, log: Path, fd: int | None, cached: bool = True) -> Built:
    build_dir = cache / key
    return Built(None, "", build_dir, build_dir / "bin", key, cached=cached, log=log, _lock_fd=fd)


# ---------------------------------------------------------------- the cache


def _ensure_cached(manifest: Manifest, out: Out, root: Path, cache: Path, key: str, log: Path) -> Built:
    fd = _use_if_cached(cache, key)
    if fd is not None:
        out.line(f"smoke: build up to date (cache {key[:12]})")
        return _built(cache, key, log, fd)
    fd = _lock(cache / f"{key}.lock", fcntl.LOCK_EX)
    try:
        ok = cache / f"{key}.ok"
        if ok.exists():
            # Another run built it while this one waited for the lock.
            fcntl.flock(fd, fcntl.LOCK_SH)
            out.line(f"smoke: build up to date (cache {key[:12]}, built by a concurrent run)")
            return _built(cache, key, log, fd)
        build_dir = cache / key
        shutil.rmtree(build_dir, ignore_errors=True)  # left by a build that crashed
        build_dir.mkdir()
        built = _run_build(manifest, out, root, build_dir, key, log)
        if built.error:
            shutil.rmtree(build_dir, ignore_errors=True)
            os.close(fd)
            return built
        ok.touch()
        fcntl.flock(fd, fcntl.LOCK_SH)
    except BaseException:
        # Interrupted mid-build: the partial folder must never look like a build.
        (cache / f"{key}.ok").unlink(missing_ok=True)
        shutil.rmtree(cache / key, ignore_errors=True)
        os.close(fd)
        raise
    built._lock_fd = fd
    _prune(cache, key)
    return built


def _use_if_cached(cache: Path, key: str) -> int | None:
    """A shared lock on a finished build of `key`, or None when there is none."""
    ok = cache / f"{key}.ok"
    if not ok.exists():
        return None
    fd = _lock(cache / f"{key}.lock", fcntl.LOCK_SH)
    if not ok.exists():  # pruned before the lock was granted
        os.close(fd)
        return None
    os.utime(ok)  # most recently used: the last to be pruned
    return fd


def _lock(path: Path, mode: int) -> int:
    """flock `path`, retrying when a pruner deleted the file while we waited."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _prune(cache: Path, current: str) -> None:
    """Keep the KEEP_BUILDS most recently used builds; skip any build still in use."""
    finished = sorted(cache.glob("*.ok"), key=_mtime, reverse=True)
    keep = {current, *(p.stem for p in finished[:KEEP_BUILDS])}
    unfinished = [p.name for p in cache.iterdir() if p.is_dir() and p.name != "logs" and not (cache / f"{p.name}.ok").exists()]
    for key in [p.stem for p in finished[KEEP_BUILDS:]] + unfinished:
        if key not in keep:
            _delete(cache, key)
    logs = sorted((cache / "logs").glob("*.log"), key=_mtime, reverse=True)
    for old in logs[KEEP_LOGS:]:
        if old.stem not in keep:
            old.unlink(missing_ok=True)


def _delete(cache: Path, key: str) -> None:
    lock = cache / f"{key}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)  # in use by a running gate, or being built
        return
    try:
        (cache / f"{key}.ok").unlink(missing_ok=True)
        shutil.rmtree(cache / key, ignore_errors=True)
        lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# ---------------------------------------------------------------- building


def _run_build(
    manifest: Manifest, out: Out, root: Path, build_dir: Path, key: str, log: Path, *, temporary: bool = False
) -> Built:
    settings = manifest.settings
    assert settings.build
    where = "temporary, not cached" if temporary else f"cache {key[:12]}"
    out.line(f"smoke: building ({where}): {settings.build}")
    token = procs.new_token()
    env = _build_env(build_dir, root, token)
    started = time.monotonic()
    code, timed_out = _execute(settings.build, root, env, token, log, settings.build_timeout_seconds, settings.kill_grace_seconds)
    tail = _tail(log, Redactor(env, settings.secret_env_patterns))
    built = Built(None, tail, build_dir, build_dir / "bin", key, log=log)
    if timed_out:
        built.error = f"timed out after {settings.build_timeout_seconds:g}s (build_timeout_seconds); full output: {log}"
    elif code != 0:
        how = f"exited {code}" if code >= 0 else f"was killed by signal {-code}"
        built.error = f"the build command {how}; full output: {log}"
    else:
        out.line(f"smoke: built in {time.monotonic() - started:.2f}s")
    return built


def _build_env(build_dir: Path, root: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in git.HOOK_VARS}
    env.update({
        "SMOKE_BUILD_DIR": str(build_dir),
        "SMOKE_REPO_ROOT": str(root),
        procs.TOKEN_VAR: token,
    })
    return env


def _execute(
    command: str, root: Path, env: dict[str, str], token: str, log: Path, timeout: float, grace: float
) -> tuple[int, bool]:
    """Run the build in a session of its own; its whole tree is ended however it finishes."""
    timed_out = False
    tree = procs.Tree(token)
    proc: subprocess.Popen[bytes] | None = None
    with open(os.devnull, "rb") as stdin, open(log, "wb") as sink:
        # Everything from the spawn on is inside the try: a Ctrl-C that lands
        # just after the fork must still end the build, found by its token.
        try:
            # Tracked as a root: an orphan sweep must never reap it and steal its exit status.
            with procs.spawning():
                proc = subprocess.Popen(
                    ["bash", "-c", command], cwd=root, env=env, stdin=stdin, stdout=sink,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )
                procs.track(proc.pid)
            tree.sid = proc.pid
            tree.since = procs.start_time(proc.pid)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
        finally:
            # Also on Ctrl-C: nothing the build started may outlive it.
            procs.end_tree(tree, grace)
            if proc is not None:
                proc.wait()
                procs.untrack(proc.pid)
    assert proc is not None
    return proc.returncode, timed_out


def _tail(log: Path, redact: Redactor, n: int = TAIL_LINES) -> str:
    try:
        text = log.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""
    if redact:
        clean = redact(text)
        if clean != text:
            log.write_text(clean, encoding="utf-8")
            text = clean
    return "\n".join(text.splitlines()[-n:])
