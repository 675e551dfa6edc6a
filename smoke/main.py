"""The command line: read it (smoke/argv.py for the doors' plain forms, else the argparse tree in smoke/cli.py),
then run one module per command under smoke/commands."""
from __future__ import annotations

import _signal
import gc
import os
import sys

from smoke import __version__
from smoke import argv as light
from smoke.argv import AGENT_HARNESSES
from smoke.records import ExitCode

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["AGENT_HARNESSES", "main"]


_interrupted = False


def _on_term(signum: int, frame: object) -> None:
    # Remembered: a report cut short by the interrupt (its terminal gone,
    # EIO) is still an interrupt, never an internal error.
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def _interrupted_exit(command: str) -> ExitCode:
    """Say so if the terminal is still there; exit 130 either way."""
    try:
        sys.stderr.write(f"smoke {command}: interrupted\n")
        sys.stderr.flush()
    except OSError:
        _silence()
    return ExitCode.INTERRUPTED


def _silence() -> None:
    """The terminal is gone: what is left to print (and Python's flush at exit) goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass


def main(argv: Sequence[str] | None = None) -> int:
    # Output a terminal cannot encode (a scenario's UTF-8 on an ASCII locale)
    # is escaped, never an exception that cuts a run short.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        os.getcwd()
    except OSError:
        sys.stderr.write("smoke: error: the current folder no longer exists (cd to one that does)\n")
        return ExitCode.USAGE
    args: Any = light.read(argv)
    door = args is not None
    if door:
        # A door (`gate`, `agent-hook`) is a short process that mostly finds nothing at stake: no
        # garbage collection while it imports, reads the manifest and decides (about a tenth of a
        # no-op gate's work; memory goes back when it ends). smoke.session turns collection back
        # on once scenarios run; at exit, gc.freeze below spares the interpreter's last walk.
        gc.disable()
        try:
            _ask_git_ahead(args)
        except OSError:
            pass  # best effort: the gate asks again, and says what is wrong (a folder gone, say)
    if args is None:
        from smoke import cli

        parser = cli.build_parser(argv[0] if argv and argv[0] in cli.COMMANDS else None)
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return ExitCode.USAGE
    try:
        return _command(args)
    finally:
        if door:
            gc.freeze()  # what the door made is left to the process's end, not walked once more at exit
            gc.enable()


def _command(args: Any) -> int:
    """Run the command `args` names, turning what it raises into one line and an exit code."""
    # _signal, not signal: the same calls without building signal's enums on every start.
    _signal.signal(_signal.SIGTERM, _on_term)
    _signal.signal(_signal.SIGINT, _on_term)
    from smoke.errors import SmokeError

    try:
        module = __import__(f"smoke.commands.{args.command.replace('-', '_')}", fromlist=["cmd"])
        return int(module.cmd(args))
    except SmokeError as e:
        sys.stderr.write(f"smoke {args.command}: error: {e}\n")
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return _interrupted_exit(args.command)
    except BrokenPipeError:
        # The reader went away (e.g. `smoke list | head`); not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.REFUSED
    except Exception:
        if _interrupted:
            if isinstance(sys.exc_info()[1], OSError):
                _silence()  # the report met a terminal that is gone
            return _interrupted_exit(args.command)
        return _internal_error(args.command)


def _ask_git_ahead(args: Any) -> None:
    """A door with its repository's own manifest starts now the git questions it is sure (or, for `wg done`
    with the default base_ref, all but sure) to ask: git answers on the other core while the rest of smoke
    is imported and the manifest read (smoke/gitproc.py). One never asked is ended at exit."""
    # pre-push asks `git status` only once something is selected: nothing to start ahead there.
    if args.command != "gate" or args.stage not in ("pre-commit", "done") or args.manifest or args.skip_smoke:
        return
    if any(os.environ.get(name) for name in (
        "SMOKE_MANIFEST", "WG_SMOKE_MANIFEST", "SMOKE_SKIP_SMOKE", "GIT_WORK_TREE", "GIT_DIR",
    )):
        return
    from smoke import gitproc

    top = gitproc.toplevel(os.getcwd())
    if top is None:
        return
    if args.stage == "pre-commit":
        gitproc.ahead(top, gitproc.STATUS)
        return
    for asked in gitproc.DONE:
        gitproc.ahead(top, asked)
    from smoke.agents.identity import DEFAULT_AGENT_ENV

    if any(os.environ.get(name, "").strip() for name in DEFAULT_AGENT_ENV):
        from smoke.manifest import DEFAULT_REL_PATH

        # An agent's `wg done` compares its manifest (always the repository's own) with HEAD's bytes,
        # and asks which of the suite's files the index hides from git status.
        gitproc.ahead(top, ("cat-file", "blob", f"HEAD:{DEFAULT_REL_PATH}"))
        gitproc.ahead(top, ("ls-files", "-v", "-z", "--", f":(literal){DEFAULT_REL_PATH.rpartition('/')[0]}"))


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
    return ExitCode.USAGE


if __name__ == "__main__":
    raise SystemExit(main())
