"""Output size is not memory (smoke/capture.py): large outputs are judged by a
scan, cut on disk with a line in the report, and the expectations that need a
whole stream fail clearly past the hold limit."""
from __future__ import annotations

import json
from pathlib import Path

from helpers import Repo

from smoke.capture import Capture
from smoke.expect import HOLD_LIMIT


def test_the_scan_finds_text_across_any_chunk_boundary(tmp_path: Path) -> None:
    data = b"line one\nline two\nthe needle is here\nlast\n"
    for cut in range(1, len(data)):
        cap = Capture(tmp_path / "log", 4096, ("needle is", "absent", "one\nline"), hold_limit=8)
        cap.feed(data[:cut])
        cap.feed(data[cut:])
        text, _, scan = cap.finish()
        assert text == "" and scan is not None and scan.size == len(data)
        # Line numbers are exact; the line shown may stop where the chunk did.
        assert {k: v and v[0] for k, v in scan.found.items()} == {"needle is": 3, "absent": None, "one\nline": 1}
        hit, first = scan.found["needle is"], scan.found["one\nline"]
        assert hit is not None and "the needle is here".startswith(hit[1]) and hit[1].startswith("the needle is")
        assert first is not None and first[1].startswith("line one")


def test_the_log_keeps_head_and_tail_and_says_what_was_cut(tmp_path: Path) -> None:
    cap = Capture(tmp_path / "log", 10, ())
    for chunk in (b"0123", b"456789ab", b"cdefghij"):
        cap.feed(chunk)
    text, tail, scan = cap.finish()
    assert text == "0123456789abcdefghij" and scan is None  # small enough to hold whole
    saved = (tmp_path / "log").read_bytes()
    assert saved.startswith(b"01234\n[... smoke cut 10 bytes here") and saved.endswith(b"...]\nfghij")
    assert cap.cut == 10 and tail == text


SETTINGS = "[settings]\nkeep_output_bytes = 65536\n\n"


def _big(name: str, run: str, expect: str) -> str:
    return f"[[scenario]]\nname = \"{name}\"\nrun = '{run}'\n[scenario.expect]\n{expect}\n\n"


def test_a_large_output_is_judged_by_contains_and_cut_on_disk(repo: Repo) -> None:
    # 20 MB: past the hold limit, so contains/not_contains are answered by the scan.
    body = 'echo first; yes "an ordinary line" | head -n 1200000; echo "Traceback: boom"; echo last'
    assert 1200000 * 16 > HOLD_LIMIT
    repo.manifest(
        SETTINGS
        + _big("passes", body, 'stdout_contains = ["first", "last"]\nstdout_not_contains = ["Error"]')
        + _big("fails", body, 'stdout_contains = ["missing"]\nstdout_not_contains = ["Traceback"]')
    )
    res = repo.smoke("run", "--all", "--json")
    assert res.returncode == 1, res.stderr
    by = {r["name"]: r for r in json.loads(res.stdout)["results"]}
    assert by["passes"]["status"] == "pass"
    assert [f["check"] for f in by["fails"]["failures"]] == ["stdout_contains", "stdout_not_contains"]
    assert by["fails"]["failures"][1]["summary"] == "stdout has 'Traceback' (line 1200002)"
    for r in by.values():
        log = repo.path / r["log"]
        assert log.stat().st_size < 65536 + 300
        assert log.read_bytes().startswith(b"first\n") and log.read_bytes().endswith(b"Traceback: boom\nlast\n")
        assert r["cut_bytes"]["stdout"] > 19_000_000
    assert "stdout printed 19.5 MiB; its log was cut to the first and last 32.0 KiB" in res.stderr


def test_whole_stream_expectations_past_the_hold_limit_fail_saying_why(repo: Repo) -> None:
    big = f"yes x | head -c {HOLD_LIMIT + 10}"
    repo.manifest(
        _big("equals", big, 'stdout_equals = "x"')
        + _big("matches", big, 'stdout_matches = ["^x$"]')
        + _big("json", big, 'json = [{ path = "$.a", exists = true }]')
        + _big("under", f"yes x | head -c {HOLD_LIMIT - 10}", 'stdout_matches = ["^x$"]')
    )
    res = repo.smoke("run", "--all", "--json")
    by = {r["name"]: r for r in json.loads(res.stdout)["results"]}
    assert by["under"]["status"] == "pass"
    for name, key in (("equals", "stdout_equals"), ("matches", "stdout_matches"), ("json", "json")):
        (failure,) = by[name]["failures"]
        assert failure["check"] == key
        assert failure["summary"] == f"stdout too large to judge with {key} ({HOLD_LIMIT + 10} bytes)"
        assert "holds at most 16777216 bytes (16 MiB)" in failure["detail"]
        assert "stdout_contains / stdout_not_contains, which work on output of any size" in failure["detail"]
