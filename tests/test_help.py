"""Help that teaches: `smoke --help` lists the exit codes, the main
environment variables and examples; every command's --help has examples,
and every option says what it does. Read from the real `smoke`."""
from __future__ import annotations

import re
import shlex
import subprocess

from helpers import SMOKE

WIDE = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}


def _help(*args: str) -> str:
    r = subprocess.run([SMOKE, *args, "--help"], capture_output=True, text=True, env=WIDE, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _commands() -> list[str]:
    text = _help()
    block = text.split("positional arguments:")[1].split("options:")[0]
    return re.findall(r"(?m)^    (\w[\w-]*) ", block)


def _section(text: str, title: str) -> list[str]:
    lines = text.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [ln for ln in lines if ln.strip()]


def test_main_help_lists_exit_codes_environment_and_examples() -> None:
    text = _help()
    codes = {m.group(1) for ln in _section(text, "exit codes") if (m := re.match(r"  (\d+) ", ln))}
    assert codes == {"0", "1", "2", "130"}
    env = " ".join(_section(text, "environment"))
    for var in ("SMOKE_MANIFEST", "SMOKE_TASK", "WG_TASK_ID", "NO_COLOR", "GITHUB_ACTIONS", "SMOKE_SCRATCH"):
        assert var in env
    examples = [ln for ln in _section(text, "examples") if ln.startswith("  smoke ")]
    assert len(examples) >= 3


def test_every_command_has_examples_of_itself() -> None:
    commands = _commands()
    assert {"run", "gate", "list", "add", "check", "prove", "init", "install"} <= set(commands)
    for command in commands:
        text = _help(command)
        examples = [ln.strip() for ln in _section(text, "examples")]
        mine = [ln for ln in examples if ln.startswith(f"smoke {command}")]
        assert mine, f"smoke {command} --help has no example of itself"


def test_every_option_and_argument_has_a_help_text() -> None:
    for command in ["", *_commands()]:
        text = _help(*([command] if command else []))
        for title in ("positional arguments", "options"):
            if f"\n{title}:\n" not in text:
                continue
            lines = _section(text, title)
            for i, line in enumerate(lines):
                if not re.match(r"  [-\w{]", line):
                    continue  # a help text, or a sub-command's line
                helped = re.search(r"\S {2,}\S", line.strip()) is not None
                wrapped = i + 1 < len(lines) and re.match(r" {6,}\S", lines[i + 1]) is not None
                bare_group = line.strip() in ("COMMAND",)
                assert helped or wrapped or bare_group, f"smoke {command}: no help for {line.strip()!r}"


def test_examples_use_only_options_that_exist() -> None:
    for command in _commands():
        text = _help(command)
        known = set(re.findall(r"(?m)^\s+(?:-\w, )?(--[\w-]+)(?:, (--[\w-]+))?", text))
        flags = {f for pair in known for f in pair if f}
        for line in _section(text, "examples"):
            words = shlex.split(line.split("  #")[0].rstrip().rstrip("\\"))
            for used in (w for w in words if w.startswith("--")):
                assert used in flags, f"smoke {command} example uses unknown {used}: {line.strip()}"
