"""A light reader of the command lines the doors run: `smoke gate ...` and `smoke agent-hook ...`.

Every commit, push, `wg done` and agent stop starts `smoke`, usually to find
nothing at stake; building the argparse tree (and importing argparse, gettext
and locale) was a fifth of that. This reads only the plain forms the hooks,
the wg shim and the harness configurations write, and answers None for
anything else (--help, an abbreviation, a value that looks like an option, a
mistake), which argparse (smoke/cli.py) then reads and reports as before.
tests/test_argv.py holds the two to the same answers.
"""
from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

# As smoke/agents/harnesses.py names them; spelled out so that reading the command line imports nothing more.
AGENT_HARNESSES = ("claude", "codex", "copilot", "gemini", "cursor")

COLORS = ("auto", "always", "never")
STAGES = ("pre-commit", "pre-push", "done")

# option -> (destination, kind): "flag" is store_true; the others take one value.
# Kept equal to smoke/cli.py's _args_gate by tests/test_argv.py.
GATE_OPTIONS: dict[str, tuple[str, str]] = {
    "--manifest": ("manifest", "text"),
    "--color": ("color", "color"),
    "--task": ("task", "text"),
    "--stage": ("stage", "stage"),
    "--full-smoke": ("all", "flag"),
    "--all": ("all", "flag"),
    "--skip-smoke": ("skip_smoke", "flag"),
    "--reason": ("reason", "text"),
    "-j": ("jobs", "positive-int"),
    "--jobs": ("jobs", "positive-int"),
    "--json": ("json", "flag"),
    "--junit": ("junit", "text"),
    "--fail-on-skip": ("fail_on_skip", "flag"),
    "--keep-scratch": ("keep_scratch", "flag"),
    "--no-reuse": ("no_reuse", "flag"),
}
GATE_DEFAULTS: dict[str, object] = {
    "manifest": None, "color": "auto", "task": None, "stage": None, "all": False, "skip_smoke": False,
    "reason": None, "jobs": None, "json": False, "junit": None, "fail_on_skip": False, "keep_scratch": False,
    "no_reuse": False,
}
HOOK_OPTIONS: dict[str, tuple[str, str]] = {
    "--deadline": ("deadline", "positive-float"),
    "--tries": ("tries", "positive-int"),
}
HOOK_DEFAULTS: dict[str, object] = {"deadline": 50.0, "tries": 3}


class Args:
    """What argparse's Namespace holds for the same command line: attributes named after each destination."""

    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Args({self.__dict__!r})"

    if TYPE_CHECKING:  # as a Namespace: any destination, read as Any

        def __getattr__(self, name: str) -> Any: ...


def read(argv: list[str]) -> Args | None:
    """The parsed command line when it is one of the doors' plain forms; None to let argparse read it."""
    if not argv:
        return None
    if argv[0] == "gate":
        return _read(argv[1:], "gate", GATE_OPTIONS, GATE_DEFAULTS, "files", None)
    if argv[0] == "agent-hook":
        return _read(argv[1:], "agent-hook", HOOK_OPTIONS, HOOK_DEFAULTS, None, ("harness", "event"))
    return None


def _read(
    words: list[str],
    command: str,
    options: dict[str, tuple[str, str]],
    defaults: dict[str, object],
    rest: str | None,
    positionals: tuple[str, ...] | None,
) -> Args | None:
    values: dict[str, object] = {"command": command, **defaults}
    given: list[str] = []
    # argparse takes a run of `nargs="*"` positionals once: a second run, after an option, is its error to report.
    runs = 0
    previous_was_positional = False
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word == "-":
            if word == "-" or not word:
                return None
            given.append(word)
            runs += 0 if previous_was_positional else 1
            previous_was_positional = True
            continue
        previous_was_positional = False
        name, eq, inline = word.partition("=")
        spec = options.get(name)
        if spec is None:
            return None
        dest, kind = spec
        if kind == "flag":
            if eq:
                return None
            values[dest] = True
            continue
        if eq:
            text = inline
        elif i < len(words):
            text = words[i]
            i += 1
        else:
            return None
        if text.startswith("-") and text != "-":
            return None  # argparse would not take it as the value
        value = _value(kind, text)
        if value is None:
            return None
        values[dest] = value
    if rest is not None:
        if runs > 1:
            return None
        values[rest] = given
    else:
        if positionals is None or len(given) != len(positionals) or runs > 1:
            return None
        values.update(zip(positionals, given, strict=True))
        if command == "agent-hook" and values["harness"] not in AGENT_HARNESSES:
            return None
    return Args(**values)


def _value(kind: str, text: str) -> object | None:
    if kind == "text":
        return text
    if kind == "color":
        return text if text in COLORS else None
    if kind == "stage":
        return text if text in STAGES else None
    if kind == "positive-int":
        try:
            number = int(text)
        except ValueError:
            return None
        return number if number >= 1 else None
    if kind == "positive-float":
        try:
            seconds = float(text)
        except ValueError:
            return None
        return seconds if seconds > 0 and seconds != float("inf") else None
    return None
