"""The command line: the argparse tree, and one module per command under smoke/commands."""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable
from collections.abc import Sequence

from smoke import __version__

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the width so that it does not import shutil
    (and its compression modules) on every start just to ask the terminal."""

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
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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
    p.add_argument("--to-ref", metavar="B")
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
    p.add_argument("--shard", metavar="K/N", help="run only the K-th of N deterministic parts of the selection")


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
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _args_add(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--owner", action="append", default=[], metavar="T", help="task id this scenario protects (repeatable)")
    p.add_argument("--path", action="append", default=[], metavar="GLOB", help="gitignore-style path it guards (repeatable)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--run", metavar="CMD", help="an inline shell command")
    how.add_argument("--script", metavar="PATH", help="a script, relative to the manifest's folder")
    p.add_argument("--contains", action="append", default=[], metavar="TEXT", help="stdout must contain TEXT (repeatable)")
    p.add_argument("--matches", action="append", default=[], metavar="REGEX", help="stdout must match REGEX (repeatable)")
    p.add_argument("--description", metavar="D")
    p.add_argument("--timeout", type=_positive_float, metavar="S", help="timeout_seconds")
    p.add_argument("--requires", action="append", default=[], metavar="R", help="URL, host:port or cmd:NAME (repeatable)")
    p.add_argument("--tag", action="append", default=[], metavar="TAG")
    p.add_argument("--regression-of", metavar="REF", help="prove the scenario fails at REF and passes now before adding it")
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
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--bad", metavar="REF", help="a ref where the scenario must fail")
    p.add_argument("--good", metavar="REF", help="a ref where it must pass (default: the work tree)")
    p.add_argument("--all-proven", action="store_true", help="re-run every recorded proof")


def _args_init(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--preset", choices=("default", "workgraph"), default="default")


def _args_install(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--wg-shim", metavar="DIR", help="also install the 'wg' shim into DIR (put DIR first on PATH)")
    p.add_argument("--force", action="store_true", help="replace foreign hooks (a backup is kept)")



COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "run": ("run scenarios and report", _args_run),
    "gate": ("the hard gate for hooks and 'wg done'", _args_gate),
    "list": ("what would run and why, without running", _args_list),
    "add": ("append a regression scenario, formatting untouched", _args_add),
    "check": ("validate the manifest", _args_check),
    "prove": ("show a scenario fails on the bad ref and passes on the good one", _args_prove),
    "init": ("create a manifest, helpers and agent instructions", _args_init),
    "install": ("install native git hooks (and the wg shim)", _args_install),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole tree; with `only`, just that command's arguments (the others
    are listed but left empty: building all of them costs the gate time)."""
    parser = _Parser(prog="smoke", description="A smoke test that is a hard gate.")
    parser.add_argument("--version", action="version", version=f"smoke-gate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, add_arguments) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if only is None or only == name:
            add_arguments(p)
    return parser


def _on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    # Output a terminal cannot encode (a scenario's UTF-8 on an ASCII locale)
    # is escaped, never an exception that cuts a run short.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _on_term)
    from smoke.errors import SmokeError

    try:
        module = importlib.import_module(f"smoke.commands.{args.command}")
        return int(module.cmd(args))
    except SmokeError as e:
        sys.stderr.write(f"smoke {args.command}: error: {e}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write(f"smoke {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `smoke list | head`); not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_REFUSED
    except Exception:
        return _internal_error(args.command)


def _internal_error(command: str) -> int:
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="smoke-crash-", suffix=".txt")
    with os.fdopen(fd, "w") as f:
        f.write(f"smoke-gate {__version__}, command {command!r}, argv {sys.argv!r}\n\n")
        traceback.print_exc(file=f)
    kind = sys.exc_info()[0]
    name = kind.__name__ if kind else "error"
    sys.stderr.write(
        f"smoke {command}: internal error ({name}); nothing passed. Traceback saved to {path}; please report it.\n"
    )
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
