"""The manifest: where it is, its schema, and its validation.

Loading and validating are separate from doing: this module reads TOML with
smoke.tomlread (fast, no formatting kept) and returns plain data. Editing
with formatting preserved lives in `smoke.editing`.
"""
from __future__ import annotations

import collections
import os

from smoke import pathstr
from smoke.agents import identity as agents
from smoke.agents.identity import DEFAULT_AGENT_ENV
from smoke.errors import ManifestError
from smoke.errors import SmokeError
from smoke.output import shown
from smoke.records import Problem

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from smoke.pathstr import StrPath

# Which names a scenario may have: ^[A-Za-z0-9_.-]+$ as re.match reads it (valid_name).
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
DEFAULT_REL_PATH = "tests/smoke/manifest.toml"
SKIP_EXIT = 77

STREAM_LIST_KEYS = (
    "stdout_contains", "stdout_not_contains", "stdout_matches",
    "stderr_contains", "stderr_not_contains", "stderr_matches",
    "lines_in_order",
)
EXPECT_KEYS = ("exit_code", *STREAM_LIST_KEYS, "stdout_equals", "json", "files")
POSITIVE_KEYS = (
    "stdout_contains", "stdout_matches", "stdout_equals", "stderr_contains",
    "stderr_matches", "lines_in_order", "json", "files",
)
JSON_CHECK_KEYS = ("path", "equals", "exists", "matches", "length")
FILE_CHECK_KEYS = ("path", "exists", "contains", "not_contains", "matches")
DEFAULT_SECRET_PATTERNS = ("TOKEN", "SECRET", "PASSWORD", "KEY", "CREDENTIAL")
DEFAULT_TASK_BRANCH_PATTERN = r"^(?:wg|task|tasks)/(?P<task>[^/]+)$"
DEFAULT_REUSE_SECONDS = 1800
DEFAULT_KEEP_OUTPUT_BYTES = 8 * 1024 * 1024  # per stream, on disk

# The manifest's keys, declared once: (key, default[, kind]). The keys the
# validator accepts, the records' fields and defaults at run time, and how the
# cache reads a record back all come from these tables; `...` marks a required
# key. A new key is a row here, its check in _Validator, and its field in the
# type checker's declaration below (tests/test_records.py keeps them equal).
SETTINGS_FIELDS: tuple[tuple[str, Any], ...] = (
    ("jobs", 8), ("default_timeout_seconds", 180), ("fail_on_skip", False), ("base_ref", "main"),
    ("agent_env", DEFAULT_AGENT_ENV), ("build", None), ("build_timeout_seconds", 1800),
    ("task_branch_pattern", DEFAULT_TASK_BRANCH_PATTERN), ("secret_env_patterns", DEFAULT_SECRET_PATTERNS),
    ("kill_grace_seconds", 2.0), ("unguarded", "warn"), ("reuse_seconds", DEFAULT_REUSE_SECONDS),
    ("keep_output_bytes", DEFAULT_KEEP_OUTPUT_BYTES),
)
# kind: "str", "number", "int", "bool"; "list" (strings, a tuple in the record),
# "pairs" (a table of strings, a tuple of pairs), "table" (expect, kept as parsed).
SCENARIO_FIELDS: tuple[tuple[str, Any, str], ...] = (
    ("name", ..., "str"), ("script", None, "str"), ("run", None, "str"), ("owners", (), "list"),
    ("paths", (), "list"), ("description", "", "str"), ("timeout_seconds", None, "number"),
    ("requires", (), "list"), ("tags", (), "list"), ("env", (), "pairs"), ("retries", 0, "int"),
    ("exclusive", (), "list"), ("proven_against", None, "str"), ("proven", None, "bool"),
    ("expect", {}, "table"),  # never mutated
    ("inputs", (), "list"), ("reuse", True, "bool"),
)
SETTINGS_KEYS = tuple(key for key, _ in SETTINGS_FIELDS)
SCENARIO_KEYS = tuple(key for key, _, _ in SCENARIO_FIELDS)
_SCENARIO_KEY_SET = frozenset(SCENARIO_KEYS)  # asked of every key of every scenario
# The module's regexes are compiled where they are used (re keeps them compiled
# from then on): compiling them all here cost importing this module more than
# the rest of it, and a gate that reads the manifest from its cache uses none.
REQUIRE_URL_RE = r"^[a-z][a-z0-9+.-]*://\[?[^/\s:\]]+\]?(:\d+)?(/\S*)?$"
REQUIRE_HOSTPORT_RE = r"^\[?[A-Za-z0-9_.:-]+\]?:\d{1,5}$"
REQUIRE_CMD_RE = r"^cmd:\S+$"


# The records below are NamedTuples for the type checker; at run time they are
# built with collections.namedtuple, because importing `typing` costs a gate
# with nothing at stake more than everything else it does. The two lists of
# fields are kept equal by tests/test_records.py.
if TYPE_CHECKING:
    from typing import NamedTuple

    class Settings(NamedTuple):
        jobs: int = 8
        default_timeout_seconds: float = 180
        fail_on_skip: bool = False
        base_ref: str = "main"
        agent_env: tuple[str, ...] = DEFAULT_AGENT_ENV
        build: str | None = None
        build_timeout_seconds: float = 1800
        task_branch_pattern: str = DEFAULT_TASK_BRANCH_PATTERN
        secret_env_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
        kill_grace_seconds: float = 2.0
        unguarded: str = "warn"
        reuse_seconds: float = DEFAULT_REUSE_SECONDS
        keep_output_bytes: int = DEFAULT_KEEP_OUTPUT_BYTES

    class Scenario(NamedTuple):
        name: str
        index: int  # type: ignore[assignment]  # position in the manifest; tuple.index is never used
        line: int
        script: str | None = None
        run: str | None = None
        owners: tuple[str, ...] = ()
        paths: tuple[str, ...] = ()
        description: str = ""
        timeout_seconds: float | None = None
        requires: tuple[str, ...] = ()
        tags: tuple[str, ...] = ()
        env: tuple[tuple[str, str], ...] = ()
        retries: int = 0
        exclusive: tuple[str, ...] = ()
        proven_against: str | None = None
        proven: bool | None = None
        expect: dict[str, Any] = {}
        inputs: tuple[str, ...] = ()
        reuse: bool = True

        @property
        def has_positive_assertion(self) -> bool: ...
else:
    Settings = collections.namedtuple(
        "Settings", SETTINGS_KEYS, defaults=tuple(default for _, default in SETTINGS_FIELDS),
    )

    class Scenario(collections.namedtuple(
        "Scenario",
        ("name", "index", "line", *SCENARIO_KEYS[1:]),  # index, line: where it sits in the manifest
        defaults=tuple(default for _, default, _ in SCENARIO_FIELDS[1:]),
    )):
        __slots__ = ()

        @property
        def has_positive_assertion(self) -> bool:
            return any(k in self.expect for k in POSITIVE_KEYS)


class Manifest:
    def __init__(
        self, path: StrPath, root: StrPath, settings: Settings, scenarios: list[Scenario],
        warnings: list[str], deferred: dict[str, Problem], script_lines: dict[str, int] | None = None,
    ) -> None:
        # Kept as str, spelled as str(Path) spells them: a gate with nothing at
        # stake never imports pathlib; `path`, `root` and `dir` make a Path when asked.
        self.path_str = pathstr.norm(path)
        self.root_str = pathstr.norm(root)
        self.settings = settings
        self.scenarios = scenarios
        self.warnings = warnings
        # Problems that block only the scenario concerned at run time (a missing
        # script is an ERROR result there) but are errors for `smoke check`.
        self.deferred = deferred
        # The line of each scenario's `script` key, for messages about it later.
        self.script_lines = script_lines or {}
        # The bytes it was read from (set by load_path): a failure report finds
        # the line of the broken assertion in them, only when one is reported.
        self.source: bytes | None = None
        self._line_map: LineMap | None = None

    @property
    def path(self) -> Path:
        from pathlib import Path

        return Path(self.path_str)

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.root_str)

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def dir_str(self) -> str:
        return pathstr.parent(self.path_str)

    def display(self) -> str:
        return shown(self.path_str)

    def by_name(self) -> dict[str, Scenario]:
        return {s.name: s for s in self.scenarios}

    def agents(self) -> list[str]:
        """The agent variables set now, among the defaults and those this manifest names:
        the one answer the cache, the gate and the run session act on."""
        return agents.caller_agents(self.source if self.source is not None else _bytes_or_none(self.path_str))

    def assertion_line(self, sc: Scenario, check: str | None) -> int:
        """The line of the assertion `check` (an expect key such as
        `stdout_contains`) that `sc` broke; its `script` line for a script
        problem; else the line of its [[scenario]]."""
        if check == "script":
            return self.script_lines.get(sc.name, sc.line)
        if not check or self.source is None:
            return sc.line
        if self._line_map is None:
            self._line_map = LineMap(self.source.decode("utf-8", "replace"))
        return self._line_map.keys.get((sc.index, f"expect.{check}"), sc.line)


# ---------------------------------------------------------------- locating


def locate(explicit: str | None, cwd: StrPath | None = None) -> Path:
    """Find the manifest: flag, $SMOKE_MANIFEST, $WG_SMOKE_MANIFEST, repo default."""
    from pathlib import Path

    return Path(locate_str(explicit, cwd))


def locate_str(explicit: str | None, cwd: StrPath | None = None) -> str:
    """locate, as str(Path) spells it."""
    cwd = pathstr.norm(cwd) if cwd else os.getcwd()
    for source, value in (
        ("--manifest", explicit),
        ("$SMOKE_MANIFEST", os.environ.get("SMOKE_MANIFEST")),
        ("$WG_SMOKE_MANIFEST", os.environ.get("WG_SMOKE_MANIFEST")),
    ):
        if value:
            path = pathstr.absolute(pathstr.join(cwd, value))
            if not pathstr.is_file(path):
                raise SmokeError(
                    f"manifest {value} (from {source}) does not exist",
                    hint="fix the path; an explicit manifest is never treated as 'nothing to gate'",
                )
            if source != "--manifest":
                _from_environment(path, source, cwd)
            return path
    from smoke import git

    top = git.toplevel_str(cwd)
    if top is None:
        raise SmokeError(
            "not inside a git repository and no manifest given",
            hint="pass --manifest PATH or set SMOKE_MANIFEST",
        )
    path = pathstr.join(top, DEFAULT_REL_PATH)
    if not pathstr.is_file(path):
        raise SmokeError(
            f"no manifest at {path}",
            hint="run 'smoke init' to create one, or pass --manifest PATH",
        )
    return path


def _from_environment(path: str, source: str, cwd: str) -> None:
    """A manifest named by the environment: refused for an agent, announced for a person.

    The caller's environment must not quietly decide what the gate checks: an
    agent's gate uses the repository's own manifest.
    """
    from smoke import git

    top = git.toplevel_str(cwd)
    own = pathstr.join(top, DEFAULT_REL_PATH) if top is not None else None
    if own is not None and os.path.normpath(path) == os.path.normpath(own):
        return
    found = agents.caller_agents(_bytes_or_none(own))
    if found:
        raise SmokeError(
            f"{source} names the manifest {shown(path)}, not this repository's own ({DEFAULT_REL_PATH}):"
            " refused, because the caller is an agent and an agent's gate uses the repository's own manifest",
            hint="unset it",
        )
    from smoke.output import err

    err(f"smoke: note: using the manifest {shown(path)} named by {source}, not the repository's own")


def own_bytes(cwd: StrPath | None = None) -> bytes | None:
    """The repository's own manifest (at its default place), or None: who is an agent is read from it."""
    from smoke import git

    top = git.toplevel_str(cwd or os.getcwd())
    return _bytes_or_none(pathstr.join(top, DEFAULT_REL_PATH) if top is not None else None)


def _bytes_or_none(path: StrPath | None) -> bytes | None:
    try:
        return _read(path) if path is not None else None
    except OSError:
        return None


def _read(path: StrPath) -> bytes:
    """Path(path).read_bytes()."""
    with open(path, "rb") as f:
        return f.read()


def load(explicit: str | None = None, *, cwd: StrPath | None = None) -> Manifest:
    """Locate, parse and validate (smoke.cache.load is the same through the cache)."""
    path = locate_str(explicit, cwd)
    return load_path(path, gated_root_str(path, cwd))


def gated_root(path: StrPath, cwd: StrPath | None = None) -> Path:
    """The repository being gated: the one we are in. A manifest from another
    repository would read that one's changes and HEAD, and gate nothing here."""
    from pathlib import Path

    return Path(gated_root_str(path, cwd))


def gated_root_str(path: StrPath, cwd: StrPath | None = None) -> str:
    """gated_root, as str(Path) spells it."""
    from smoke import git

    here = git.toplevel_str(cwd or os.getcwd())
    own = git.toplevel_str(pathstr.parent(path))
    if here and own and os.path.realpath(here) != os.path.realpath(own):
        raise SmokeError(
            f"manifest {shown(path)} belongs to the repository at {own}, not to this one ({here})",
            hint="run smoke from that repository, or keep the manifest inside this one",
        )
    return here or own or (pathstr.norm(cwd) if cwd else os.getcwd())


def load_path(path: StrPath, root: StrPath, data: bytes | None = None) -> Manifest:
    """Parse and validate; raise ManifestError listing every problem. (smoke.cache.load_path: through the cache.)"""
    if data is None:
        data = read_bytes(path)
    manifest = _Validator(path, root, data).run()
    manifest.source = data
    return manifest


def read_bytes(path: StrPath) -> bytes:
    try:
        return _read(path)
    except OSError as e:
        raise SmokeError(f"cannot read manifest: {e.strerror}", path=str(path)) from None


def parse_toml(data: bytes, display: str) -> tuple[str, dict[str, Any]]:
    """Decode and parse (smoke.tomlread); syntax errors become one line with line and column."""
    import re

    from smoke import tomlread

    if data.startswith(b"\xef\xbb\xbf"):
        # The parser (and git's diff of it) would trip over it; one clear line instead.
        raise ManifestError([Problem(
            display, 1, "the manifest starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without a BOM",
            hint="an editor's 'UTF-8', not 'UTF-8 with BOM'",
        )])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ManifestError(
            [Problem(display, line, f"manifest is not UTF-8 (byte 0x{data[e.start]:02x}); save it as UTF-8")]
        ) from None
    try:
        return text, tomlread.loads(text)
    except RecursionError:
        raise ManifestError([Problem(display, 1, "TOML nests arrays or tables too deeply to read")]) from None
    except tomlread.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line, column = (int(m.group(1)), int(m.group(2))) if m else (1, None)
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
        if not m and "end of document" in str(e):
            line = text.count("\n") + 1
        raise ManifestError([Problem(display, line, f"TOML syntax error: {msg}", column=column)]) from None


# ---------------------------------------------------------------- line map


_HEADER_RE = r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$"
_KEY_RE = r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.\s*[A-Za-z0-9_"'-]+\s*)*="""


class LineMap:
    """Where each scenario and key starts, for messages (the parser keeps no positions)."""

    def __init__(self, text: str) -> None:
        import re

        self.scenario_lines: list[int] = []
        self.keys: dict[tuple[int, str], int] = {}
        self.settings_keys: dict[str, int] = {}
        self.settings_line = 0
        # Read once per line of a manifest of hundreds of scenarios, so: a
        # regex only where it can match (a header holds '[', a key '='), and
        # what a key line needs from its table worked out at the table's header.
        header, key_line = re.compile(_HEADER_RE).match, re.compile(_KEY_RE).match
        scenario_lines, keys, settings_keys = self.scenario_lines, self.keys, self.settings_keys
        in_settings = in_scenario = False
        index = -1  # the scenario a key belongs to (the last [[scenario]]), -1 before any
        sub = ""  # the key's prefix in it: "expect" under [scenario.expect]
        in_multiline: str | None = None
        for n, raw in enumerate(text.splitlines(), 1):
            if in_multiline:
                if raw.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            if "[" in raw:
                h = header(raw)
                if h and not raw.lstrip().startswith("[" + "\"") and "=" not in raw.split("]")[0]:
                    table = h.group(2).replace(" ", "")
                    if h.group(1) == "[[" and table == "scenario":
                        scenario_lines.append(n)
                    elif table == "settings":
                        self.settings_line = n
                    elif table.startswith("scenario.") and scenario_lines:
                        keys.setdefault((len(scenario_lines) - 1, table[len("scenario."):]), n)
                    in_settings = table == "settings"
                    in_scenario = table.startswith("scenario")
                    index = len(scenario_lines) - 1
                    sub = table[len("scenario."):]  # "" for [[scenario]] itself
                    continue
            if "=" not in raw:
                continue
            # Most key lines are a bare key (`name = ...`): what the regex's group would be, without it.
            bare = raw.partition("=")[0].strip()
            if bare.isascii() and bare.replace("-", "").replace("_", "").isalnum():
                key: str | None = bare
            else:
                k = key_line(raw)
                key = k.group(1).strip("\"'") if k else None
            if key is not None:
                if in_settings:
                    settings_keys.setdefault(key, n)
                elif in_scenario and index >= 0:
                    keys.setdefault((index, f"{sub}.{key}" if sub else key), n)
                if '"""' in raw or "'''" in raw:
                    for quote in ('"""', "'''"):
                        if raw.count(quote) % 2 == 1:
                            in_multiline = quote

    def scenario(self, index: int) -> int:
        if 0 <= index < len(self.scenario_lines):
            return self.scenario_lines[index]
        return 1

    def key(self, index: int, key: str) -> int:
        while key:
            if (index, key) in self.keys:
                return self.keys[(index, key)]
            key = key.rpartition(".")[0]
        return self.scenario(index)


# ---------------------------------------------------------------- scripts


class _Folder:
    """A folder scripts are named in: its real path ending in '/', the stats done there, its listing."""

    __slots__ = ("base", "stats", "listing")

    def __init__(self, real: str) -> None:
        self.base = real if real.endswith("/") else real + "/"
        self.stats = 0
        self.listing: dict[str, os.DirEntry[str]] | None = None


class ScriptPlaces:
    """Where scripts named relative to the manifest's folder really are, as Path.resolve() says,
    with each folder resolved once, and listed once (one os.scandir) when it holds many of them:
    hundreds of scripts in one folder cost a dictionary lookup each."""

    # Scripts looked up in one folder with a stat each before it is listed: a
    # folder with a few scripts among many files is never listed whole, and the
    # stats have shown the folder can be searched (a listing needs permission
    # to read it, a stat permission to search it: a folder that allows the one
    # and not the other must answer as the stat does).
    LIST_AFTER = 8

    def __init__(self, folder: StrPath, root: StrPath) -> None:
        self.folder = pathstr.norm(folder)
        self.root = os.path.realpath(root)
        self._inside = self.root.rstrip("/") + "/"
        self._folders: dict[str, _Folder] = {}  # by a script's text up to its last '/', which decides its folder

    def find(self, script: str) -> tuple[str, bool, bool]:
        """(where it is, whether that is inside the repository, whether it is a file there).

        Raises OSError or RuntimeError when the path cannot be resolved (a symlink loop, a name too long).
        """
        name = script.rpartition("/")[2]  # as os.path.split(os.path.join(folder, script)) names it
        if name in ("", ".", "..") or "\0" in script:
            return self._slow(script)
        where = script[: len(script) - len(name)]
        folder = self._folders.get(where)
        if folder is None:
            parent = os.path.split(os.path.join(self.folder, script))[0]
            folder = self._folders[where] = _Folder(os.path.realpath(parent, strict=False))
        full = folder.base + name
        entry = folder.listing.get(name) if folder.listing is not None else None
        if entry is None:
            # Not listed, or not in the listing (a name the file system matches
            # without spelling it the same, a file made since): a stat says.
            link, exists = self._stat(full, folder)
        else:
            try:
                link, exists = entry.is_symlink(), entry.is_file(follow_symlinks=False)
            except OSError:
                link, exists = self._stat(full, folder)
        if link:
            return self._slow(script)  # where a link points is for resolve() to say
        inside = full == self.root or full.startswith(self._inside)
        return full, inside, inside and exists

    def _stat(self, full: str, folder: _Folder) -> tuple[bool, bool]:
        """(a symbolic link, a regular file) as os.lstat says; the folder is listed after LIST_AFTER of them."""
        import stat

        try:
            mode = os.lstat(full).st_mode
        except (FileNotFoundError, NotADirectoryError):
            link = exists = False
        else:
            link, exists = stat.S_ISLNK(mode), stat.S_ISREG(mode)
        folder.stats += 1
        if folder.stats == self.LIST_AFTER:
            try:
                with os.scandir(folder.base) as entries:
                    folder.listing = {e.name: e for e in entries}
            except OSError:
                pass  # stats go on answering
        return link, exists

    def _slow(self, script: str) -> tuple[str, bool, bool]:
        from pathlib import Path

        full = (Path(self.folder) / script).resolve()
        inside = full.is_relative_to(self.root)
        return str(full), inside, inside and full.is_file()


# ---------------------------------------------------------------- validation


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean", int: "an integer", float: "a number", str: "a string",
        list: "an array", dict: "a table",
    }.get(type(value), type(value).__name__)


def did_you_mean(key: str, known: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        for k in known:
            if k.startswith(key) or key.startswith(k):
                close = [k]
                break
    return f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"


def requirement_port(req: str) -> int | None:
    """The port a URL or host:port requirement names, if any."""
    import re

    if req.startswith("cmd:"):
        return None
    m = re.search(r"^(?:[a-z][a-z0-9+.-]*://)?(?:\[[^\]]*\]|[^/\s:\[\]]+):(\d+)(?:/|$)", req, re.I)
    return int(m.group(1)) if m else None


_PLACES = {
    "top": "at the top of the file", "settings": "in [settings]",
    "scenario": "in a [[scenario]], above its [scenario.expect]", "expect": "in [scenario.expect]",
}


def _misplaced(key: str, here: str) -> str:
    """Where a key that is unknown here does belong ('' if nowhere), or its right spelling."""
    homes = {"settings": SETTINGS_KEYS, "scenario": SCENARIO_KEYS, "expect": EXPECT_KEYS}
    for place, keys in homes.items():
        if place != here and key in keys:
            if here == "expect":
                return (f"'{key}' belongs {_PLACES[place]}: every key after a [scenario.expect] header"
                        f" belongs to it, so move '{key}' above that header")
            return f"'{key}' belongs {_PLACES[place]}"
    lower = key.lower()
    for place, keys in ((here, homes.get(here, ())), *homes.items()):
        if lower != key and lower in keys:
            where = "" if place == here else f", {_PLACES[place]}"
            return f"keys are lower case: write '{lower}'{where}"
    return ""


def _has_datetime(value: Any) -> bool:
    import datetime

    if isinstance(value, (datetime.date, datetime.time)):
        return True
    if isinstance(value, list):
        return any(_has_datetime(v) for v in value)
    if isinstance(value, dict):
        return any(_has_datetime(v) for v in value.values())
    return False


def valid_requirement(req: str) -> bool:
    import re

    return bool(re.match(REQUIRE_CMD_RE, req) or re.match(REQUIRE_URL_RE, req, re.I) or re.match(REQUIRE_HOSTPORT_RE, req))


def valid_name(name: str) -> bool:
    """What re.match(r"^[A-Za-z0-9_.-]+$", name) says, without a regex (its '$' also matches before a final newline)."""
    body = name[:-1] if name.endswith("\n") else name
    return bool(body) and NAME_CHARS.issuperset(body)


class _Validator:
    def __init__(self, path: StrPath, root: StrPath, data: bytes) -> None:
        self.path = pathstr.norm(path)
        self.root = pathstr.norm(root)
        self.display = shown(self.path)
        self.text, self.doc = parse_toml(data, self.display)
        self.lines = LineMap(self.text)
        self.errors: list[Problem] = []
        self.warnings: list[str] = []
        self.deferred: dict[str, Problem] = {}
        self.places = ScriptPlaces(pathstr.parent(self.path), self.root)

    # -- reporting helpers
    def _err(self, line: int, msg: str, *, setting: str | None = None) -> None:
        self.errors.append(Problem(self.display, line, msg, key=setting))

    def _sc_err(self, i: int, name: str, key: str, msg: str) -> None:
        line = self.lines.key(i, key) if key else self.lines.scenario(i)
        self.errors.append(Problem(self.display, line, msg, scenario=name or i + 1, key=key or None))

    def _top_line(self, key: str) -> int:
        """The line of an unknown top-level key: its own [table] header, or an assignment before any table."""
        import re

        name = rf"[\"']?{re.escape(key)}[\"']?"
        header = re.compile(rf"\s*\[\[?\s*{name}\s*[\].]")
        assignment = re.compile(rf"\s*{name}\s*[=.]")
        in_root = True
        for n, raw in enumerate(self.text.splitlines(), 1):
            if header.match(raw):
                return n
            if raw.lstrip().startswith("["):
                in_root = False
            elif in_root and assignment.match(raw):
                return n
        return 1

    def run(self) -> Manifest:
        for key in self.doc:
            if key not in ("scenario", "settings"):
                self._err(self._top_line(key), f"unknown top-level key '{key}' ({_misplaced(key, 'top') or did_you_mean(key, ('scenario', 'settings'))})")
        settings = self._settings(self.doc.get("settings", {}))
        raw = self.doc.get("scenario", [])
        scenarios: list[Scenario] = []
        if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
            self._err(1, "'scenario' must be an array of tables: write each one under a [[scenario]] header")
            raw = []
        seen: dict[str, int] = {}
        for i, entry in enumerate(raw):
            sc = self._scenario(i, entry)
            if sc is None:
                continue
            if sc.name in seen:
                self._sc_err(i, sc.name, "name", f"duplicate name (first defined on line {seen[sc.name]}); names must be unique")
                continue
            seen[sc.name] = sc.line
            scenarios.append(sc)
        if self.errors:
            # Missing scripts too, so one `smoke check` lists every problem.
            raise ManifestError([*self.errors, *self.deferred.values()])
        script_lines = {sc.name: self.lines.key(sc.index, "script") for sc in scenarios if sc.script is not None}
        return Manifest(self.path, self.root, settings, scenarios, self.warnings, self.deferred, script_lines)

    # -- settings
    def _settings(self, raw: Any) -> Settings:
        line = self.lines.settings_line or 1
        if not isinstance(raw, dict):
            self._err(line, "'settings' must be a table: write it as [settings]")
            return Settings()
        values: dict[str, Any] = {}
        for key, value in raw.items():
            kline = self.lines.settings_keys.get(key, line)
            if key not in SETTINGS_KEYS:
                self._err(kline, f"unknown key ({_misplaced(key, 'settings') or did_you_mean(key, SETTINGS_KEYS)})", setting=key)
                continue
            problem = _check_setting(key, value)
            if problem:
                self._err(kline, problem, setting=key)
                continue
            values[key] = tuple(value) if isinstance(value, list) else value
            if key == "secret_env_patterns":
                # Configured patterns add to the defaults; a manifest cannot switch redaction off.
                values[key] = tuple(dict.fromkeys((*DEFAULT_SECRET_PATTERNS, *value)))
        return Settings(**values)

    # -- one scenario
    def _scenario(self, i: int, raw: dict[str, Any]) -> Scenario | None:
        name = raw.get("name")
        label = name if isinstance(name, str) else ""
        start = len(self.errors)
        for key in raw if not _SCENARIO_KEY_SET.issuperset(raw) else ():
            if key not in _SCENARIO_KEY_SET:
                self._sc_err(i, label, key, f"unknown key ({_misplaced(key, 'scenario') or did_you_mean(key, SCENARIO_KEYS)})")
        if name is None:
            self._sc_err(i, "", "", "missing 'name'")
        elif not isinstance(name, str) or not valid_name(name):
            self._sc_err(i, label, "name", f"invalid name {name!r}: use letters, digits, '_', '.', '-'")
        fields: dict[str, Any] = {}
        for key in ("script", "run", "description", "proven_against"):
            if key in raw:
                if not isinstance(raw[key], str):
                    self._sc_err(i, label, key, f"must be a string, not {_type_name(raw[key])}")
                elif "\0" in raw[key] and key in ("script", "run"):
                    # No command line or path can hold one; it would fail later, less clearly.
                    self._sc_err(i, label, key, "contains a NUL character (\\u0000); remove it")
                else:
                    fields[key] = raw[key]
        for key in ("owners", "paths", "requires", "tags", "exclusive", "inputs"):
            if key in raw:
                value = raw[key]
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    self._sc_err(i, label, key, "must be an array of strings")
                else:
                    fields[key] = tuple(value)
        for key in ("proven", "reuse"):
            if key in raw:
                if not isinstance(raw[key], bool):
                    self._sc_err(i, label, key, "must be true or false")
                else:
                    fields[key] = raw[key]
        if "timeout_seconds" in raw:
            t = raw["timeout_seconds"]
            if isinstance(t, bool) or not isinstance(t, (int, float)):
                self._sc_err(i, label, "timeout_seconds", f"must be a number of seconds, not {_type_name(t)}")
            elif not t > 0 or t != t or t == float("inf"):
                self._sc_err(i, label, "timeout_seconds", f"must be greater than 0 (got {t}); a scenario always has a finite timeout")
            else:
                fields["timeout_seconds"] = t
        if "retries" in raw:
            r = raw["retries"]
            if isinstance(r, bool) or not isinstance(r, int) or r < 0:
                self._sc_err(i, label, "retries", "must be a whole number >= 0")
            else:
                fields["retries"] = r
        if "env" in raw:
            env = raw["env"]
            if not isinstance(env, dict) or not all(isinstance(v, (str, int, float, bool)) for v in env.values()):
                self._sc_err(i, label, "env", "must be a table of NAME = \"value\"")
            elif any(not k or "=" in k or "\0" in k or "\0" in str(v) for k, v in env.items()):
                self._sc_err(i, label, "env", "names must be non-empty without '=', and no name or value may hold a NUL")
            else:
                fields["env"] = tuple((k, _env_str(v)) for k, v in env.items())
        has_script, has_run = "script" in raw, "run" in raw
        if has_script and has_run:
            self._sc_err(i, label, "run", "has both 'script' and 'run'; keep one")
        elif not has_script and not has_run:
            self._sc_err(i, label, "", "has neither 'script' nor 'run'; say what to execute")
        elif has_run and isinstance(raw["run"], str) and not raw["run"].strip():
            self._sc_err(i, label, "run", "is empty")
        if isinstance(fields.get("script"), str):
            self._check_script(i, label, fields["script"])
        for req in fields.get("requires", ()):
            if not valid_requirement(req):
                self._sc_err(i, label, "requires", f"{req!r} is not a URL (https://host:port), host:port, or cmd:NAME")
            else:
                port = requirement_port(req)
                if port is not None and not 1 <= port <= 65535:
                    self._sc_err(i, label, "requires", f"{req!r}: port {port} does not exist; ports run from 1 to 65535")
        for key in ("paths", "inputs"):
            for pat in fields.get(key, ()):
                problem = glob_problem(pat)
                if problem:
                    self._sc_err(i, label, key, f"{pat!r}: {problem}")
        if "inputs" in fields and not fields["inputs"]:
            self._sc_err(i, label, "inputs", "is empty, so no change would ever rerun it; list the files it reads, or remove the key")
        expect: dict[str, Any] = {}
        if "expect" in raw:
            expect = self._expect(i, label, raw["expect"])
        if len(self.errors) > start or not isinstance(name, str):
            return None
        return Scenario(name=name, index=i, line=self.lines.scenario(i), expect=expect, **fields)

    def _check_script(self, i: int, label: str, script: str) -> None:
        if not script.strip():
            self._sc_err(i, label, "script", "is empty")
            return
        try:
            full, inside, exists = self.places.find(script)
        except (OSError, RuntimeError) as e:
            # A symlink loop, a name too long: the path cannot be a script we could run.
            why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            self._sc_err(i, label, "script", f"{script[:80]!r} cannot be resolved: {why}")
            return
        if not inside:
            self._sc_err(i, label, "script", f"{script!r} leaves the repository ({self.root}); keep scripts inside it")
            return
        if not exists and os.path.isdir(full):
            self._sc_err(i, label, "script", f"{script!r} is a folder, not a script; name the script file inside it")
            return
        if not exists:
            self.deferred[label] = Problem(
                self.display, self.lines.key(i, "script"), f"{script} does not exist",
                scenario=label, key="script", hint=f"looked for {full}",
            )

    def _expect(self, i: int, label: str, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self._sc_err(i, label, "expect", "must be a table: write it as [scenario.expect]")
            return {}
        out: dict[str, Any] = {}
        for key, value in raw.items():
            k = f"expect.{key}"
            if key not in EXPECT_KEYS:
                self._sc_err(i, label, k, f"unknown key ({_misplaced(key, 'expect') or did_you_mean(key, EXPECT_KEYS)})")
            elif key == "exit_code":
                codes = value if isinstance(value, list) else [value]
                if not codes or not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
                    self._sc_err(i, label, k, "must be an integer or a non-empty array of integers")
                elif any(not 0 <= c <= 255 for c in codes):
                    bad = next(c for c in codes if not 0 <= c <= 255)
                    self._sc_err(i, label, k, f"{bad} can never be an exit code: a process exits with 0 to 255"
                                 f"{' (a shell reports exit -1 as 255)' if bad < 0 else ''}")
                else:
                    out[key] = tuple(codes)
            elif key == "stdout_equals":
                if not isinstance(value, str):
                    self._sc_err(i, label, k, f"must be a string, not {_type_name(value)}")
                else:
                    out[key] = value
            elif key in STREAM_LIST_KEYS:
                items = [value] if isinstance(value, str) else value
                if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                    self._sc_err(i, label, k, "must be a string or an array of strings")
                elif not items:
                    self._sc_err(i, label, k, "is empty and asserts nothing; add text or remove the key")
                else:
                    if key.endswith("_matches"):
                        for pattern in items:
                            problem = regex_problem(pattern)
                            if problem:
                                self._sc_err(i, label, k, f"regex {pattern!r} does not compile: {problem}")
                    out[key] = tuple(items)
            elif key == "json":
                checks = self._checks(i, label, k, value, JSON_CHECK_KEYS, ("equals", "exists", "matches", "length"))
                if checks is not None:
                    out[key] = checks
            elif key == "files":
                checks = self._checks(i, label, k, value, FILE_CHECK_KEYS, ("exists", "contains", "not_contains", "matches"))
                if checks is not None:
                    out[key] = checks
        return out

    def _checks(
        self, i: int, label: str, k: str, value: Any, keys: tuple[str, ...], verbs: tuple[str, ...]
    ) -> tuple[dict[str, Any], ...] | None:
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self._sc_err(i, label, k, "must be an array of tables like { path = \"...\", ... }")
            return None
        if not value:
            self._sc_err(i, label, k, "is empty and asserts nothing; add a check or remove the key")
            return None
        start = len(self.errors)
        for n, check in enumerate(value):
            where = f"{k}[{n}]"
            for ck in check:
                if ck not in keys:
                    self._sc_err(i, label, k, f"{where}: unknown key '{ck}' ({did_you_mean(ck, keys)})")
            path = check.get("path")
            if not isinstance(path, str) or not path:
                self._sc_err(i, label, k, f"{where}: needs a 'path' string")
            elif k == "expect.json":
                from smoke.expect import JsonPathError
                from smoke.expect import parse_json_path

                try:
                    parse_json_path(path)
                except JsonPathError as e:
                    self._sc_err(i, label, k, f"{where}: {e}")
            if not any(v in check for v in verbs):
                self._sc_err(i, label, k, f"{where}: asserts nothing; add one of {', '.join(verbs)}")
            if "exists" in check and not isinstance(check["exists"], bool):
                self._sc_err(i, label, k, f"{where}: 'exists' must be true or false")
            if "length" in check and (isinstance(check["length"], bool) or not isinstance(check["length"], int)):
                self._sc_err(i, label, k, f"{where}: 'length' must be an integer")
            elif "length" in check and check["length"] < 0:
                self._sc_err(i, label, k, f"{where}: 'length' is {check['length']}, and nothing has a negative length")
            if "equals" in check and _has_datetime(check["equals"]):
                self._sc_err(
                    i, label, k, f"{where}: 'equals' holds a TOML date or time, which JSON does not have, so it"
                    " can never be equal; quote it as a string (equals = \"2026-01-02T03:04:05Z\")",
                )
            for lk in ("contains", "not_contains", "matches"):
                if lk not in check:
                    continue
                items = check[lk] if isinstance(check[lk], list) else [check[lk]]
                if not items or not all(isinstance(s, str) for s in items):
                    self._sc_err(i, label, k, f"{where}: '{lk}' must be a string or a non-empty array of strings")
                    continue
                if lk == "matches":
                    for pattern in items:
                        problem = regex_problem(pattern)
                        if problem:
                            self._sc_err(i, label, k, f"{where}: regex {pattern!r} does not compile: {problem}")
        if len(self.errors) > start:
            return None
        return tuple(dict(c) for c in value)


def _check_setting(key: str, value: Any) -> str | None:
    if key in ("jobs",):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return "must be a whole number >= 1"
    elif key == "reuse_seconds":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
            return "must be a number of seconds >= 0 (0 turns reuse off)"
    elif key == "keep_output_bytes":
        if isinstance(value, bool) or not isinstance(value, int) or value < 4096:
            return "must be a whole number of bytes, at least 4096"
    elif key in ("default_timeout_seconds", "build_timeout_seconds", "kill_grace_seconds"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
            return "must be a number of seconds greater than 0"
    elif key == "fail_on_skip":
        if not isinstance(value, bool):
            return "must be true or false"
    elif key in ("base_ref", "build"):
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty string"
    elif key == "task_branch_pattern":
        if not isinstance(value, str):
            return "must be a string (a regex with a group named 'task')"
        problem = regex_problem(value)
        if problem:
            return f"regex does not compile: {problem}"
        if "(?P<task>" not in value:
            return "needs a group named 'task', e.g. ^wg/(?P<task>[^/]+)$"
    elif key == "unguarded":
        if value not in ("warn", "block", "all"):
            return "must be \"warn\", \"block\" or \"all\""
    elif key in ("agent_env", "secret_env_patterns"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return "must be an array of non-empty strings"
    return None


def regex_problem(pattern: str) -> str | None:
    import re

    try:
        re.compile(pattern)
    except re.error as e:
        return str(e)
    except (OverflowError, RecursionError, ValueError) as e:
        return str(e) or type(e).__name__
    return None


def glob_problem(pattern: str) -> str | None:
    import re

    body = pattern[1:] if pattern.startswith("!") else pattern
    if not body.strip():
        return "empty pattern"
    if body.count("[") != body.count("]"):
        return "unbalanced '[' in the glob"
    if ".." in body.strip("/").split("/"):
        return "'..' never matches: paths are relative to the repository root, without '..'"
    if (len(body) - len(body.rstrip("\\"))) % 2 == 1:
        return "ends with a lone '\\'"
    for lo, hi in re.findall(_GLOB_RANGE_RE, body):
        if lo > hi:
            return f"bad character range {lo}-{hi}"
    return None


_GLOB_RANGE_RE = r"\[!?\^?[^\]]*?([^\]\\])-([^\]\\])"


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
