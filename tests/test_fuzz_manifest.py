"""Fail closed: no manifest, however malformed, gives anything but a Manifest or one clear error."""
from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from smoke.errors import SmokeError
from smoke.manifest import EXPECT_KEYS
from smoke.manifest import FILE_CHECK_KEYS
from smoke.manifest import JSON_CHECK_KEYS
from smoke.manifest import SCENARIO_KEYS
from smoke.manifest import SETTINGS_KEYS
from smoke.manifest import Manifest
from smoke.manifest import load_path

FUZZ = settings(max_examples=int(os.environ.get("SMOKE_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    r = tmp_path_factory.mktemp("fuzzrepo")
    (r / "tests" / "smoke" / "scenarios").mkdir(parents=True)
    (r / "tests" / "smoke" / "scenarios" / "ok.sh").write_text("echo ok\n")
    (r / "tests" / "smoke" / "loop1").symlink_to("loop2")
    (r / "tests" / "smoke" / "loop2").symlink_to("loop1")
    return r


def _load(root: Path, data: bytes) -> Manifest | SmokeError:
    """The contract under test: a Manifest, or a SmokeError with a message naming the manifest."""
    path = root / "tests" / "smoke" / "manifest.toml"
    try:
        return load_path(path, root, data=data)
    except SmokeError as e:
        text = str(e)
        assert text.strip(), "an error must say something"
        assert "manifest.toml" in text, text
        return e


# ---------------------------------------------------------------- values

_scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "scenarios/ok.sh", "../../../etc/passwd", "/etc/passwd", "[", "(?P<x", "a**",
                     "$.a[0]", "$", "x" * 3, "cmd:sh", "https://127.0.0.1:1", "host:99999", "\x00",
                     "a\x00b", "A=B", "loop1", "a" * 300, "a/" * 2100, "[z-a]", "\\", "..", "(?P<task>x)"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes().map(lambda d: d),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from([*JSON_CHECK_KEYS, *FILE_CHECK_KEYS, "x"]), inner, max_size=4),
    ),
    max_leaves=8,
)


def _key(known: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(known), st.sampled_from(known).map(lambda k: k[:-1]), st.text(string.ascii_lowercase, min_size=1, max_size=6))


_expect = st.dictionaries(_key(EXPECT_KEYS), _values, max_size=4)
_scenario = st.dictionaries(_key(SCENARIO_KEYS), _values, max_size=7).flatmap(
    lambda d: st.one_of(st.just(d), _expect.map(lambda e: {**d, "expect": e}))
)
_settings = st.dictionaries(_key(SETTINGS_KEYS), _values, max_size=4)
_document = st.fixed_dictionaries(
    {},
    optional={
        "settings": st.one_of(_settings, _values),
        "scenario": st.one_of(st.lists(_scenario, max_size=4), _values),
        "other": _values,
    },
)


# ---------------------------------------------------------------- TOML writing
# A small writer of our own: it must be able to produce every shape, including
# ones tomlkit would refuse, and its output is parsed by tomllib like any manifest.


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return v.isoformat()  # datetime


def _toml(doc: dict[str, Any]) -> str:
    lines = []
    for key, value in doc.items():
        if key == "scenario" and isinstance(value, list) and all(isinstance(s, dict) for s in value):
            continue
        if key == "settings" and isinstance(value, dict):
            lines.append("[settings]")
            lines.extend(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in value.items())
        else:
            lines.insert(0, f"{json.dumps(key)} = {_toml_value(value)}")
    scenarios = doc.get("scenario")
    if isinstance(scenarios, list) and all(isinstance(s, dict) for s in scenarios):
        for sc in scenarios:
            lines.append("[[scenario]]")
            expect = sc.get("expect")
            lines.extend(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in sc.items() if k != "expect" or not isinstance(expect, dict))
            if isinstance(expect, dict):
                lines.append("[scenario.expect]")
                lines.extend(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in expect.items())
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- properties


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_load_or_fail_clearly(root: Path, data: bytes) -> None:
    _load(root, data)


@FUZZ
@given(text=st.lists(st.sampled_from([*'[]{}=."\'\n #,\\-_0123456789abcdefnrstu:', "scenario", "expect", "name", "run", "\x00", "é"]), max_size=60).map("".join))
def test_toml_shaped_text_loads_or_fails_clearly(root: Path, text: str) -> None:
    _load(root, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(doc=_document)
def test_structured_documents_load_or_fail_clearly(root: Path, doc: dict[str, Any]) -> None:
    _load(root, _toml(doc).encode("utf-8", "surrogatepass"))


@FUZZ
@given(sc=_scenario)
def test_a_loaded_scenario_is_well_formed(root: Path, sc: dict[str, Any]) -> None:
    """Whatever loads has the types the runner relies on; anything else was refused."""
    got = _load(root, _toml({"scenario": [sc]}).encode("utf-8", "surrogatepass"))
    if isinstance(got, Manifest):
        for s in got.scenarios:
            assert isinstance(s.name, str) and s.name
            assert (s.script is None) != (s.run is None)
            assert s.timeout_seconds is None or 0 < s.timeout_seconds < float("inf")
            for key, value in s.expect.items():
                assert key in EXPECT_KEYS
                assert value not in ((), [], "") or key == "stdout_equals"


# ---------------------------------------------------------------- the named cases

BAD = {
    "toml_syntax": ("[[scenario]\nname = 'a'\n", "TOML syntax error"),
    "wrong_type": ("[[scenario]]\nname = 'a'\nrun = 'true'\ntimeout_seconds = 'ten'\n", "timeout_seconds"),
    "unknown_key": ("[[scenario]]\nname = 'a'\nrun = 'true'\nowner = ['t']\n", "did you mean 'owners'"),
    "duplicate": ("[[scenario]]\nname = 'a'\nrun = 'true'\n[[scenario]]\nname = 'a'\nrun = 'true'\n", "duplicate name"),
    "missing_name": ("[[scenario]]\nrun = 'true'\n", "missing 'name'"),
    "run_and_script": ("[[scenario]]\nname = 'a'\nrun = 'true'\nscript = 'scenarios/ok.sh'\n", "both 'script' and 'run'"),
    "negative_timeout": ("[[scenario]]\nname = 'a'\nrun = 'true'\ntimeout_seconds = -1\n", "greater than 0"),
    "zero_timeout": ("[[scenario]]\nname = 'a'\nrun = 'true'\ntimeout_seconds = 0\n", "greater than 0"),
    "zero_default_timeout": ("[settings]\ndefault_timeout_seconds = 0\n", "greater than 0"),
    "empty_assertions": ("[[scenario]]\nname = 'a'\nrun = 'true'\n[scenario.expect]\nstdout_contains = []\n", "is empty"),
    "bad_regex": ("[[scenario]]\nname = 'a'\nrun = 'true'\n[scenario.expect]\nstdout_matches = ['(']\n", "does not compile"),
    "script_escapes": ("[[scenario]]\nname = 'a'\nscript = '../../../../etc/passwd'\n", "leaves the repository"),
    "not_utf8": (b"[[scenario]]\nname = '\xff'\n", "not UTF-8"),
    "scenario_not_tables": ("scenario = 3\n", "array of tables"),
    "scenario_table": ("[scenario]\nname = 'a'\n", "array of tables"),
    "nul_in_run": ("[[scenario]]\nname = 'a'\nrun = \"echo \\u0000\"\n", "NUL"),
    "env_name_with_equals": ("[[scenario]]\nname = 'a'\nrun = 'true'\nenv = { \"A=B\" = '1' }\n", "'='"),
    "script_symlink_loop": ("[[scenario]]\nname = 'a'\nscript = 'loop1'\n", "cannot be resolved"),
    "script_name_too_long": ("[[scenario]]\nname = 'a'\nscript = '" + "a" * 5000 + "'\n", "cannot be resolved"),
    "nested_too_deep": ("x = " + "[" * 3000 + "]" * 3000 + "\n", "too deeply"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_malformed_manifest_is_one_clear_error(root: Path, case: str) -> None:
    text, needle = BAD[case]
    data = text if isinstance(text, bytes) else text.encode()
    got = _load(root, data)
    assert isinstance(got, SmokeError), f"{case} loaded"
    assert needle in str(got)
    assert str(got).startswith(str(Path("tests/smoke/manifest.toml"))) or "manifest.toml:" in str(got)
