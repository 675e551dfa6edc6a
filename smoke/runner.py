"""The runner: processes, time, and trees.

Scenarios run in parallel worker threads (they mostly wait on I/O), each in
its own session with a fresh scratch folder, and are ended as a whole tree
when they finish, time out, or the run is interrupted.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from smoke import git
from smoke import locks
from smoke import procs
from smoke.capture import Capture
from smoke.expect import Failure
from smoke.expect import Output
from smoke.expect import check
from smoke.expect import expand
from smoke.files import atomic_write
from smoke.manifest import SKIP_EXIT
from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.records import Status
from smoke.redact import Redactor
from smoke.requires import Checker

if TYPE_CHECKING:
    from smoke.reuse import Reuse

BLOCKING = (Status.FAIL, Status.TIMEOUT, Status.ERROR)
STARTUP_VARS = ("BASH_ENV", "ENV", "LD_PRELOAD", "LD_AUDIT")
STATUSES = Status.ALL
TAIL_LINES = 15
TAIL_LINE_CHARS = 2000
KEEP_RUNS = 20
CMDLINE_CHARS = 160
READ_BYTES = 1 << 20
DRAIN_SECONDS = 2.0


@dataclasses.dataclass
class Result:
    name: str
    status: Status
    duration_s: float
    exit_code: int | None = None
    reason: str = ""
    failures: list[Failure] = dataclasses.field(default_factory=list)
    stdout_tail: str = ""
    stderr_tail: str = ""
    log: str | None = None  # where the full output was saved
    leftovers: list[str] = dataclasses.field(default_factory=list)
    attempts: int = 1
    scratch: str | None = None  # kept with --keep-scratch
    reused_age_s: float | None = None  # a pass reused from this many seconds ago (smoke.reuse)
    cut: dict[str, int] = dataclasses.field(default_factory=dict)  # bytes cut from each saved stream
    printed: dict[str, int] = dataclasses.field(default_factory=dict)  # bytes each stream printed

    @property
    def reused(self) -> bool:
        return self.reused_age_s is not None

    def blocks(self, fail_on_skip: bool) -> bool:
        return self.status in BLOCKING or (fail_on_skip and self.status == Status.SKIP)

    def short_reason(self) -> str:
        """One phrase for the gate's refusal line."""
        return self.reason or self.failure_summary() or ("timed out" if self.status == Status.TIMEOUT else self.status)

    def failure_summary(self) -> str:
        """The broken checks in one phrase, the first three named."""
        more = f"; +{len(self.failures) - 3} more" if len(self.failures) > 3 else ""
        return "; ".join(f.summary for f in self.failures[:3]) + more if self.failures else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "duration_s": round(self.duration_s, 3),
            "exit_code": self.exit_code,
            "reason": self.reason,
            "failures": [dataclasses.asdict(f) for f in self.failures],
            "log": self.log,
            "leftovers": self.leftovers,
            "attempts": self.attempts,
            "reused": self.reused,
            **({"cut_bytes": self.cut} if self.cut else {}),
        }


@dataclasses.dataclass
class _Running:
    tree: procs.Tree


@dataclasses.dataclass
class _Ran:
    """What running a scenario's process produced."""

    exit_code: int | None = None
    timed_out: bool = False
    leftovers: list[str] = dataclasses.field(default_factory=list)
    launch_error: str | None = None
    out: Capture | None = None
    err: Capture | None = None


class Interrupted(Exception):
    """The run was interrupted; carries what finished."""

    def __init__(self, finished: list[Result], cut: list[str], not_started: list[str]) -> None:
        super().__init__("interrupted")
        self.finished = finished
        self.cut = cut
        self.not_started = not_started


class Runner:
    def __init__(
        self,
        manifest: Manifest,
        *,
        jobs: int,
        run_dir: Path,
        on_result: Callable[[Result], None] = lambda r: None,
        on_start: Callable[[Scenario], None] = lambda s: None,
        on_tick: Callable[[], None] = lambda: None,
        keep_scratch: bool = False,
        path_prefix: Sequence[str] = (),
        extra_env: dict[str, str] | None = None,
        root: Path | None = None,
        reuse: Reuse | None = None,
    ) -> None:
        self.manifest = manifest
        self.reuse = reuse
        self.settings = manifest.settings
        self.root = root or manifest.root
        self.jobs = max(1, jobs)
        self.run_dir = run_dir
        self.on_result = on_result
        self.on_start = on_start
        self.on_tick = on_tick
        self.keep_scratch = keep_scratch
        self.checker = Checker()
        self.base_env = dict(os.environ)
        self.base_env.pop(procs.TOKEN_VAR, None)
        # Under a git hook these point at the repository being committed to; a
        # scenario that makes its own scratch repository must not inherit them.
        for var in git.HOOK_VARS:
            self.base_env.pop(var, None)
        # These make bash or the loader run code of the caller's choosing before
        # the scenario does (BASH_ENV=fake.sh: `echo fine; exit 0`). A scenario
        # that needs one sets it in its own `env`, which grow-only watches.
        for var in STARTUP_VARS:
            self.base_env.pop(var, None)
        if extra_env:
            self.base_env.update(extra_env)
        if path_prefix:
            self.base_env["PATH"] = os.pathsep.join([*path_prefix, self.base_env.get("PATH", "")])
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        self._cancelled = threading.Event()

    # ------------------------------------------------------------ scheduling

    def run(self, scenarios: Sequence[Scenario]) -> list[Result]:
        """Run everything; results in manifest order. Raises Interrupted on Ctrl-C/TERM."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # Orphans of scenarios then re-parent to us and can be found and ended.
        procs.become_subreaper()
        pending = list(scenarios)
        busy: set[str] = set()
        results: dict[str, Result] = {}
        cond = threading.Condition()
        errors: list[BaseException] = []

        def worker() -> None:
            while True:
                with cond:
                    while True:
                        if self._cancelled.is_set() or not pending:
                            return
                        pick = next((s for s in pending if not busy.intersection(s.exclusive)), None)
                        if pick is not None:
                            pending.remove(pick)
                            busy.update(pick.exclusive)
                            break
                        cond.wait()
                try:
                    with locks.exclusive(self.manifest.root, pick.exclusive, pick.name, self._cancelled) as free:
                        result = self.run_one(pick) if free else Result(pick.name, Status.ERROR, 0.0, reason="interrupted")
                except BaseException as e:  # noqa: BLE001 - reported by the main thread
                    errors.append(e)
                    self._cancelled.set()
                    result = Result(pick.name, Status.ERROR, 0.0, reason=f"internal error: {e!r}")
                finally:
                    with cond:
                        busy.difference_update(pick.exclusive)
                        cond.notify_all()
                with cond:
                    results[pick.name] = result
                if not (self._cancelled.is_set() and result.reason == "interrupted"):
                    try:
                        self.on_result(result)
                    except BaseException as e:  # noqa: BLE001 - a report that cannot be shown stops the run
                        errors.append(e)
                        self.cancel()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(self.jobs, len(pending)) or 0)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
                    self.on_tick()
        except BaseException:
            # A second Ctrl-C while trees are being ended must not cut the cleanup short.
            with _signals_held():
                self.cancel()
                with cond:
                    cond.notify_all()
                for t in threads:
                    t.join(self.settings.kill_grace_seconds + 5)
            finished = [results[s.name] for s in scenarios if s.name in results and results[s.name].reason != "interrupted"]
            cut = [s.name for s in scenarios if s.name in results and results[s.name].reason == "interrupted"]
            not_started = [s.name for s in scenarios if s.name not in results]
            raise Interrupted(finished, cut, not_started) from None
        if errors:
            raise errors[0]
        missing = [s.name for s in scenarios if s.name not in results]
        if missing:
            # Fail closed: a scenario that never ran must not read as a pass.
            raise RuntimeError(f"scenarios never ran: {', '.join(missing)}")
        return [results[s.name] for s in scenarios]

    def cancel(self) -> None:
        """End every running scenario's tree now."""
        self._cancelled.set()
        with self._lock:
            running = list(self._running.values())
        grace = min(self.settings.kill_grace_seconds, 2.0)
        enders = [threading.Thread(target=procs.end_tree, args=(r.tree, grace)) for r in running]
        for t in enders:
            t.start()
        for t in enders:
            t.join()

    # ------------------------------------------------------------ one scenario

    def run_one(self, sc: Scenario) -> Result:
        self.on_start(sc)
        reused = self._reused(sc)
        if reused is not None:
            return reused
        result = self._run_attempts(sc)
        if self.reuse is not None and result.status == Status.PASS and not result.leftovers and not self._cancelled.is_set():
            self.reuse.record(sc, result.duration_s)
        return result

    def _reused(self, sc: Scenario) -> Result | None:
        """A pass against the same inputs, still fresh; None when the scenario must run."""
        if self.reuse is None or self.manifest.deferred.get(sc.name):
            return None
        age = self.reuse.lookup(sc)
        if age is None:
            return None
        if sc.requires and self.checker.unmet(sc.requires, self._env(sc, "", "")):
            return None  # a command it needs went missing: run it, and let it skip loudly
        return Result(sc.name, Status.PASS, 0.0, exit_code=0, reused_age_s=age)

    def _run_attempts(self, sc: Scenario) -> Result:
        attempts = 0
        first_failure: Result | None = None
        while True:
            attempts += 1
            result = self._attempt(sc, attempts)
            result.attempts = attempts
            if first_failure is not None and result.status == Status.PASS:
                result.status = Status.FLAKY
                result.reason = f"passed on attempt {attempts} of {sc.retries + 1}"
            elif first_failure is not None and result.status == Status.SKIP:
                # A retry that skips proves nothing: the failure before it stands.
                first_failure.attempts = attempts
                first_failure.reason = f"{first_failure.short_reason()}; the retry skipped: {result.reason}"
                return first_failure
            if result.status in BLOCKING and attempts <= sc.retries and not self._cancelled.is_set():
                first_failure = first_failure or result
                continue
            return result

    def _env(self, sc: Scenario, scratch: str, token: str) -> dict[str, str]:
        env = dict(self.base_env)
        env.update(sc.env)
        timeout = self.timeout_of(sc)
        secs = f"{timeout:g}"
        env.update({
            "SMOKE_SCENARIO": sc.name,
            "SMOKE_SCRATCH": scratch,
            "SMOKE_TIMEOUT_SECS": secs,
            "SMOKE_REPO_ROOT": str(self.root),
            "SMOKE_MANIFEST_DIR": str(self.manifest.dir),
            "WG_SMOKE_SCENARIO": sc.name,
            "WG_SMOKE_TIMEOUT_SECS": secs,
            procs.TOKEN_VAR: token,
        })
        return env

    def timeout_of(self, sc: Scenario) -> float:
        return sc.timeout_seconds or self.settings.default_timeout_seconds

    def command_of(self, sc: Scenario) -> list[str]:
        if sc.run is not None:
            return ["bash", "-c", sc.run]
        assert sc.script is not None
        path = (self.manifest.dir / sc.script).resolve()
        if os.access(path, os.X_OK):
            with open(path, "rb") as f:
                if f.read(2) == b"#!":
                    return [str(path)]
        return ["bash", str(path)]

    def _attempt(self, sc: Scenario, attempt: int) -> Result:
        start = time.monotonic()
        suffix = "" if attempt == 1 else f".attempt{attempt}"
        scratch = tempfile.mkdtemp(prefix=f"{sc.name[:40]}-", dir=self._scratch_root())
        token = procs.new_token()
        env = self._env(sc, scratch, token)
        redact = Redactor(env, self.settings.secret_env_patterns)
        try:
            missing = self.manifest.deferred.get(sc.name)
            if missing:
                return Result(sc.name, Status.ERROR, 0.0, reason=redact(missing.what()))
            unmet = self.checker.unmet(sc.requires, env)
            if unmet:
                return Result(sc.name, Status.SKIP, time.monotonic() - start, reason=redact(unmet))
            out_path = self.run_dir / f"{sc.name}{suffix}.stdout"
            err_path = self.run_dir / f"{sc.name}{suffix}.stderr"
            ran = self._execute(sc, env, token, out_path, err_path)
            duration = time.monotonic() - start
            if ran.launch_error:
                return Result(sc.name, Status.ERROR, duration, reason=redact(ran.launch_error))
            assert ran.out is not None and ran.err is not None
            # Expectations see the real output; everything shown or saved is redacted.
            stdout, tail_out, scan_out = ran.out.finish()
            stderr, tail_err, scan_err = ran.err.finish()
            scans = {k: v for k, v in (("stdout", scan_out), ("stderr", scan_err)) if v is not None}
            self._redact_log(out_path, redact)
            self._redact_log(err_path, redact)
            shown_err = redact(_last_lines(tail_err))
            result = Result(
                sc.name, Status.PASS, duration, exit_code=ran.exit_code, log=str(out_path),
                stdout_tail=_tail(redact(_last_lines(tail_out))), stderr_tail=_tail(shown_err),
                leftovers=[_shorten(redact(x), CMDLINE_CHARS) for x in ran.leftovers],
                cut={k: c.cut for k, c in (("stdout", ran.out), ("stderr", ran.err)) if c.cut},
                printed={"stdout": ran.out.size, "stderr": ran.err.size},
            )
            self._judge(sc, result, Output(stdout, stderr, ran.exit_code or 0, scans), shown_err, env, ran.timed_out)
            _redact_result(result, redact)
            return result
        finally:
            if not self.keep_scratch:
                _rmtree(scratch)

    def _judge(
        self, sc: Scenario, result: Result, out: Output, shown_err: str, env: dict[str, str], timed_out: bool
    ) -> None:
        code = result.exit_code
        if timed_out:
            # Whatever the process did after its time was up (a TERM trap exiting 0) does not count.
            result.status = Status.TIMEOUT
            result.reason = f"timed out after {self.timeout_of(sc):g}s"
        elif self._cancelled.is_set():
            result.status = Status.ERROR
            result.reason = "interrupted"
        elif code is None:
            result.status = Status.ERROR
            result.reason = "exit status unknown"
        elif code < 0:
            result.status = Status.FAIL
            result.reason = f"killed by signal {-code}"
        elif code == SKIP_EXIT and SKIP_EXIT not in sc.expect.get("exit_code", (0,)):
            result.status = Status.SKIP
            result.reason = _skip_reason(shown_err) or "scenario exited 77 (skip) without saying why"
        else:
            def read_file(path: str) -> bytes | None:
                full = Path(expand(path, env))
                if not full.is_absolute():
                    full = self.root / full
                try:
                    return full.read_bytes()
                except (OSError, ValueError):  # ValueError: a NUL in the path
                    return None

            result.failures = check(sc.expect, out, read_file)
            if result.failures:
                result.status = Status.FAIL
                result.reason = result.failure_summary()
        if self.keep_scratch:
            result.scratch = env["SMOKE_SCRATCH"]
        if result.leftovers and result.status == Status.PASS:
            result.reason = f"left {len(result.leftovers)} process(es) running; ended them"

    def _execute(self, sc: Scenario, env: dict[str, str], token: str, out_path: Path, err_path: Path) -> _Ran:
        cmd = self.command_of(sc)
        handle = _Running(procs.Tree(token))
        with self._lock:
            if self._cancelled.is_set():
                return _Ran(launch_error="interrupted")
            self._running[sc.name] = handle
        keep = self.settings.keep_output_bytes
        out = Capture(out_path, keep, _needles(sc, "stdout"))
        err = Capture(err_path, keep, _needles(sc, "stderr"))
        try:
            with open(os.devnull, "rb") as stdin:
                try:
                    with procs.spawning():
                        proc = subprocess.Popen(
                            cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.root,
                            env=env, start_new_session=True, close_fds=True,
                        )
                        procs.track(proc.pid)
                except OSError as e:
                    out.finish()
                    err.finish()
                    return _Ran(launch_error=_launch_failure(cmd, e))
            assert proc.stdout is not None and proc.stderr is not None
            pipes = _Pipes({proc.stdout: out, proc.stderr: err})
            try:
                ran = self._wait(sc, proc, handle.tree, pipes)
                ended = procs.end_tree(handle.tree, self.settings.kill_grace_seconds)
                procs.ended(handle.tree)
                # Whatever the tree wrote before it ended; nothing can keep the pipes open now.
                pipes.drain(DRAIN_SECONDS)
            finally:
                pipes.close()
            if not ran.timed_out:
                ran.leftovers = ended
            ran.out, ran.err = out, err
            return ran
        except BaseException:
            out.abandon()
            err.abandon()
            raise
        finally:
            with self._lock:
                self._running.pop(sc.name, None)

    def _wait(self, sc: Scenario, proc: subprocess.Popen[bytes], tree: procs.Tree, pipes: _Pipes) -> _Ran:
        """Read its output until the root exits or its time is up; end the tree if it is late or the run was cancelled."""
        tree.sid = proc.pid
        tree.since = procs.start_time(proc.pid)
        procs.lives(tree, sc.name)
        ran = _Ran()
        try:
            # cancel() may have looked before the root existed; then ending it is ours to do.
            if self._cancelled.is_set():
                procs.end_tree(tree, min(self.settings.kill_grace_seconds, 2.0))
            if not pipes.until_exit(proc, self.timeout_of(sc)):
                ran.timed_out = True
                procs.end_tree(tree, self.settings.kill_grace_seconds)
            ran.exit_code = proc.wait()
        finally:
            procs.untrack(proc.pid)
        return ran

    def _redact_log(self, path: Path, redact: Redactor) -> None:
        """The saved log (at most keep_output_bytes and a marker) is rewritten redacted."""
        if not redact:
            return
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return
        clean = redact(text)
        if clean != text:
            atomic_write(path, clean, durable=False)

    _scratch_dir: str | None = None

    def _scratch_root(self) -> str:
        with self._lock:
            if self._scratch_dir is None:
                self._scratch_dir = tempfile.mkdtemp(prefix="smoke-scratch-")
            return self._scratch_dir

    def close(self) -> None:
        """End any orphan still about; remove the run's scratch root unless kept."""
        procs.sweep_orphans()
        if self._scratch_dir and not self.keep_scratch:
            _rmtree(self._scratch_dir)


def new_run_dir(root: Path, label: str = "") -> Path:
    """A fresh folder for one run's logs, in the git directory; two runs never
    share one, and only the newest KEEP_RUNS (or those under an hour old) stay."""
    from smoke import git

    base = git.private_dir(root)
    parent = base / "smoke" / "runs" if base else Path(tempfile.gettempdir()) / f"smoke-runs-{os.getuid()}"
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = parent / f"{stamp}-{os.getpid()}{'-' + label if label else ''}-{os.urandom(2).hex()}"
    path.mkdir(parents=True, exist_ok=False)
    _prune_runs(parent)
    return path


def _prune_runs(parent: Path) -> None:
    try:
        runs = sorted(p for p in parent.iterdir() if p.is_dir())
    except OSError:
        return
    cutoff = time.time() - 3600
    for old in runs[:-KEEP_RUNS]:
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


class _Pipes:
    """A scenario's stdout and stderr pipes, each read into its Capture as data comes."""

    def __init__(self, captures: dict[Any, Capture]) -> None:
        self.poller = select.poll()
        self.by_fd: dict[int, tuple[Any, Capture]] = {}
        for pipe, capture in captures.items():
            fd = pipe.fileno()
            os.set_blocking(fd, False)
            self.by_fd[fd] = (pipe, capture)
            self.poller.register(fd, select.POLLIN)

    def until_exit(self, proc: subprocess.Popen[bytes], timeout: float) -> bool:
        """Read until the root exits (True) or `timeout` passes (False); it is not reaped here.

        A pidfd wakes us the moment the root exits, where Popen.wait(timeout)
        would poll with sleeps that cost every short scenario milliseconds.
        """
        deadline = time.monotonic() + timeout
        try:
            pidfd: int | None = os.pidfd_open(proc.pid)
        except ProcessLookupError:
            return True
        except (AttributeError, OSError):
            pidfd = None  # no pidfd: look at the root between reads
        try:
            if pidfd is not None:
                self.poller.register(pidfd, select.POLLIN)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                step = min(left, 3600) if pidfd is not None else min(left, 0.05)
                for fd, _ in self.poller.poll(math.ceil(step * 1000)):
                    if fd == pidfd:
                        return True
                    self._read(fd)
                if pidfd is None and proc.poll() is not None:
                    return True
        finally:
            if pidfd is not None:
                self.poller.unregister(pidfd)
                os.close(pidfd)

    def drain(self, patience: float) -> None:
        """Read to the end of both pipes; a writer that outlived its tree is given up on after `patience` seconds."""
        deadline = time.monotonic() + patience
        while self.by_fd:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for fd, _ in self.poller.poll(math.ceil(left * 1000)):
                self._read(fd)

    def _read(self, fd: int) -> None:
        try:
            chunk = os.read(fd, READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self.by_fd[fd][1].feed(chunk)
        else:
            self.poller.unregister(fd)
            pipe, _ = self.by_fd.pop(fd)
            pipe.close()

    def close(self) -> None:
        for fd, (pipe, _) in list(self.by_fd.items()):
            self.poller.unregister(fd)
            pipe.close()
        self.by_fd.clear()


def _needles(sc: Scenario, stream: str) -> tuple[str, ...]:
    """The texts a scan of `stream` must find, for when it is too large to hold."""
    return (*sc.expect.get(f"{stream}_contains", ()), *sc.expect.get(f"{stream}_not_contains", ()))


def _last_lines(text: str, n: int = TAIL_LINES) -> str:
    """The end of an output holding its last `n` lines, whole (redacted before they are cut for width)."""
    start = len(text.rstrip("\n"))
    for _ in range(n):
        start = text.rfind("\n", 0, start)
        if start < 0:
            return text
    return text[start + 1 :]


def _launch_failure(cmd: list[str], e: OSError) -> str:
    """Why a scenario could not start, in one line."""
    what = e.strerror or str(e)
    hint = " (check its #! line and that it is executable)" if len(cmd) == 1 else ""
    return _shorten(f"cannot start {cmd[0]}: {what}{hint}", 300)


def _redact_result(result: Result, redact: Redactor) -> None:
    if not redact:
        return
    result.reason = redact(result.reason)
    result.failures = [
        dataclasses.replace(f, summary=redact(f.summary), detail=redact(f.detail)) for f in result.failures
    ]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _tail(text: str, n: int = TAIL_LINES, width: int = TAIL_LINE_CHARS) -> str:
    """The last lines of an output, each cut to `width` characters (the full text is in the log)."""
    start = len(text.rstrip("\n"))
    for _ in range(n):
        start = text.rfind("\n", 0, start)
        if start < 0:
            break
    lines = text[start + 1 :].splitlines()[-n:]
    return "\n".join(ln if len(ln) <= width else f"{ln[:width]}... [{len(ln) - width} more characters]" for ln in lines)


def _skip_reason(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return " / ".join(lines[-3:])[:300]


def _rmtree(path: str) -> None:
    def onerror(func: Any, p: str, exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=onerror)
    else:
        shutil.rmtree(path, onerror=onerror)
