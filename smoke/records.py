"""The small vocabulary every layer shares: how a scenario ended, how a
command exits, a problem found in a manifest, and how a selection is run (RunOptions).

Neither is an enum: importing `enum` (and building an enum class) costs a
gate with nothing at stake more than the rest of this module. Both are plain
str/int subclasses with their values as class constants, so JSON, history
files and the shell see exactly the values they saw before.
"""
from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import ClassVar


class Status(str):
    """How one scenario ended, as JSON, history and JUnit spell it: a str, as StrEnum's members were."""

    __slots__ = ()

    PASS: ClassVar[Status]
    FAIL: ClassVar[Status]
    SKIP: ClassVar[Status]
    TIMEOUT: ClassVar[Status]
    ERROR: ClassVar[Status]
    FLAKY: ClassVar[Status]  # failed, then passed on a retry
    ALL: ClassVar[tuple[Status, ...]]  # every status, in the order above


Status.PASS = Status("pass")
Status.FAIL = Status("fail")
Status.SKIP = Status("skip")
Status.TIMEOUT = Status("timeout")
Status.ERROR = Status("error")
Status.FLAKY = Status("flaky")
Status.ALL = (Status.PASS, Status.FAIL, Status.SKIP, Status.TIMEOUT, Status.ERROR, Status.FLAKY)


class ExitCode(int):
    """What `smoke` exits with (README, "Exit codes"): an int, as IntEnum's members were."""

    __slots__ = ()

    OK: ClassVar[ExitCode]
    REFUSED: ClassVar[ExitCode]  # the gate (or check) refused: a scenario broke, the manifest shrank, a bypass was refused
    USAGE: ClassVar[ExitCode]  # a usage or configuration error, or an internal error: never a pass
    INTERRUPTED: ClassVar[ExitCode]  # SIGINT or SIGTERM


ExitCode.OK = ExitCode(0)
ExitCode.REFUSED = ExitCode(1)
ExitCode.USAGE = ExitCode(2)
ExitCode.INTERRUPTED = ExitCode(130)


class Problem:
    """One error or warning about a manifest, with its place kept apart from its
    text: code that needs the line, the scenario or the message reads the field
    instead of parsing the rendered line back. A plain class, not a namedtuple:
    the gate imports this module on every start, and building a namedtuple costs
    more than the rest of it."""

    __slots__ = ("path", "line", "message", "scenario", "key", "hint", "column")

    def __init__(
        self,
        path: str | None,  # the manifest (or script) as shown; None for a problem with no place
        line: int | None,
        message: str,
        *,
        scenario: str | int | None = None,  # its name; its number (from 1) when it has none
        key: str | None = None,  # the scenario's key; without a scenario, a settings key
        hint: str | None = None,  # how to fix it, shown in parentheses
        column: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.message = message
        self.scenario = scenario
        self.key = key
        self.hint = hint
        self.column = column

    def what(self) -> str:
        """The problem without its place: `scenario 'x' key 'script': ... (hint)`."""
        where = ""
        if self.scenario is not None:
            label = f"scenario #{self.scenario}" if isinstance(self.scenario, int) else f"scenario '{self.scenario}'"
            where = f"{label} key '{self.key}': " if self.key else f"{label}: "
        elif self.key:
            where = f"settings key '{self.key}': "
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"

    def __str__(self) -> str:
        """As `smoke check` prints it: `tests/smoke/manifest.toml:12: scenario 'x' key 'script': ...`."""
        if self.path is None:
            return self.what()
        place = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.line is not None and self.column is not None:
            place += f":{self.column}"
        return f"{place}: {self.what()}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class RunOptions:
    """How to run and report a selection; None or False means the manifest's [settings] (or the default) decide."""

    __slots__ = ("color", "fail_on_skip", "jobs", "json", "junit", "keep_scratch", "no_reuse", "task")

    def __init__(
        self,
        *,
        jobs: int | None = None,
        json: bool = False,
        junit: str | None = None,
        color: str = "auto",
        fail_on_skip: bool = False,
        keep_scratch: bool = False,
        no_reuse: bool = False,
        task: str | None = None,
    ) -> None:
        self.jobs = jobs  # scenarios at a time
        self.json = json  # one JSON object on stdout; human lines on stderr
        self.junit = junit  # a JUnit XML report's path
        self.color = color  # "auto", "always" or "never"
        self.fail_on_skip = fail_on_skip  # a skipped scenario blocks
        self.keep_scratch = keep_scratch  # keep each scenario's scratch folder
        self.no_reuse = no_reuse  # run everything, whatever a recent pass says
        self.task = task  # recorded in the history beside the results
