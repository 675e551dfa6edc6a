"""The runner: processes, time, and trees.

Scenarios run in parallel worker threads (they mostly wait on I/O), each in
its own session with a fresh scratch folder, and are ended as a whole tree
when they finish, time out, or the run is interrupted.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smoke import procs
from smoke.expect import Failure
from smoke.expect import Output
from smoke.expect import check
from smoke.expect import expand
from smoke.manifest import SKIP_EXIT
from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.redact import Redactor
from smoke.requires import Checker

BLOCKING = ("fail", "timeout", "error")
STATUSES = ("pass", "fail", "skip", "timeout", "error", "flaky")
TAIL_LINES = 15


@dataclasses.dataclass
class Result:
    name: str
    status: str
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

    def blocks(self, fail_on_skip: bool) -> bool:
        return self.status in BLOCKING or (fail_on_skip and self.status == "skip")

    def short_reason(self) -> str:
        """One phrase for the gate's refusal line."""
        if self.status == "timeout":
            return self.reason or "timed out"
        if self.failures:
            return "; ".join(f.summary for f in self.failures[:3]) + (
                f"; +{len(self.failures) - 3} more" if len(self.failures) > 3 else ""
            )
        return self.reason or self.status

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
        }


@dataclasses.dataclass
class _Running:
    token: str
    sid: int | None = None


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
    ) -> None:
        self.manifest = manifest
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
                    result = self.run_one(pick)
                except BaseException as e:  # noqa: BLE001 - reported by the main thread
                    errors.append(e)
                    self._cancelled.set()
                    result = Result(pick.name, "error", 0.0, reason=f"internal error: {e!r}")
                finally:
                    with cond:
                        busy.difference_update(pick.exclusive)
                        cond.notify_all()
                with cond:
                    results[pick.name] = result
                if not (self._cancelled.is_set() and result.reason == "interrupted"):
                    self.on_result(result)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(self.jobs, len(pending)) or 0)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
                    self.on_tick()
        except BaseException:
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
        return [results[s.name] for s in scenarios if s.name in results]

    def cancel(self) -> None:
        """End every running scenario's tree now."""
        self._cancelled.set()
        with self._lock:
            running = list(self._running.values())
        enders = [
            threading.Thread(target=procs.end_tree, args=(r.token, r.sid, min(self.settings.kill_grace_seconds, 2.0)))
            for r in running
        ]
        for t in enders:
            t.start()
        for t in enders:
            t.join()

    # ------------------------------------------------------------ one scenario

    def run_one(self, sc: Scenario) -> Result:
        self.on_start(sc)
        attempts = 0
        failed_before = False
        while True:
            attempts += 1
            result = self._attempt(sc, attempts)
            result.attempts = attempts
            if result.status == "pass" and failed_before:
                result.status = "flaky"
                result.reason = f"passed on attempt {attempts} of {sc.retries + 1}"
            if result.status in ("fail", "timeout", "error") and attempts <= sc.retries and not self._cancelled.is_set():
                failed_before = True
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
                return Result(sc.name, "error", 0.0, reason=missing.split(": ", 1)[-1])
            unmet = self.checker.unmet(sc.requires, env)
            if unmet:
                return Result(sc.name, "skip", time.monotonic() - start, reason=unmet)
            out_path = self.run_dir / f"{sc.name}{suffix}.stdout"
            err_path = self.run_dir / f"{sc.name}{suffix}.stderr"
            exit_code, timed_out, leftovers, launch_error = self._execute(sc, env, token, out_path, err_path)
            duration = time.monotonic() - start
            if launch_error:
                return Result(sc.name, "error", duration, reason=redact(launch_error))
            stdout = self._read_log(out_path, redact)
            stderr = self._read_log(err_path, redact)
            result = Result(
                sc.name, "pass", duration, exit_code=exit_code, log=str(out_path),
                stdout_tail=_tail(stdout), stderr_tail=_tail(stderr), leftovers=[redact(x) for x in leftovers],
            )
            self._judge(sc, result, stdout, stderr, env, timed_out)
            return result
        finally:
            if self.keep_scratch:
                pass
            else:
                _rmtree(scratch)

    def _judge(self, sc: Scenario, result: Result, stdout: str, stderr: str, env: dict[str, str], timed_out: bool) -> None:
        code = result.exit_code
        if timed_out:
            result.status = "timeout"
            result.reason = f"timed out after {self.timeout_of(sc):g}s"
        elif self._cancelled.is_set():
            result.status = "error"
            result.reason = "interrupted"
        elif code is not None and code < 0:
            result.status = "fail"
            result.reason = f"killed by signal {-code}"
        elif code == SKIP_EXIT and SKIP_EXIT not in sc.expect.get("exit_code", (0,)):
            result.status = "skip"
            result.reason = _skip_reason(stderr) or "scenario exited 77 (skip) without saying why"
        else:
            def read_file(path: str) -> bytes | None:
                full = Path(expand(path, env))
                if not full.is_absolute():
                    full = self.root / full
                try:
                    return full.read_bytes()
                except OSError:
                    return None

            assert code is not None
            result.failures = check(sc.expect, Output(stdout, stderr, code), read_file)
            if result.failures:
                result.status = "fail"
                result.reason = result.short_reason()
        if self.keep_scratch:
            result.scratch = env["SMOKE_SCRATCH"]
        if result.leftovers and result.status == "pass":
            result.reason = f"left {len(result.leftovers)} process(es) running; ended them"

    def _execute(
        self, sc: Scenario, env: dict[str, str], token: str, out_path: Path, err_path: Path
    ) -> tuple[int | None, bool, list[str], str | None]:
        import sh

        cmd = self.command_of(sc)
        timeout = self.timeout_of(sc)
        handle = _Running(token)
        with self._lock:
            if self._cancelled.is_set():
                return None, False, [], "interrupted"
            self._running[sc.name] = handle
        timed_out = False
        try:
            with open(os.devnull, "rb") as stdin, open(out_path, "wb") as out, open(err_path, "wb") as err:
                try:
                    proc = sh.Command(cmd[0])(
                        *cmd[1:], _bg=True, _bg_exc=False, _new_session=True, _in=stdin, _out=out,
                        _err=err, _cwd=str(self.root), _env=env, _ok_code=list(range(256)),
                    )
                except sh.CommandNotFound:
                    return None, False, [], f"cannot start {cmd[0]}: not found"
                except OSError as e:
                    return None, False, [], f"cannot start {cmd[0]}: {e.strerror or e}"
                handle.sid = proc.pid
                try:
                    proc.wait(timeout=timeout)
                except sh.TimeoutException:
                    timed_out = True
                    procs.end_tree(token, handle.sid, self.settings.kill_grace_seconds)
                except sh.ErrorReturnCode:
                    pass
                try:
                    proc.wait()
                except (sh.ErrorReturnCode, sh.SignalException):
                    pass
                code = proc.exit_code
                if code is None:
                    code = proc.process.exit_code
            leftovers = procs.end_tree(token, handle.sid, self.settings.kill_grace_seconds)
            return code, timed_out, leftovers if not timed_out else [], None
        finally:
            with self._lock:
                self._running.pop(sc.name, None)

    def _read_log(self, path: Path, redact: Redactor) -> str:
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""
        if redact:
            clean = redact(text)
            if clean != text:
                path.write_text(clean, encoding="utf-8")
            return clean
        return text

    _scratch_dir: str | None = None

    def _scratch_root(self) -> str:
        with self._lock:
            if self._scratch_dir is None:
                self._scratch_dir = tempfile.mkdtemp(prefix="smoke-scratch-")
            return self._scratch_dir

    def close(self) -> None:
        """Remove the run's scratch root (scenario folders inside are already gone unless kept)."""
        if self._scratch_dir and not self.keep_scratch:
            _rmtree(self._scratch_dir)


def _tail(text: str, n: int = TAIL_LINES) -> str:
    lines = text.splitlines()
    return "\n".join(lines[-n:])


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
