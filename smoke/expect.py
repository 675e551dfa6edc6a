"""Expectations: does a scenario's output meet what it declared? Pure functions.

Every assertion is evaluated and every failure returned, not just the first.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

_MISSING = object()
_WILDCARD = "[..]"
# The most of one stream held in memory to judge it whole (see smoke/capture.py).
HOLD_LIMIT = 16 * 1024 * 1024
_WHOLE_STREAM = ("stdout_equals", "lines_in_order", "json")


@dataclasses.dataclass(frozen=True)
class Failure:
    check: str  # the key that broke, e.g. "stdout_contains"
    summary: str  # one line, used in the gate's refusal
    detail: str = ""  # expected against actual, diffs; may span lines


@dataclasses.dataclass(frozen=True)
class Scan:
    """A stream too large to hold: its size, and where each contains/not_contains text first occurs."""

    size: int
    found: dict[str, tuple[int, str] | None]  # text -> (line number, that line), None when nowhere


@dataclasses.dataclass(frozen=True)
class Output:
    stdout: str
    stderr: str
    exit_code: int
    # Streams past HOLD_LIMIT: their text above is "", and these answer instead.
    scans: Mapping[str, Scan] = dataclasses.field(default_factory=dict)


class JsonPathError(ValueError):
    pass


def visible(text: str) -> str:
    """Make invisible characters visible: tabs, carriage returns, trailing spaces."""
    out = []
    for ch in text:
        if ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\x1b":
            out.append("\\e")
        elif ord(ch) < 32 or ch in "\u200b\ufeff\xa0":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    s = "".join(out)
    stripped = s.rstrip(" ")
    if len(stripped) != len(s):
        s = stripped + "\u00b7" * (len(s) - len(stripped))
    return s


def _short(text: str, limit: int = 60) -> str:
    text = visible(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(expect: Mapping[str, Any], out: Output, read_file: Callable[[str], bytes | None]) -> list[Failure]:
    """All the ways `out` misses `expect`; an empty list is a pass."""
    failures: list[Failure] = []
    codes = expect.get("exit_code", (0,))
    if out.exit_code not in codes:
        want = codes[0] if len(codes) == 1 else f"one of {list(codes)}"
        failures.append(Failure("exit_code", f"exit {out.exit_code}", f"expected exit code {want}, got {out.exit_code}"))
    for stream in ("stdout", "stderr"):
        text = getattr(out, stream)
        scan = out.scans.get(stream)
        if scan is not None:
            failures.extend(_scanned(expect, stream, scan))
            continue
        for needle in expect.get(f"{stream}_contains", ()):
            if needle not in text:
                failures.append(Failure(
                    f"{stream}_contains", f"{stream} lacks {_short(needle)!r}",
                    f"expected {stream} to contain: {visible(needle)}",
                ))
        for needle in expect.get(f"{stream}_not_contains", ()):
            hit = _find_line(text, needle)
            if hit is not None:
                n, line = hit
                failures.append(Failure(
                    f"{stream}_not_contains", f"{stream} has {_short(needle)!r} (line {n})",
                    f"{stream} must not contain {visible(needle)!r}, but line {n} does:\n  {n}| {visible(line)}",
                ))
        for pattern in expect.get(f"{stream}_matches", ()):
            if re.search(pattern, text, re.MULTILINE) is None:
                failures.append(Failure(
                    f"{stream}_matches", f"{stream} does not match /{_short(pattern)}/",
                    f"no match for regex /{pattern}/ in {stream}",
                ))
    if "stdout" in out.scans:
        pass  # judged above, as far as a stream of that size can be
    elif "stdout_equals" in expect:
        diff = equals_diff(expect["stdout_equals"], out.stdout)
        if diff:
            failures.append(Failure("stdout_equals", "stdout differs from stdout_equals", diff))
    if "lines_in_order" in expect and "stdout" not in out.scans:
        f = _lines_in_order(expect["lines_in_order"], out.stdout)
        if f:
            failures.append(f)
    if "json" in expect and "stdout" not in out.scans:
        failures.extend(_json_checks(expect["json"], out.stdout))
    for fc in expect.get("files", ()):
        failures.extend(_file_check(fc, read_file))
    return failures


def _scanned(expect: Mapping[str, Any], stream: str, scan: Scan) -> list[Failure]:
    """The checks on a stream too large to hold: contains and not_contains from the scan; the rest cannot be judged."""
    failures = []
    for needle in expect.get(f"{stream}_contains", ()):
        if scan.found.get(needle) is None:
            failures.append(Failure(
                f"{stream}_contains", f"{stream} lacks {_short(needle)!r}",
                f"expected {stream} to contain: {visible(needle)}",
            ))
    for needle in expect.get(f"{stream}_not_contains", ()):
        hit = scan.found.get(needle)
        if hit is not None:
            n, line = hit
            failures.append(Failure(
                f"{stream}_not_contains", f"{stream} has {_short(needle)!r} (line {n})",
                f"{stream} must not contain {visible(needle)!r}, but line {n} does:\n  {n}| {visible(line)}",
            ))
    whole = [f"{stream}_matches"] + (list(_WHOLE_STREAM) if stream == "stdout" else [])
    for key in whole:
        if key in expect:
            failures.append(Failure(
                key, f"{stream} too large to judge with {key} ({scan.size} bytes)",
                f"{stream} printed {scan.size} bytes; {key} needs the whole stream in memory, and smoke holds at most"
                f" {HOLD_LIMIT} bytes ({HOLD_LIMIT // (1024 * 1024)} MiB) of it. Print less, or check with"
                f" {stream}_contains / {stream}_not_contains, which work on output of any size.",
            ))
    return failures


def _find_line(text: str, needle: str) -> tuple[int, str] | None:
    if needle not in text:
        return None
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n, line
    return 1, text  # a needle spanning lines


def _line_matches(expected: str, actual: str) -> bool:
    if _WILDCARD not in expected:
        return expected == actual
    parts = [re.escape(p) for p in expected.split(_WILDCARD)]
    return re.fullmatch(".*?".join(parts), actual) is not None


def equals_diff(expected: str, actual: str) -> str:
    """'' when equal ([..] matches within a line); otherwise a unified diff.

    Equality is decided on the raw lines; `visible` only renders them, so a
    real tab and a written '\\t' can never pass for each other.
    """
    exp, act = expected.splitlines(), actual.splitlines()
    if len(exp) == len(act) and all(_line_matches(e, a) for e, a in zip(exp, act, strict=True)):
        return ""
    # Lines that match through a wildcard are shown as equal in the diff.
    aligned = [exp[i] if i < len(exp) and _line_matches(exp[i], a) else a for i, a in enumerate(act)]
    for render in (visible, repr):
        diff = "\n".join(difflib.unified_diff(
            [render(x) for x in exp], [render(x) for x in aligned], "expected", "actual", lineterm="", n=2,
        ))
        if diff:
            return diff
    return "stdout differs from stdout_equals"


def _lines_in_order(wanted: tuple[str, ...], stdout: str) -> Failure | None:
    lines = stdout.splitlines()
    pos = 0
    last_found: tuple[str, int] | None = None
    for item in wanted:
        while pos < len(lines) and item not in lines[pos]:
            pos += 1
        if pos >= len(lines):
            after = f" after {last_found[0]!r} (line {last_found[1]})" if last_found else ""
            elsewhere = next((n for n, line in enumerate(lines, 1) if item in line), None)
            note = f"; it appears earlier, on line {elsewhere}" if elsewhere else ""
            return Failure(
                "lines_in_order", f"stdout lacks {_short(item)!r}{after} in order",
                f"expected these lines in order: {list(wanted)}\nmissing {item!r}{after}{note}",
            )
        last_found = (item, pos + 1)
        pos += 1
    return None


# ---------------------------------------------------------------- JSON


_SEG_RE = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*(-?\d+)\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*'([^']*)'\s*\]""")


def parse_json_path(path: str) -> list[str | int]:
    """A small JSONPath subset: $, .key, ["key"], [0], [-1]."""
    if not path.startswith("$"):
        raise JsonPathError(f"JSON path {path!r} must start with '$' (e.g. $.tasks[0].priority)")
    segs: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _SEG_RE.match(path, pos)
        if not m:
            raise JsonPathError(f"JSON path {path!r} is not understood at {path[pos:]!r} (use .key, [0], [\"key\"])")
        key, idx, dq, sq = m.groups()
        if idx is not None:
            segs.append(int(idx))
        else:
            segs.append(key if key is not None else dq if dq is not None else sq)
        pos = m.end()
    return segs


def _resolve(doc: Any, segs: list[str | int]) -> tuple[Any, str]:
    cur = doc
    walked = "$"
    for seg in segs:
        if isinstance(seg, int):
            if not isinstance(cur, list) or not -len(cur) <= seg < len(cur):
                return _MISSING, walked
            cur = cur[seg]
            walked += f"[{seg}]"
        else:
            if not isinstance(cur, dict) or seg not in cur:
                return _MISSING, walked
            cur = cur[seg]
            walked += f".{seg}"
    return cur, walked


def _load_json(stdout: str) -> tuple[Any, str | None]:
    text = stdout.strip()
    try:
        return json.loads(text), None
    except ValueError as e:
        first_error = str(e)
    # A script may print a log line before its JSON: try the last non-empty line.
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines:
        try:
            return json.loads(lines[-1]), None
        except ValueError:
            pass
    return None, first_error


def _json_checks(checks: tuple[dict[str, Any], ...], stdout: str) -> list[Failure]:
    doc, error = _load_json(stdout)
    if error is not None:
        head = _short(stdout.strip().splitlines()[0] if stdout.strip() else "(empty)")
        return [Failure("json", "stdout is not JSON", f"stdout is not JSON ({error}); it starts: {head}")]
    failures = []
    for c in checks:
        path = c["path"]
        value, walked = _resolve(doc, parse_json_path(path))
        missing = value is _MISSING
        if "exists" in c:
            if c["exists"] and missing:
                failures.append(Failure("json", f"json {path} is missing", f"path missing: {path} (found up to {walked})"))
            elif not c["exists"] and not missing:
                failures.append(Failure("json", f"json {path} exists", f"{path} must not exist, but is {_dump(value)}"))
            if not c["exists"]:
                continue
        if missing:
            if any(k in c for k in ("equals", "matches", "length")):
                failures.append(Failure("json", f"json {path} is missing", f"path missing: {path} (found up to {walked})"))
            continue
        if "equals" in c and not _json_equal(value, c["equals"]):
            failures.append(Failure(
                "json", f"json {path} is {_short(_dump(value), 40)}, expected {_short(_dump(c['equals']), 40)}",
                f"value differs at {path}:\n  expected: {_dump(c['equals'])}\n  actual:   {_dump(value)}",
            ))
        if "matches" in c:
            text = value if isinstance(value, str) else _dump(value)
            for pattern in c["matches"] if isinstance(c["matches"], list) else [c["matches"]]:
                if re.search(pattern, text) is None:
                    failures.append(Failure(
                        "json", f"json {path} does not match /{_short(pattern)}/",
                        f"value at {path} ({_dump(value)}) does not match /{pattern}/",
                    ))
        if "length" in c:
            if not isinstance(value, (list, dict, str)):
                failures.append(Failure("json", f"json {path} has no length", f"{path} is {_dump(value)}, which has no length"))
            elif len(value) != c["length"]:
                failures.append(Failure(
                    "json", f"json {path} has length {len(value)}, expected {c['length']}",
                    f"length differs at {path}: expected {c['length']}, actual {len(value)}",
                ))
    return failures


def _json_equal(a: Any, b: Any) -> bool:
    # TOML has no null and distinguishes int from float less than JSON users expect.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# ---------------------------------------------------------------- files


def expand(path: str, env: Mapping[str, str]) -> str:
    """$VAR and ${VAR} from the scenario's environment; unknown variables stay as written."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return env.get(name, m.group(0))

    return re.sub(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))", sub, os.path.expanduser(path))


def _file_check(c: dict[str, Any], read_file: Callable[[str], bytes | None]) -> list[Failure]:
    path = c["path"]
    data = read_file(path)
    if "exists" in c and not c["exists"]:
        if data is not None:
            return [Failure("files", f"file {path} exists", f"{path} must not exist, but it does")]
        return []
    if data is None:
        return [Failure("files", f"file {path} is missing", f"expected file {path} to exist")]
    text = data.decode("utf-8", "replace")
    failures = []
    for key in ("contains", "not_contains", "matches"):
        if key not in c:
            continue
        for item in c[key] if isinstance(c[key], list) else [c[key]]:
            if key == "contains" and item not in text:
                failures.append(Failure("files", f"file {path} lacks {_short(item)!r}", f"expected {path} to contain: {visible(item)}"))
            elif key == "not_contains":
                hit = _find_line(text, item)
                if hit:
                    failures.append(Failure(
                        "files", f"file {path} has {_short(item)!r} (line {hit[0]})",
                        f"{path} must not contain {item!r}, but line {hit[0]} does:\n  {hit[0]}| {visible(hit[1])}",
                    ))
            elif key == "matches" and re.search(item, text, re.MULTILINE) is None:
                failures.append(Failure("files", f"file {path} does not match /{_short(item)}/", f"no match for /{item}/ in {path}"))
    if failures:
        # What the file does hold, as a failed stdout check shows stdout.
        last = failures[-1]
        failures[-1] = dataclasses.replace(last, detail=f"{last.detail}\n{_tail(path, text)}")
    return failures


FILE_TAIL_LINES = 10


def _tail(path: str, text: str) -> str:
    lines = text.splitlines()
    if not lines:
        return f"--- {path} is empty ---"
    shown = lines[-FILE_TAIL_LINES:]
    cut = f", last {len(shown)} of {len(lines)} lines" if len(lines) > len(shown) else ""
    return "\n".join([f"--- {path} (content{cut}) ---", *(f"| {visible(ln)}" for ln in shown)])
