"""The command line's argparse tree: every command's arguments, help and examples.

Imported only when the light parser in smoke/argv.py cannot read the command
line itself (any command but the gate's doors, --help, or a mistake to report).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from smoke import __version__
from smoke.argv import AGENT_HARNESSES
from smoke.records import ExitCode


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, told the width so that it does not import shutil
    (and its compression modules) on every start just to ask the terminal.
    Descriptions and epilogs (the examples) keep their lines as written."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None) -> None:
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    # As shutil.get_terminal_size: $COLUMNS, then the terminal, then 80; zero means unknown.
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and exit 2, like every other usage error here.
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--manifest", metavar="PATH", help="the manifest (default: $SMOKE_MANIFEST, $WG_SMOKE_MANIFEST, <repo>/tests/smoke/manifest.toml)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour output (honours NO_COLOR and FORCE_COLOR)")


def _selectors(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", metavar="NAME", help="scenarios to select by name")
    p.add_argument("--all", "--full-smoke", dest="all", action="store_true", help="select every scenario")
    p.add_argument("--task", metavar="T", help="scenarios task T owns, plus those whose paths match what T changed")
    p.add_argument("--changed", action="store_true", help="scenarios whose paths match uncommitted changes")
    p.add_argument("--staged", action="store_true", help="scenarios whose paths match staged changes")
    p.add_argument("--from-ref", metavar="A", help="with --to-ref: scenarios whose paths match files changed in A...B")
    p.add_argument("--to-ref", metavar="B", help="with --from-ref: the end of the range (e.g. HEAD)")
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help="scenarios with this tag (filters other selectors)")


def _running(p: argparse.ArgumentParser) -> None:
    p.add_argument("-j", "--jobs", type=_positive_int, metavar="N", help="scenarios run at once (default: settings.jobs)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout (human output goes to stderr)")
    p.add_argument("--junit", metavar="PATH", help="also write a JUnit XML report")
    p.add_argument("--fail-on-skip", action="store_true", help="a skipped scenario blocks")
    p.add_argument("--keep-scratch", action="store_true", help="keep each scenario's $SMOKE_SCRATCH and print its path")
    p.add_argument("--no-reuse", action="store_true", help="run every selected scenario, even those that passed on the same inputs")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _args_run(p: argparse.ArgumentParser) -> None:
    _common(p)
    _selectors(p)
    _running(p)
    _shard(p)


def _shard(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard", metavar="K/N", help="only the K-th of N deterministic parts of the selection (balanced by recorded durations)")


def _args_gate(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("files", nargs="*", metavar="FILE", help="changed files (as pre-commit passes them)")
    p.add_argument("--task", metavar="T", help="the task being finished (default: $SMOKE_TASK, $WG_TASK_ID, the branch)")
    p.add_argument("--stage", choices=("pre-commit", "pre-push", "done"), help="the door being guarded")
    p.add_argument("--full-smoke", "--all", dest="all", action="store_true", help="run every scenario")
    p.add_argument("--skip-smoke", action="store_true", help="bypass the gate (loud, audited; refused for agents)")
    p.add_argument("--reason", help="why the gate is bypassed (with --skip-smoke; written to the audit log)")
    _running(p)


def _args_list(p: argparse.ArgumentParser) -> None:
    _common(p)
    _selectors(p)
    _shard(p)
    p.add_argument("--json", action="store_true", help="print one JSON object: {\"version\": 1, \"scenarios\": [{\"name\", \"reasons\"}]}")
    p.add_argument("--unguarded", action="store_true", help="list the tracked files no scenario's paths guard, with their count and share")


def _args_add(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("name", metavar="NAME", help="the new scenario's name: letters, digits, '_', '.', '-'")
    p.add_argument("--owner", action="append", default=[], metavar="T", help="task id this scenario protects (repeatable)")
    p.add_argument("--path", action="append", default=[], metavar="GLOB", help="gitignore-style path it guards (repeatable)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--run", metavar="CMD", help="an inline shell command")
    how.add_argument("--script", metavar="PATH", help="a script, relative to the manifest's folder")
    p.add_argument("--contains", action="append", default=[], metavar="TEXT", help="stdout must contain TEXT (repeatable)")
    p.add_argument("--matches", action="append", default=[], metavar="REGEX", help="stdout must match REGEX (repeatable)")
    p.add_argument("--description", metavar="D", help="one line: what the scenario shows works")
    p.add_argument("--timeout", type=_positive_float, metavar="S", help="timeout_seconds")
    p.add_argument("--requires", action="append", default=[], metavar="R", help="URL, host:port or cmd:NAME (repeatable)")
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help="a label to select it by, e.g. live (repeatable)")
    p.add_argument("--regression-of", metavar="REF", help="prove the scenario fails at REF and passes now before adding it")
    p.add_argument("--record", action="store_true", help="run it once and write its exit code and stdout as the expectation (times, ids, temporary paths... as [..])")
    p.add_argument("--unproven", action="store_true", help="with --regression-of: add it even if the proof fails (recorded as proven = false)")


def _args_check(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--strict", action="store_true", help="a scenario without a positive output assertion is an error")
    p.add_argument("--grow-only", action="store_true", help="refuse removed or weakened scenarios compared with --base")
    p.add_argument("--base", metavar="REF", help="what --grow-only compares with (default: HEAD)")
    p.add_argument("--staged", action="store_true", help="with --grow-only: compare the staged manifest, not the work tree")
    p.add_argument("--stage", choices=("pre-push",), help="with --grow-only: compare every pushed ref (git's pre-push lines on stdin) with the remote's")
    p.add_argument("--remote", metavar="NAME", help="with --stage pre-push: the remote pushed to (default: origin), whose default branch a new branch is compared with")


def _args_prove(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("name", nargs="?", metavar="NAME", help="the scenario to prove")
    p.add_argument("--bad", metavar="REF", help="a ref where the scenario must fail")
    p.add_argument("--good", metavar="REF", help="a ref where it must pass (default: the work tree)")
    p.add_argument("--all-proven", action="store_true", help="re-run every recorded proof")


def _args_init(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--preset", choices=("default", "workgraph"), default="default", help="workgraph: also its five ORIGIN scenarios (default: an example only)")


def _args_install(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--wg-shim", metavar="DIR", help="also install the 'wg' shim into DIR (put DIR first on PATH)")
    p.add_argument("--force", action="store_true", help="replace foreign hooks (a backup is kept)")
    p.add_argument("--agent", action="append", default=[], metavar="HARNESS", choices=AGENT_HARNESSES,
                   help=f"also merge smoke-gate's hooks into an agent harness's project configuration (repeatable): {', '.join(AGENT_HARNESSES)}")
    p.add_argument("--agent-timeout", type=_positive_float, metavar="S",
                   help="seconds the harness gives the stop hook (written where it has a field); the hook answers before then")


def _args_agent_hook(p: argparse.ArgumentParser) -> None:
    p.add_argument("harness", choices=AGENT_HARNESSES, help="the harness running the hook")
    p.add_argument("event", help="the harness's event, as it names it (Stop, PreToolUse, agentStop, AfterAgent, stop, ...)")
    p.add_argument("--deadline", type=_positive_float, default=50.0, metavar="S",
                   help="answer a stop within S seconds, below the harness's hook timeout (default: 50)")
    p.add_argument("--tries", type=_positive_int, default=3, metavar="N",
                   help="refuse a stop N times on the same unchanged failure, then let the agent stop, loudly (default: 3)")


def _args_allow(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", metavar="T", required=True, help="the task whose next agent gate may pass")
    p.add_argument("--reason", metavar="R", required=True, help="why (written to the audit log)")


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "run": ("run scenarios and report", _args_run),
    "gate": ("the hard gate for hooks and 'wg done'", _args_gate),
    "list": ("what would run and why, without running", _args_list),
    "add": ("append a regression scenario, formatting untouched", _args_add),
    "check": ("validate the manifest", _args_check),
    "prove": ("show a scenario fails on the bad ref and passes on the good one", _args_prove),
    "init": ("create a manifest, helpers and agent instructions", _args_init),
    "install": ("install native git hooks (and the wg shim, and agent harness hooks)", _args_install),
    "agent-hook": ("what agent harness hooks run: reads the harness's JSON, answers in its protocol", _args_agent_hook),
    "allow": ("a person's one-shot grant for the next agent gate of a task", _args_allow),
}


EXAMPLES: dict[str, tuple[str, ...]] = {
    "run": (
        "smoke run --all                      # every scenario",
        "smoke run login_works -j 1           # one scenario by name",
        "smoke run --task fix-login           # what task fix-login owns or touched",
        "smoke run --all --shard 2/4 --junit out/smoke.xml   # a CI shard, with a JUnit report",
    ),
    "gate": (
        "smoke gate --stage pre-commit        # what a git hook runs (smoke install sets it up)",
        "smoke gate --task fix-login --stage done   # what 'wg done fix-login' runs",
    ),
    "list": (
        "smoke list --task fix-login          # what the gate of fix-login would run, and why",
        "smoke list --from-ref origin/main --to-ref HEAD --json",
        "smoke list --all --shard 1/3         # what CI shard 1 of 3 runs",
    ),
    "add": (
        "smoke add login_works --owner fix-login --path 'src/login/**' \\\n"
        "      --run 'curl -s localhost:8080/login' --record        # expectation recorded from one run",
        "smoke add login_works --owner fix-login --run './bin/app login' --contains 'login ok'",
        "smoke add prio_parse --owner t7 --run 'app show t --json' --matches 'priority=\\d+' --regression-of HEAD~1",
    ),
    "check": (
        "smoke check --strict                 # every scenario must assert on its output",
        "smoke check --grow-only --base origin/main   # nothing removed or weakened since main",
    ),
    "prove": (
        "smoke prove login_works --bad v1.2.0 # it must fail at v1.2.0 and pass in the work tree",
        "smoke prove --all-proven             # re-check every recorded proof",
    ),
    "init": (
        "smoke init                           # tests/smoke/manifest.toml, scenarios/, helpers, agent notes",
        "smoke init --preset workgraph",
    ),
    "install": (
        "smoke install                        # pre-commit and pre-push hooks in this repository",
        "smoke install --wg-shim ~/.local/bin # also gate 'wg done'",
        "smoke install --agent claude --agent codex   # refuse an agent's stop while a scenario fails",
    ),
    "agent-hook": (
        "echo '{\"hook_event_name\": \"Stop\"}' | smoke agent-hook claude Stop   # what Claude Code's Stop hook runs",
        "smoke agent-hook copilot agentStop --deadline 25   # answer within Copilot's 30 s",
    ),
    "allow": (
        "smoke allow --task fix-login --reason 'endpoint down; checked by hand'   # typed by a person, at a terminal",
    ),
}

MAIN_EPILOG = """examples:
  smoke init && smoke add login_works --owner fix-login --run './bin/app login' --record
  smoke run --all                     run every scenario and report
  smoke list --task fix-login         what the gate of a task would run, and why
  smoke install                       refuse commits and pushes while a scenario fails

exit codes:
  0    success: every selected scenario passed (or nothing was selected)
  1    refused: a scenario failed, timed out or errored (or a skip, with --fail-on-skip),
       or a check found a removed or weakened scenario
  2    usage or configuration error: bad flags, a manifest that does not validate,
       an unknown scenario name or tag; also an internal error (nothing passed)
  130  interrupted (Ctrl-C or SIGTERM); every scenario's processes were ended

environment:
  SMOKE_MANIFEST, WG_SMOKE_MANIFEST   the manifest (default: <repo>/tests/smoke/manifest.toml)
  SMOKE_TASK, WG_TASK_ID              the task a gate is for (default: from the branch name)
  NO_COLOR, FORCE_COLOR               colour off or on (as does --color)
  GITHUB_ACTIONS=true                 also write annotations and $GITHUB_STEP_SUMMARY
  scenarios get SMOKE_SCRATCH (an empty folder of their own), SMOKE_REPO_ROOT,
  SMOKE_SCENARIO, SMOKE_TIMEOUT_SECS, SMOKE_MANIFEST_DIR and, with a build, SMOKE_BUILD_DIR

'smoke COMMAND --help' shows each command's options and examples."""


def _epilog(name: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole tree; with `only`, just that command's arguments (the others
    are listed but left empty: building all of them costs the gate time)."""
    parser = _Parser(prog="smoke", description="A smoke test that is a hard gate.", epilog=MAIN_EPILOG)
    parser.add_argument("--version", action="version", version=f"smoke-gate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, add_arguments) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".", epilog=_epilog(name))
        if only is None or only == name:
            add_arguments(p)
    return parser
