"""Recorded expectations (`smoke add --record`): what a command printed, with
what changes from run to run written as `[..]`.

`stdout_equals` treats `[..]` as "any text within this line", so a recorded
expectation keeps every stable character and line of the output and lets
go of times, dates, durations, ids, temporary paths, PIDs and ports only.
The rules are deliberately narrow: a value not caught here makes the next
run fail loudly (and the user loosens it by hand), while a rule too broad
would quietly weaken the assertion.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from smoke.errors import SmokeError
from smoke.expect import visible
from smoke.output import Out

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from smoke.editing import Entry

WILDCARD = "[..]"
# A recorded expectation is read and maintained by people: beyond this, assert what matters instead.
MAX_LINES = 1000
MAX_CHARS = 100_000

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?"
_ZONE = r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}|[A-Z]{3,4}\b))?"

# In order: each rule sees the text the earlier ones left.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    # 2026-12-02T05:56:15.123+00:00, 2026-12-02 05:56, 2026/12/02
    ("datetime", r"\b\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?" + _ZONE + r")?\b"),
    # Wed Dec  2 05:56:15 UTC 2026, Dec 2, 2026, 2 Dec 2026
    ("date", rf"\b(?:{_DAY}\s+)?(?:\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)\b,?(?:\s+\d{{4}}\b)?"),
    ("time", r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s?[AaPp][Mm])?" + _ZONE + r"(?:\s\d{4}\b)?"),
    # 0.52s, 1.5 seconds, 250ms, 3µs, 1m23s, 2h05m
    ("duration", r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms)\b|\b\d+\.\d+\s?(?:s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b"
                 r"|\b(?:\d+h)?\d+m\d+(?:\.\d+)?s\b|\b\d+h\d+m\b"),
    ("epoch", r"\b1\d{9}(?:\d{3})?(?:\.\d+)?\b"),
    ("temporary path", r"(?<![\w.])(?:/private)?(?:/tmp|/var/tmp|/var/folders|/dev/shm)/[^\s'\"`,;:)\]}]*"),
    ("pid", r"(?i)(?<=\bpid)(?:[\s:=#]*)\d+|(?<=\bprocess )\d+|(?<=\bprocess id )\d+"),
    ("port", r"(?i)(?<=\bport)(?:[\s:=#]*)\d{2,5}\b"
             r"|(?<=localhost:)\d{2,5}\b|(?<=127\.0\.0\.1:)\d{2,5}\b|(?<=0\.0\.0\.0:)\d{2,5}\b|(?<=\[::1\]:)\d{2,5}\b"),
    ("address", r"\b0x[0-9a-fA-F]{6,}\b"),
    # Hex ids: git shas, container and request ids (a mix of digits and letters, 7 or more).
    ("hex id", r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b|\b(?=[0-9A-F]*\d)(?=[0-9A-F]*[A-F])[0-9A-F]{12,}\b"),
))

_REDACTED = re.compile(r"<redacted:[A-Za-z0-9_]+>")
_RUNS = re.compile(re.escape(WILDCARD) + r"(?:[\s,T]*" + re.escape(WILDCARD) + r")+")


def normalise_line(line: str, places: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """The line with volatile values as [..], and the kinds of values replaced."""
    found: list[str] = []
    # A secret is masked in everything saved; in an expectation it can only be a wildcard.
    line, n = _REDACTED.subn(WILDCARD, line)
    if n:
        found.append("secret")
    for place in places:
        # The repository's and the home folder's absolute paths differ between clones and machines.
        if place and place in line:
            line = line.replace(place, WILDCARD)
            found.append("local path")
    for name, pattern in RULES:
        line, n = pattern.subn(_keep_label, line)
        if n:
            found.append(name)
    return _RUNS.sub(WILDCARD, line), found


def _keep_label(m: re.Match[str]) -> str:
    # "pid: 123" keeps "pid: ": only the number varies.
    text = m.group(0)
    label = re.match(r"[\s:=#]*", text)
    return (label.group(0) if label else "") + WILDCARD


def normalise(text: str, root: Path | None = None) -> tuple[str, dict[str, int]]:
    """The whole output normalised, and how many lines each kind touched."""
    places = tuple(p for p in (
        str(root.resolve()) if root else "", str(root) if root else "", os.path.expanduser("~"),
    ) if p and p != "/")
    kinds: dict[str, int] = {}
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        new, found = normalise_line(line, tuple(sorted(set(places), key=len, reverse=True)))
        for kind in dict.fromkeys(found):
            kinds[kind] = kinds.get(kind, 0) + 1
        lines.append(new)
    return "\n".join(lines), kinds


def has_stable_text(text: str) -> bool:
    """Does anything but wildcards and whitespace remain to assert?"""
    return bool(text.replace(WILDCARD, "").strip())


# ---------------------------------------------------------------- recording


def record(path: Path, root: Path, entry: Entry, out: Out) -> tuple[Entry, dict[str, int]]:
    """Run the new scenario once, as the gate will, and return it with its
    output as the expectation; refuse (SmokeError, nothing written) when
    there is nothing stable to record."""
    import dataclasses
    import tempfile

    from smoke import editing
    from smoke.runner import Interrupted
    from smoke.runner import Runner

    _, manifest, scenario = editing.candidate(path, root, entry)
    path_prefix: list[str] = []
    extra_env: dict[str, str] = {}
    built = None
    out.line(f"smoke add: recording '{entry.name}': running it once ...")
    if manifest.settings.build:
        from smoke import build

        built = build.ensure(manifest, out, root=None, keep=True)
        if built.error:
            raise SmokeError(f"cannot record '{entry.name}': the build failed ({built.error}); nothing was written")
        path_prefix = [str(built.bin_dir)]
        extra_env["SMOKE_BUILD_DIR"] = str(built.build_dir)
    with tempfile.TemporaryDirectory(prefix="smoke-record-") as logs:
        runner = Runner(manifest, jobs=1, run_dir=Path(logs), path_prefix=path_prefix, extra_env=extra_env)
        try:
            result = runner.run([scenario])[0]
        except Interrupted:
            raise KeyboardInterrupt from None
        finally:
            runner.close()
            if built is not None:
                from smoke import worktree

                with worktree.signals_held():
                    built.release()
        if result.status in ("skip", "timeout", "error") or result.exit_code is None:
            raise SmokeError(
                f"cannot record '{entry.name}': it did not finish ({result.status}: {result.short_reason()});"
                " nothing was written",
                hint="make the command run to the end here first",
            )
        stdout = Path(result.log).read_text(encoding="utf-8", errors="replace") if result.log else ""
    if not stdout.strip():
        raise SmokeError(
            f"cannot record '{entry.name}': it printed nothing on stdout (exit {result.exit_code}), so there is"
            " nothing to assert; nothing was written",
            hint="make the command print what shows it works, or pass --contains/--matches instead of --record",
        )
    lines = stdout.count("\n") + (not stdout.endswith("\n"))
    if lines > MAX_LINES or len(stdout) > MAX_CHARS:
        raise SmokeError(
            f"cannot record '{entry.name}': it printed {lines} lines ({len(stdout)} characters), too much to keep"
            " as one expectation; nothing was written",
            hint=f"print less (at most {MAX_LINES} lines), or pass --contains/--matches for what matters",
        )
    expected, kinds = normalise(stdout, root)
    if not has_stable_text(expected):
        raise SmokeError(
            f"cannot record '{entry.name}': everything it printed changes from run to run; nothing was written",
            hint="print something stable too, or assert with --matches REGEX instead",
        )
    return dataclasses.replace(entry, exit_code=result.exit_code, stdout_equals=expected), kinds


def explain(out: Out, entry: Entry, kinds: dict[str, int]) -> None:
    """What was written, and how to make it stricter or looser."""
    from smoke import editing

    lines = (entry.stdout_equals or "").rstrip("\n").count("\n") + 1
    out.line(f"smoke add: recorded exit code {entry.exit_code} and {lines} line(s) of stdout as the expectation:")
    for line in editing.render(entry).splitlines():
        out.line(f"  | {visible(line)}")
    if kinds:
        what = ", ".join(f"{kind} ({n} line{'s' if n > 1 else ''})" for kind, n in kinds.items())
        out.line(f"smoke add: written as {WILDCARD}, since they change from run to run: {what}")
    else:
        out.line("smoke add: nothing looked like it changes from run to run, so every character is asserted")
    out.line(
        f"smoke add: to loosen it, write {WILDCARD} where more text may vary within a line, or replace"
        " stdout_equals with stdout_contains for the lines that matter; to tighten it, put the exact"
        f" text back in place of a {WILDCARD}. Check it with: smoke run {entry.name}"
    )
