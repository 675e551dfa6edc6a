"""The manifest's one TOML parser (smoke.tomlread): TOML 1.0, read exactly as
the stdlib's tomllib reads it, whichever parser the installation has."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import Repo
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from smoke import tomlread

M = "tests/smoke/manifest.toml"
HEAD = '[[scenario]]\nname = "ok"\nrun = "echo hi"\n'

# What TOML 1.1 adds and tomllib (3.11 to 3.14) refuses; tomli reads them from 2.4 on (and
# tomlkit 0.15 reads them). Each stays a syntax error, at the line and column tomllib names.
TOML_1_1 = {
    "newline in an inline table": 'env = {\n  A = "1",\n}\n',
    "trailing comma in an inline table": 'env = { A = "1", }\n',
    "\\e escape": 'description = "\\e[1m"\n',
    "\\x escape": 'description = "\\x41"\n',
    "time without seconds": 'description = 12:30\n',
    "date-time without seconds": 'description = 2026-01-02T12:30Z\n',
}

needs_toml_1_0_stdlib = pytest.mark.skipif(
    sys.version_info >= (3, 15), reason="tomllib reads TOML 1.1 from Python 3.15 on: it is no reference for 1.0 there",
)


def _tomllib_says(text: str) -> str:
    """`smoke check`'s line for a syntax error, from what tomllib reports."""
    with pytest.raises(tomllib.TOMLDecodeError) as e:
        tomllib.loads(text)
    msg, _, where = str(e.value).rpartition(" (at line ")
    line, _, column = where.rstrip(")").partition(", column ")
    return f"{M}:{line}:{column}: TOML syntax error: {msg}"


@needs_toml_1_0_stdlib
@pytest.mark.parametrize("feature", sorted(TOML_1_1))
def test_toml_1_1_stays_a_syntax_error_at_every_door(repo: Repo, feature: str) -> None:
    text = HEAD + TOML_1_1[feature]
    expected = _tomllib_says(text)
    repo.manifest(text)
    res = repo.smoke("check")
    assert res.returncode == 2
    assert res.stdout == f"{expected}\nsmoke check: {M}: 1 error(s), 0 warning(s)\n"
    # An agent's gate reads it afresh, through the same parser.
    assert repo.commit("manifest").returncode == 0
    res = repo.smoke("gate", "--task", "t", "--stage", "done", env={"WG_AGENT_ID": "agent-1"})
    assert res.returncode == 2 and expected in res.stderr, res.stdout + res.stderr


def test_the_compiled_parser_is_used_when_installed() -> None:
    try:
        import tomli
    except ImportError:
        pytest.skip("tomli is not installed: tomllib reads the manifest")
    if not tomlread._reads_toml_1_0_only(tomli.__version__):
        pytest.skip(f"tomli {tomli.__version__} reads TOML 1.1: tomllib reads the manifest")
    assert tomlread.NAME == "tomli"
    assert tomlread.TOMLDecodeError is tomli.TOMLDecodeError


@pytest.mark.parametrize(("version", "used"), [
    ("2.3.2", "tomli"), ("2.0.1", "tomli"), ("2.4.0", "tomllib"), ("2.10.1", "tomllib"), ("3.0", "tomllib"),
    ("", "tomllib"), ("2.x", "tomllib"),
])
def test_a_tomli_that_reads_toml_1_1_is_not_used(tmp_path: Path, version: str, used: str) -> None:
    fake = tmp_path / "tomli"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        f"__version__ = {version!r}\nclass TOMLDecodeError(ValueError): pass\ndef loads(s): return {{'fake': True}}\n"
    )
    probe = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); from smoke import tomlread;"
        " print(tomlread.NAME, tomlread.loads('a = 1'))"
    )
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    expected = {"tomli": "tomli {'fake': True}", "tomllib": "tomllib {'a': 1}"}[used]
    assert res.stdout.strip() == expected


# A manifest and what an edit could break in it: whatever the parser, its answer
# (the document, or the message with its line and column) is tomllib's.
BASE = (
    '[settings]\njobs = 3\nbase_ref = "main"\n\n'
    '[[scenario]]\nname = "a"\nscript = "scenarios/a.sh"\nowners = ["t-1", "t-2"]\n'
    'description = "what it protects"\ntimeout_seconds = 30.5\nenv = { A = "1", B = 2 }\n'
    '[scenario.expect]\nexit_code = [0, 1]\nstdout_equals = """\nok\n"""\nstdout_matches = [\'^ok\\d+$\']\n'
    '[[scenario.expect.json]]\npath = "$.a"\nequals = 2026-01-02T03:04:05Z\n'
)
PIECES = [*'[]{}=,."\'\\#\n \t0123456789aexZT:-+_', "\x00", "\x7f", "\r\n", '"""', "'''", "\\u00e9", "inf", "nan"]


@needs_toml_1_0_stdlib
@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(BASE)), st.integers(0, 2), st.sampled_from(PIECES)), min_size=1, max_size=4))
def test_the_parser_answers_as_tomllib(edits: list[tuple[int, int, str]]) -> None:
    text = BASE
    for pos, op, piece in edits:
        pos = min(pos, len(text))
        text = text[:pos] + piece + text[pos:] if op == 0 else text[:pos] + text[pos + 1:] if op == 1 \
            else text[:pos] + piece + text[pos + 1:]
    answers = []
    for loads, error in ((tomllib.loads, tomllib.TOMLDecodeError), (tomlread.loads, tomlread.TOMLDecodeError)):
        try:
            answers.append(repr(loads(text)))
        except error as e:
            answers.append(f"error: {e}")
    assert answers[0] == answers[1]


def test_without_a_toml_1_0_reader_nothing_is_read(repo: Repo) -> None:
    """Python 3.15's tomllib reads TOML 1.1: with it and no tomli below 2.4, smoke refuses to read (exit 2, one line)
    rather than accept what every other smoke refuses (red team, this session)."""
    repo.manifest('[[scenario]]\nname = "a"\nrun = "echo ok"\n[scenario.expect]\nstdout_contains = ["ok"]\n')
    probe = "import smoke.tomlread as t; t.USABLE = False; from smoke.main import main; raise SystemExit(main(['check']))"
    res = subprocess.run([sys.executable, "-c", probe], cwd=repo.path, env=repo.env, capture_output=True, text=True)
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.strip().splitlines() == [
        "smoke check: error: this Python's tomllib reads TOML 1.1, and smoke-gate reads manifests as TOML 1.0"
        " (pip install 'tomli>=2.0.1,<2.4')"
    ]
    assert tomlread.USABLE == (tomlread.NAME != "tomllib" or sys.version_info[:2] < (3, 15))
