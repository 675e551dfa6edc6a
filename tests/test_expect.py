"""Expectation checks as pure functions: data in, failures out."""
from __future__ import annotations

import pytest

from smoke.expect import JsonPathError
from smoke.expect import Output
from smoke.expect import check
from smoke.expect import equals_diff
from smoke.expect import expand
from smoke.expect import parse_json_path
from smoke.expect import visible


def run(expect: dict, stdout: str = "", stderr: str = "", code: int = 0, files: dict | None = None) -> list:
    files = files or {}
    return check(expect, Output(stdout, stderr, code), lambda p: files.get(p))


def summaries(expect: dict, **kw: object) -> list[str]:
    return [f.summary for f in run(expect, **kw)]


def test_default_expectation_is_exit_zero() -> None:
    assert run({}, code=0) == []
    assert summaries({}, code=3) == ["exit 3"]


def test_exit_code_int_and_list() -> None:
    assert run({"exit_code": (2,)}, code=2) == []
    assert run({"exit_code": (0, 1)}, code=1) == []
    (f,) = run({"exit_code": (0, 1)}, code=5)
    assert f.detail == "expected exit code one of [0, 1], got 5"


def test_contains_and_not_contains_name_the_line() -> None:
    expect = {"stdout_contains": ("role=coordinator",), "stdout_not_contains": ("Traceback",)}
    assert run(expect, stdout="x\nrole=coordinator\n") == []
    fails = run(expect, stdout="ok\nTraceback (most recent call last)\n")
    assert [f.summary for f in fails] == [
        "stdout lacks 'role=coordinator'",
        "stdout has 'Traceback' (line 2)",
    ]
    assert "line 2 does:\n  2| Traceback (most recent call last)" in fails[1].detail


def test_stderr_checks() -> None:
    expect = {"stderr_contains": ("warn",), "stderr_not_contains": ("panic",), "stderr_matches": (r"took \d+ms",)}
    assert run(expect, stderr="warn: took 12ms") == []
    assert summaries(expect, stderr="panic") == [
        "stderr lacks 'warn'", "stderr has 'panic' (line 1)", r"stderr does not match /took \d+ms/",
    ]


def test_matches_is_multiline_search() -> None:
    assert run({"stdout_matches": (r"^priority=\d+$",)}, stdout="a\npriority=10\nb") == []
    assert summaries({"stdout_matches": (r"^priority=\d+$",)}, stdout="priority=high") == [
        r"stdout does not match /^priority=\d+$/"
    ]


def test_every_failure_is_reported_not_just_the_first() -> None:
    expect = {"exit_code": (0,), "stdout_contains": ("a", "b"), "stdout_matches": ("zzz",)}
    assert len(run(expect, stdout="", code=1)) == 4


def test_stdout_equals_with_wildcards_and_diff() -> None:
    expect = {"stdout_equals": "started pid [..]\nready in [..]ms\ndone"}
    assert run(expect, stdout="started pid 4242\nready in 17ms\ndone\n") == []
    (f,) = run(expect, stdout="started pid 4242\nready in 17ms\nfailed\n")
    assert f.summary == "stdout differs from stdout_equals"
    assert f.detail.splitlines() == [
        "--- expected", "+++ actual", "@@ -1,3 +1,3 @@",
        " started pid [..]", " ready in [..]ms", "-done", "+failed",
    ]


def test_wildcard_does_not_cross_lines() -> None:
    assert equals_diff("a [..] c", "a b\nc") != ""


def test_invisible_characters_are_made_visible() -> None:
    assert visible("a\tb\r") == "a\\tb\\r"
    assert visible("trailing  ") == "trailing\u00b7\u00b7"
    diff = equals_diff("ok", "ok ")
    assert "+ok\u00b7" in diff


def test_lines_in_order() -> None:
    expect = {"lines_in_order": ("connect", "auth ok", "done")}
    assert run(expect, stdout="connect to x\nauth ok\nnoise\ndone\n") == []
    (f,) = run(expect, stdout="auth ok\nconnect\ndone\n")
    assert f.summary == "stdout lacks 'auth ok' after 'connect' (line 2) in order"
    assert "it appears earlier, on line 1" in f.detail


def test_json_path_missing_value_differs_not_json() -> None:
    expect = {"json": (
        {"path": "$.tasks[0].priority", "equals": 10},
        {"path": "$.tasks[1].priority", "exists": True},
        {"path": "$.tasks", "length": 2},
        {"path": "$.name", "matches": "^wg-"},
    )}
    good = '{"tasks": [{"priority": 10}, {"priority": "high"}], "name": "wg-x"}'
    assert run(expect, stdout=good) == []
    bad = '{"tasks": [{"priority": "10"}, {}, {}], "name": "x"}'
    assert [f.summary for f in run(expect, stdout=bad)] == [
        'json $.tasks[0].priority is "10", expected 10',
        "json $.tasks[1].priority is missing",
        "json $.tasks has length 3, expected 2",
        "json $.name does not match /^wg-/",
    ]
    (f,) = run({"json": ({"path": "$.a", "exists": True},)}, stdout="Error: boom")
    assert f.summary == "stdout is not JSON"
    assert f.detail.startswith("stdout is not JSON (") and f.detail.endswith("it starts: Error: boom")


def test_json_after_a_log_line_and_absent_paths() -> None:
    assert run({"json": ({"path": "$.ok", "equals": True},)}, stdout='starting\n{"ok": true}\n') == []
    assert summaries({"json": ({"path": "$.ok", "equals": True},)}, stdout='{"ok": 1}') == [
        "json $.ok is 1, expected true"
    ]
    assert run({"json": ({"path": "$.gone", "exists": False},)}, stdout="{}") == []
    assert summaries({"json": ({"path": "$.here", "exists": False},)}, stdout='{"here": 0}') == ["json $.here exists"]


def test_json_path_parser() -> None:
    assert parse_json_path("$") == []
    assert parse_json_path('$.a.b[0]["c d"][-1]') == ["a", "b", 0, "c d", -1]
    with pytest.raises(JsonPathError, match="must start with"):
        parse_json_path("a.b")
    with pytest.raises(JsonPathError, match="not understood"):
        parse_json_path("$.a..b")


def test_files() -> None:
    files = {"/s/out.txt": b"ok\nresult=42\n"}
    expect = {"files": (
        {"path": "/s/out.txt", "exists": True, "contains": ["ok"], "not_contains": "error", "matches": [r"result=\d+"]},
        {"path": "/s/none", "exists": False},
    )}
    assert run(expect, files=files) == []
    files = {"/s/out.txt": b"error\n", "/s/none": b""}
    assert summaries(expect, files=files) == [
        "file /s/out.txt lacks 'ok'", "file /s/out.txt has 'error' (line 1)",
        r"file /s/out.txt does not match /result=\d+/", "file /s/none exists",
    ]
    assert summaries({"files": ({"path": "/s/out.txt", "contains": "x"},)}) == ["file /s/out.txt is missing"]


def test_expand_variables() -> None:
    env = {"SMOKE_SCRATCH": "/tmp/x", "N": "1"}
    assert expand("$SMOKE_SCRATCH/out.txt", env) == "/tmp/x/out.txt"
    assert expand("${SMOKE_SCRATCH}/o$N", env) == "/tmp/x/o1"
    assert expand("$UNSET_THING/a", env) == "$UNSET_THING/a"
