"""GitHub Actions: annotations, folded output and the step summary.

Used only when GITHUB_ACTIONS=true. The format is GitHub's "workflow
commands" (docs.github.com/actions/reference/workflow-commands-for-github-actions):
`::error file=F,line=L,title=T::MESSAGE` on a line of its own, with `%`, CR
and LF escaped in the message, and `:` and `,` too in the properties;
`::group::TITLE` ... `::endgroup::` folds lines; `::stop-commands::TOKEN` ...
`::TOKEN::` makes the runner read what lies between as plain text, so a
scenario's own output can never issue a command. GitHub shows at most 10
error annotations per step, so the 10th sums up the rest. The step summary
is Markdown appended to the file $GITHUB_STEP_SUMMARY names.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Sequence

from smoke.ghcommands import command
from smoke.manifest import Manifest
from smoke.runner import Result

MAX_ANNOTATIONS = 10  # error annotations GitHub shows per step
SUMMARY_ROWS = 500  # table rows in the step summary beyond the broken ones
MESSAGE_LINES = 20  # lines of detail in one annotation; the full output is saved and folded in the log
STATUS_MARKS = {
    "pass": "\u2705 pass", "flaky": "\u26a0\ufe0f flaky", "skip": "\u23ed\ufe0f skip",
    "fail": "\u274c fail", "timeout": "\u274c timeout", "error": "\u274c error",
}


def enabled() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def manifest_file(manifest: Manifest) -> str:
    """The manifest as GitHub names files: relative to the repository's top."""
    try:
        return manifest.path.relative_to(manifest.root).as_posix()
    except ValueError:
        return manifest.path.as_posix()


def error_annotations(manifest: Manifest, results: Sequence[Result], fail_on_skip: bool) -> list[str]:
    """One `::error` per broken scenario at the line of its broken assertion;
    past GitHub's limit, the last one names the rest."""
    from smoke.report import broken_line

    broken = [r for r in results if r.blocks(fail_on_skip)]
    by_name = manifest.by_name()
    file = manifest_file(manifest)
    each = broken if len(broken) <= MAX_ANNOTATIONS else broken[: MAX_ANNOTATIONS - 1]
    lines = []
    for r in each:
        sc = by_name.get(r.name)
        line = broken_line(manifest, sc, r) if sc else 1
        lines.append(command("error", _why(r), file=file, line=line, title=r.name))
    rest = broken[len(each):]
    if rest:
        names = ", ".join(f"{r.name} ({r.short_reason()})" for r in rest)
        lines.append(command(
            "error", f"{len(rest)} more scenario(s) broken: {names}. See the step's log and summary.",
            file=file, title=f"smoke: {len(rest)} more broken scenario(s)",
        ))
    return lines


def _why(r: Result) -> str:
    if r.status == "skip":
        return f"SKIP, and skips block this run: {r.reason}"
    parts = [f"{r.status.upper()}: {r.short_reason()}"]
    for f in r.failures:
        parts.append(f"{f.check}: {f.detail or f.summary}")
    text = "\n".join(parts).splitlines()
    if len(text) > MESSAGE_LINES:
        text = [*text[:MESSAGE_LINES], f"[... {len(text) - MESSAGE_LINES} more lines in the step's log ...]"]
    return "\n".join(text)


def summary(manifest: Manifest, results: Sequence[Result], elapsed: float, fail_on_skip: bool) -> str:
    """The run as Markdown: a headline and one table row per scenario, broken ones first."""
    from smoke.report import PLURAL
    from smoke.report import broken_line
    from smoke.report import summary_counts

    counts = summary_counts(results)
    parts = [f"{n} {PLURAL[s]}" for s, n in counts.items() if n or s in ("pass", "fail")]
    blocked = any(r.blocks(fail_on_skip) for r in results)
    verdict = "\u274c refused" if blocked else "\u2705 passed"
    by_name = manifest.by_name()
    out = [
        f"### smoke-gate: {verdict} ({', '.join(parts)} in {elapsed:.2f}s)", "",
        "| scenario | status | duration | why |", "| --- | --- | --- | --- |",
    ]
    ordered = sorted(results, key=lambda r: not r.blocks(fail_on_skip))
    # GitHub takes at most 1 MiB of summary per step: every broken scenario, then passes up to a bound.
    shown = [r for i, r in enumerate(ordered) if i < SUMMARY_ROWS or r.blocks(fail_on_skip)]
    for r in shown:
        sc = by_name.get(r.name)
        why = r.short_reason() if r.status not in ("pass",) else ""
        if r.blocks(fail_on_skip) and sc is not None:
            why = f"{why} ({manifest_file(manifest)}:{broken_line(manifest, sc, r)})"
        out.append(f"| {_cell(r.name)} | {STATUS_MARKS[r.status]} | {r.duration_s:.2f}s | {_cell(why)} |")
    if len(shown) < len(ordered):
        out.append(f"| ... | | | {len(ordered) - len(shown)} more scenario(s) that did not block; `smoke run --json` lists them |")
    return "\n".join(out) + "\n\n"


def _cell(text: str) -> str:
    """Text safe inside one Markdown table cell."""
    text = " ".join(text.split())
    for ch in "\\|`*_<>[]":
        text = text.replace(ch, "\\" + ch)
    return text


def report(
    stream_line: Callable[[str], None], manifest: Manifest, results: Sequence[Result], elapsed: float, fail_on_skip: bool,
) -> None:
    """Print the annotations through `stream_line` and append the summary."""
    for line in error_annotations(manifest, results, fail_on_skip):
        stream_line(line)
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(summary(manifest, results, elapsed, fail_on_skip))
        except OSError as e:
            stream_line(command("warning", f"smoke: cannot append to $GITHUB_STEP_SUMMARY ({path}): {e.strerror or e}"))
