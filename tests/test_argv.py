"""The light reader of the doors' command lines (smoke/argv.py) against argparse (smoke/cli.py):
wherever the light one answers, argparse gives the same answer; where argparse refuses, the light one leaves it to argparse."""
from __future__ import annotations

import argparse
import contextlib
import io

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from smoke import argv as light
from smoke import cli


def _argparse(words: list[str]) -> dict[str, object] | None:
    parser = cli.build_parser(words[0] if words and words[0] in cli.COMMANDS else None)
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return vars(parser.parse_args(words))
    except SystemExit:
        return None


def _light(words: list[str]) -> dict[str, object] | None:
    args = light.read(words)
    return None if args is None else dict(vars(args))


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser(name)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = sub.choices[name]
    return found


@pytest.mark.parametrize(("command", "options", "defaults"), [
    ("gate", light.GATE_OPTIONS, light.GATE_DEFAULTS),
    ("agent-hook", light.HOOK_OPTIONS, light.HOOK_DEFAULTS),
])
def test_the_light_tables_are_argparse_s_options(
    command: str, options: dict[str, tuple[str, str]], defaults: dict[str, object]
) -> None:
    parser = _subparser(command)
    seen: dict[str, tuple[str, bool]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        for option in action.option_strings:
            seen[option] = (action.dest, isinstance(action, argparse._StoreTrueAction))
        assert defaults[action.dest] == action.default, action.dest
        if action.choices is not None:
            kind = options[action.option_strings[0]][1]
            assert tuple(action.choices) == {"color": light.COLORS, "stage": light.STAGES}[kind]
    assert {k: (dest, kind == "flag") for k, (dest, kind) in options.items()} == seen
    positional = [a.dest for a in parser._actions if not a.option_strings]
    assert set(defaults) | set(positional) == {a.dest for a in parser._actions if a.dest != "help"}


PLAIN = [
    ["gate", "--stage", "pre-commit"],
    ["gate", "--stage", "pre-commit", "src/a.py", "docs/b.md"],
    ["gate", "--task", "fix-login", "--stage", "done"],
    ["gate", "--stage=pre-push", "--color", "never", "--json", "-j", "4"],
    ["gate", "--all", "--task", "", "--reason=why not", "--skip-smoke"],
    ["gate", "a.py", "--stage", "pre-commit"],
    ["agent-hook", "claude", "Stop"],
    ["agent-hook", "copilot", "agentStop", "--deadline", "25", "--tries", "2"],
    ["agent-hook", "--deadline=1.5", "gemini", "AfterAgent"],
]
LEFT_TO_ARGPARSE = [
    ["gate", "--help"],
    ["gate", "--stag", "pre-commit"],  # an abbreviation argparse accepts
    ["gate", "--stage", "later"],
    ["gate", "-j", "0"],
    ["gate", "-j4"],
    ["gate", "a.py", "--json", "b.py"],  # argparse: unrecognized arguments
    ["gate", "--task", "--json"],
    ["gate", "--", "-weird-file"],
    ["gate", "--json=yes"],
    ["agent-hook", "nobody", "Stop"],
    ["agent-hook", "claude"],
    ["agent-hook", "claude", "Stop", "extra"],
    ["agent-hook", "claude", "Stop", "--deadline", "inf"],
    ["run", "--all"],
    [],
]


@pytest.mark.parametrize("words", PLAIN, ids=" ".join)
def test_the_doors_plain_forms_read_as_argparse_reads_them(words: list[str]) -> None:
    expected = _argparse(words)
    assert expected is not None
    assert _light(words) == expected


@pytest.mark.parametrize("words", LEFT_TO_ARGPARSE, ids=" ".join)
def test_anything_else_is_left_to_argparse(words: list[str]) -> None:
    assert light.read(words) is None


WORDS = st.sampled_from([
    "--stage", "pre-commit", "pre-push", "done", "later", "--task", "t1", "--all", "--full-smoke", "--json", "-j",
    "--jobs", "2", "0", "x", "--color", "never", "auto", "--manifest", "m.toml", "--reason", "why", "--skip-smoke",
    "--junit", "out.xml", "--fail-on-skip", "--keep-scratch", "--no-reuse", "--stage=done", "-j=3", "a.py", "b/c.md",
    "--", "-", "", "--sta", "-h", "--deadline", "--tries", "1.5", "claude", "Stop", "nobody", "--color=always",
])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["gate", "agent-hook"]), st.lists(WORDS, max_size=7))
def test_wherever_the_light_reader_answers_argparse_agrees(command: str, rest: list[str]) -> None:
    words = [command, *rest]
    mine = _light(words)
    if mine is not None:
        assert mine == _argparse(words)
