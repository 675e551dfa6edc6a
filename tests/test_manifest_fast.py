"""The validator's cheaper ways give the answers of the plain ones: where a
script is (one listing of its folder against Path.resolve()), which lines keys
sit on (against the line map as it was written first), which names are valid
(against the regex)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from smoke import manifest
from smoke.manifest import LineMap
from smoke.manifest import ScriptPlaces

# ------------------------------------------------------------ where a script is


def _layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A repository whose manifest's folder names scripts of every kind, and a folder outside it."""
    root, outside = tmp_path / "repo", tmp_path / "outside"
    folder = root / "tests/smoke"
    sc = folder / "scenarios"
    (sc / "d").mkdir(parents=True)
    (root / "other").mkdir()
    outside.mkdir()
    for path in (sc / "a.sh", sc / "d/b.sh", root / "other/y.sh", outside / "x.sh"):
        path.write_text("echo ok\n")
    for i in range(ScriptPlaces.LIST_AFTER + 2):
        (sc / f"pad{i:02d}.sh").write_text("echo pad\n")
    os.symlink("a.sh", sc / "in.sh")
    os.symlink(outside / "x.sh", sc / "out.sh")
    os.symlink("no-such-file", sc / "dangling.sh")
    os.symlink("loop2", sc / "loop1")
    os.symlink("loop1", sc / "loop2")
    os.symlink("d", sc / "dirlink")
    os.symlink("../../other", folder / "linked")
    os.symlink(outside, folder / "outlinked")
    os.symlink(outside, sc / "outdir")
    os.mkfifo(sc / "fifo")
    return root, folder, outside


SCRIPTS = [
    "scenarios/a.sh", "scenarios/d", "scenarios/d/", "scenarios/d/b.sh", "scenarios/in.sh", "scenarios/out.sh",
    "scenarios/dangling.sh", "scenarios/loop1", "scenarios/missing.sh", "scenarios/A.SH", "scenarios//a.sh",
    "./scenarios/a.sh", "scenarios/./a.sh", "scenarios/../scenarios/a.sh", "scenarios/.", "scenarios/..",
    "scenarios/fifo", "scenarios/dirlink", "scenarios/dirlink/b.sh", "scenarios/outdir/x.sh", "scenarios/a.sh/x",
    "linked/y.sh", "outlinked/x.sh", "../../../outside/x.sh", "../../other/y.sh", "nofolder/x.sh", "a.sh",
    "scenarios/a\0b", "", "/", "{abs_inside}", "{abs_outside}", "{abs_folder}",
]


def _answer(fn, script: str):  # type: ignore[no-untyped-def]
    try:
        return fn(script)
    except (OSError, RuntimeError, ValueError) as e:
        return type(e).__name__


@pytest.mark.parametrize("listed", [False, True], ids=["stat", "listing"])
def test_a_script_is_where_resolve_says(tmp_path: Path, listed: bool) -> None:
    root, folder, outside = _layout(tmp_path)
    for template in SCRIPTS:
        script = template.format(
            abs_inside=folder / "scenarios/a.sh", abs_outside=outside / "x.sh", abs_folder=folder / "scenarios",
        )
        places = ScriptPlaces(folder, root)
        if listed:
            for i in range(ScriptPlaces.LIST_AFTER):
                assert places.find(f"scenarios/pad{i:02d}.sh")[2]
            assert places._folders["scenarios/"].listing is not None
        found = _answer(places.find, script)
        assert found == _answer(ScriptPlaces(folder, root)._slow, script), script
        if listed and script.startswith("scenarios/") and script.count("/") == 1:
            assert places._folders["scenarios/"].listing is not None


def test_a_listing_never_outlives_what_a_stat_would_say(tmp_path: Path) -> None:
    """A script made, removed or turned into a link after the folder was listed is seen as it is now."""
    root, folder, _ = _layout(tmp_path)
    sc = folder / "scenarios"
    places = ScriptPlaces(folder, root)
    for i in range(ScriptPlaces.LIST_AFTER):
        places.find(f"scenarios/pad{i:02d}.sh")
    (sc / "new.sh").write_text("echo new\n")
    assert places.find("scenarios/new.sh")[2]  # not in the listing: a stat finds it


@pytest.mark.skipif(os.geteuid() == 0, reason="root searches any folder")
def test_a_folder_that_can_be_read_but_not_searched_answers_as_a_stat(tmp_path: Path) -> None:
    root, folder, _ = _layout(tmp_path)
    sc = folder / "scenarios"
    sc.chmod(0o644)
    try:
        places = ScriptPlaces(folder, root)
        for _ in range(ScriptPlaces.LIST_AFTER + 2):
            assert _answer(places.find, "scenarios/a.sh") == "PermissionError"
        assert places._folders["scenarios/"].listing is None
    finally:
        sc.chmod(0o755)


# ------------------------------------------------------------ the line map


class _PlainLineMap:
    """The line map as first written: every line through both regexes."""

    HEADER = re.compile(manifest._HEADER_RE)
    KEY = re.compile(manifest._KEY_RE)

    def __init__(self, text: str) -> None:
        self.scenario_lines: list[int] = []
        self.keys: dict[tuple[int, str], int] = {}
        self.settings_keys: dict[str, int] = {}
        self.settings_line = 0
        table = ""
        in_multiline: str | None = None
        for n, raw in enumerate(text.splitlines(), 1):
            if in_multiline:
                if raw.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            h = self.HEADER.match(raw)
            if h and not raw.lstrip().startswith("[\"") and "=" not in raw.split("]")[0]:
                table = h.group(2).replace(" ", "")
                if h.group(1) == "[[" and table == "scenario":
                    self.scenario_lines.append(n)
                elif table == "settings":
                    self.settings_line = n
                elif table.startswith("scenario.") and self.scenario_lines:
                    self.keys.setdefault((len(self.scenario_lines) - 1, table[len("scenario."):]), n)
                continue
            k = self.KEY.match(raw)
            if k:
                key = k.group(1).strip("\"'")
                if table == "settings":
                    self.settings_keys.setdefault(key, n)
                elif table.startswith("scenario") and self.scenario_lines:
                    sub = table[len("scenario."):] if table != "scenario" else ""
                    full = f"{sub}.{key}" if sub else key
                    self.keys.setdefault((len(self.scenario_lines) - 1, full), n)
                for quote in ('"""', "'''"):
                    if raw.count(quote) % 2 == 1:
                        in_multiline = quote


LINES = [
    "[[scenario]]", "[settings]", "[scenario.expect]", "[[scenario.expect.json]]", "[ scenario . expect ]",
    "[scenarios]", "[scenarioX.y]", '["scenario"]', "[[scenario]] # c", "[a = 1]", "[[ scenario ]]", "[other]",
    'name = "a"', 'script = "s.sh"', "jobs = 3", 'run = """', 'x = """a"""', "'''", '"""', "end'''", "x = '''",
    'stdout_equals = """', "a.b = 1", '"quoted key" = 1', "'lit' = 2", " indented = 1", "k = [", '  "item",', "]",
    "owners = [\"t\"]", "# comment", "", "   ", "= 1", "x=1", "\tjobs=2", "exit_code = 0", "bad line",
    "a = { b = 1 }", "[x]]", "[[y]", "key = \"[not a header]\"",
    '"" = 1', "- = 1", "_ = 2", "K-1_b = 3", "\u00e9 = 1", "k = '''", "2024 = 1", " \t name\t= x",
]
SEPARATORS = ["\n", "\r\n", "\r", "\x0b", "\x1c", "\u2028", "\x85"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(SEPARATORS)), max_size=40))
def test_the_line_map_reads_as_first_written(lines: list[tuple[str, str]]) -> None:
    text = "".join(line + sep for line, sep in lines)
    fast, plain = LineMap(text), _PlainLineMap(text)
    assert (fast.scenario_lines, fast.keys, fast.settings_keys, fast.settings_line) == (
        plain.scenario_lines, plain.keys, plain.settings_keys, plain.settings_line
    )


# ------------------------------------------------------------ names


@given(st.text(alphabet=st.sampled_from([*"aZ09_.-", "\n", "\r", " ", "é", "\u0660", "K", "/", "\0"]), max_size=6))
def test_a_valid_name_is_what_the_regex_says(name: str) -> None:
    assert manifest.valid_name(name) == bool(re.match(r"^[A-Za-z0-9_.-]+$", name))
