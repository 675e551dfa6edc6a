"""Reports: the console lines people read, JSON and JUnit for machines."""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smoke.manifest import Manifest
from smoke.manifest import Scenario
from smoke.output import Out
from smoke.output import printable
from smoke.output import shown
from smoke.runner import STATUSES
from smoke.runner import Result

WIDTH = 79
JUNIT_MAX_BYTES = 1024 * 1024  # per stream: CI viewers choke on more, and the log file keeps it all
LABELS = {
    "pass": "PASS", "fail": "FAIL", "skip": "SKIP", "timeout": "TIMEOUT",
    "error": "ERROR", "flaky": "FLAKY",
}
PLURAL = {
    "pass": "passed", "fail": "failed", "skip": "skipped", "timeout": "timed out",
    "error": "errored", "flaky": "flaky",
}


def broken_line(manifest: Manifest, sc: Scenario | None, r: Result) -> int:
    """The manifest line a broken scenario points at: its first broken
    assertion; its `script` when that could not run; else its [[scenario]]."""
    if sc is None:
        return 0
    for f in r.failures:
        # The first broken check written in the manifest (a default exit code has no line of its own).
        line = manifest.assertion_line(sc, f.check)
        if line != sc.line:
            return line
    if r.status == "error" and sc.script is not None:
        return manifest.assertion_line(sc, "script")
    return sc.line


def summary_counts(results: Sequence[Result]) -> dict[str, int]:
    counts: dict[str, int] = {s: 0 for s in STATUSES}
    for r in results:
        counts[r.status] += 1
    return counts


class Console:
    """Prints each scenario's block as it finishes, never interleaved."""

    def __init__(self, out: Out, manifest: Manifest, total: int, *, verbose_pass: bool = False) -> None:
        self.out = out
        self.manifest = manifest
        self.total = total
        self.done = 0
        self.verbose_pass = verbose_pass
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._running: dict[str, float] = {}
        self._progress_shown = False
        self._by_name = manifest.by_name()
        self._github = os.environ.get("GITHUB_ACTIONS") == "true"

    # -- live progress (terminals only)
    def on_start(self, sc: Scenario) -> None:
        with self._lock:
            self._running[sc.name] = time.monotonic()

    def tick(self) -> None:
        """Redraw the progress line; called from the main thread on terminals."""
        if not self.out.live or time.monotonic() - self.started < 1.0:
            return
        with self._lock:
            names = ", ".join(sorted(self._running)[:3])
            more = f" +{len(self._running) - 3}" if len(self._running) > 3 else ""
            text = f"[{self.done}/{self.total}] {time.monotonic() - self.started:.0f}s running: {names}{more}"
            self.out.raw("\r\x1b[K" + self.out.paint(text[: WIDTH - 1], "dim"))
            self._progress_shown = True

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self.out.raw("\r\x1b[K")
            self._progress_shown = False

    # -- results
    def on_result(self, r: Result) -> None:
        with self._lock:
            self._running.pop(r.name, None)
            self.done += 1
            self._clear_progress()
            for line in self.block(r):
                self.out.line(line)

    def status_line(self, r: Result) -> str:
        label = LABELS[r.status]
        dur = f"{r.duration_s:.2f}s"
        if r.reused_age_s is not None:
            from smoke.reuse import ago

            dur = f"(reused, {ago(r.reused_age_s)} ago)"
        dots = "." * max(3, WIDTH - len(r.name) - len(label) - len(dur) - 1)
        return f"{r.name}{self.out.paint(dots, 'dim')}{self.out.paint(label, r.status)} {dur}"

    def block(self, r: Result) -> list[str]:
        lines = [self.status_line(r)]
        sc = self._by_name.get(r.name)
        where = f"{self.manifest.display()}:{broken_line(self.manifest, sc, r)}" if sc else self.manifest.display()
        if r.status == "skip":
            lines.append(self.out.paint(f"  !!! SKIPPED, NOT PASSED: {printable(r.reason)}", "skip"))
            return lines
        if r.status in ("pass", "flaky"):
            if r.reason:
                lines.append(self.out.paint(f"  {printable(r.reason)}", "warn"))
            lines.extend(self.out.paint(line, "warn") for line in _cut_lines(r))
            for p in r.leftovers:
                lines.append(self.out.paint(f"    left running: {printable(p)}", "warn"))
            if r.scratch:
                lines.append(f"  scratch kept: {r.scratch}")
            return lines
        lines.append(f"  {where}  {self._headline(r)}")
        for f in r.failures:
            first, *rest = printable(f.detail or f.summary).splitlines() or [""]
            lines.append("  " + self.out.paint("x", "fail") + f" {f.check}: {first}")
            lines.extend(f"      {ln}" for ln in rest)
        output: list[str] = []
        if r.stdout_tail:
            output.append(self.out.paint("  --- stdout (last lines) ---", "dim"))
            output.extend(f"  | {ln}" for ln in printable(r.stdout_tail).splitlines())
        if r.stderr_tail:
            output.append(self.out.paint("  --- stderr (last lines) ---", "dim"))
            output.extend(f"  | {ln}" for ln in printable(r.stderr_tail).splitlines())
        if output and self._github:
            from smoke import ghcommands

            output = ghcommands.fold(f"{r.name}: output (last lines)", output)
        lines.extend(output)
        if r.log:
            lines.append(f"  full output: {shown(r.log)} (and .stderr beside it)")
        lines.extend(_cut_lines(r))
        for p in r.leftovers:
            lines.append(f"    ended: {printable(p)}")
        if r.scratch:
            lines.append(f"  scratch kept: {r.scratch}")
        return lines

    def _headline(self, r: Result) -> str:
        bits = []
        if r.exit_code is not None and r.status != "timeout":
            bits.append(f"exit {r.exit_code}" if r.exit_code >= 0 else f"killed by signal {-r.exit_code}")
        if r.reason != r.failure_summary():
            bits.append(printable(r.reason))  # e.g. a timeout, or a retry that skipped after a failure
        if r.attempts > 1:
            bits.append(f"after {r.attempts} attempts")
        return ", ".join(b for b in bits if b)

    def summary(self, results: Sequence[Result], elapsed: float) -> None:
        with self._lock:
            self._clear_progress()
        counts = summary_counts(results)
        parts = [f"{n} {PLURAL[s]}" for s, n in counts.items() if n or s in ("pass", "fail")]
        reused = sum(1 for r in results if r.reused)
        if reused:
            parts[0] += f" ({reused} reused)"
        self.out.line(self.out.paint(f"smoke: {', '.join(parts)} in {elapsed:.2f}s", "bold"))
        slow = sorted((r for r in results if r.duration_s >= 0.5), key=lambda r: -r.duration_s)[:3]
        if len(results) > 3 and slow:
            self.out.line("slowest: " + ", ".join(f"{r.name} {r.duration_s:.2f}s" for r in slow))
        skipped = [r for r in results if r.status == "skip"]
        if skipped:
            bar = "!" * WIDTH
            self.out.line(self.out.paint(bar, "skip"))
            self.out.line(self.out.paint(f"!!! {len(skipped)} scenario(s) SKIPPED: they did not run and did not pass", "skip"))
            for r in skipped:
                self.out.line(self.out.paint(f"!!!   {r.name}: {printable(r.reason)}", "skip"))
            self.out.line(self.out.paint(bar, "skip"))


def _cut_lines(r: Result) -> list[str]:
    """One line per saved stream that was cut to settings.keep_output_bytes."""
    return [
        f"  {stream} printed {_size(r.printed.get(stream, 0))}; its log was cut to the first and last"
        f" {_size((r.printed.get(stream, 0) - n) // 2)} ({_size(n)} left out; settings.keep_output_bytes)"
        for stream, n in r.cut.items()
    ]


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


def refusal(what: str, results: Sequence[Result], fail_on_skip: bool) -> str:
    broken = [r for r in results if r.blocks(fail_on_skip)]
    names = ", ".join(f"{r.name} ({r.short_reason()})" for r in broken)
    return f"smoke gate refused {what}: {len(broken)} scenario(s) broken \u2014 {printable(names)}"


def to_json(results: Sequence[Result]) -> dict[str, Any]:
    return {
        "version": 1,
        "results": [r.to_json() for r in results],
        "summary": summary_counts(results),
    }


def dump_json(results: Sequence[Result]) -> str:
    return json.dumps(to_json(results), indent=2)


def write_junit(path: str, results: Sequence[Result], manifest: Manifest, elapsed: float) -> None:
    import xml.etree.ElementTree as ET

    counts = summary_counts(results)
    suite = ET.Element("testsuite", {
        "name": "smoke", "tests": str(len(results)),
        "failures": str(counts["fail"]), "errors": str(counts["error"] + counts["timeout"]),
        "skipped": str(counts["skip"]), "time": f"{elapsed:.3f}",
    })
    by_name = manifest.by_name()
    for r in results:
        sc = by_name.get(r.name)
        case = ET.SubElement(suite, "testcase", {
            "classname": "smoke", "name": r.name, "time": f"{r.duration_s:.3f}",
            "file": manifest.display(), "line": str(broken_line(manifest, sc, r)),
        })
        detail = "\n".join(f"{f.check}: {f.detail or f.summary}" for f in r.failures)
        if r.status == "fail":
            ET.SubElement(case, "failure", {"message": _xml_safe(r.short_reason())}).text = _xml_safe(detail)
        elif r.status in ("error", "timeout"):
            ET.SubElement(case, "error", {"message": _xml_safe(r.short_reason()), "type": r.status}).text = _xml_safe(detail or r.reason)
        elif r.status == "skip":
            ET.SubElement(case, "skipped", {"message": _xml_safe(r.reason)})
        elif r.status == "flaky":
            ET.SubElement(case, "properties").append(ET.Element("property", {"name": "flaky", "value": _xml_safe(r.reason)}))
        ET.SubElement(case, "system-out").text = _xml_safe(_full_output(r.log, r.stdout_tail))
        ET.SubElement(case, "system-err").text = _xml_safe(_full_output(_stderr_log(r.log), r.stderr_tail))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _stderr_log(log: str | None) -> str | None:
    if log is None or not log.endswith(".stdout"):
        return None
    return log[: -len(".stdout")] + ".stderr"


def _full_output(log: str | None, tail: str) -> str:
    """The saved (already redacted) output for CI to show, its last JUNIT_MAX_BYTES; else the tail."""
    if log is None:
        return tail
    try:
        with open(log, "rb") as f:
            size = f.seek(0, 2)
            f.seek(max(0, size - JUNIT_MAX_BYTES))
            data = f.read()
    except OSError:
        return tail
    text = data.decode("utf-8", "replace")
    return f"[... first {size - len(data)} bytes cut ...]\n{text}" if size > len(data) else text


def _xml_safe(text: str) -> str:
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 32 else f"\\x{ord(ch):02x}" for ch in text)
