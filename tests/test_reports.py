"""Reports from real runs: JSON and JUnit for machines; aligned, coloured
lines, a live progress line on terminals and a summary for people."""
from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from helpers import SMOKE
from helpers import Repo

SGR = re.compile(r"\x1b\[[0-9;]*m")
GREEN_PASS = "\x1b[32mPASS\x1b[0m"

EVERY_STATUS = r"""
[[scenario]]
name = "passes"
run = "echo role=coordinator; echo 'pass says hi' >&2"
[scenario.expect]
stdout_contains = ["role=coordinator"]

[[scenario]]
name = "fails"
run = "echo role=worker; echo 'it broke' >&2"
[scenario.expect]
stdout_contains = ["role=coordinator"]

[[scenario]]
name = "skips"
run = "echo 'endpoint lambda01 is down' >&2; exit 77"

[[scenario]]
name = "times_out"
run = "echo before the hang; sleep 20"
timeout_seconds = 0.3

[[scenario]]
name = "errors"
script = "scenarios/missing.sh"

[[scenario]]
name = "flaky"
run = "if [ -e \"$SMOKE_REPO_ROOT/once\" ]; then echo ok; else touch \"$SMOKE_REPO_ROOT/once\"; exit 1; fi"
retries = 1
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "noisy_bytes"
run = "printf 'a\\001b \\033[31mred\\033[0m <&>\\n'"
[scenario.expect]
stdout_contains = ["red"]
"""


def _manifest_every_status(repo: Repo) -> None:
    # The flaky scenario marks its first attempt in the repository: one run per test repository.
    repo.manifest(EVERY_STATUS)


def _json(res: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(res.stdout)


# ---------------------------------------------------------------- JSON


def test_json_has_the_exact_documented_shape(repo: Repo) -> None:
    _manifest_every_status(repo)
    res = repo.smoke("run", "--all", "--json")
    assert res.returncode == 1
    doc = _json(res)
    assert list(doc) == ["version", "results", "summary"]
    assert doc["version"] == 1
    assert doc["summary"] == {"pass": 2, "fail": 1, "skip": 1, "timeout": 1, "error": 1, "flaky": 1}
    assert list(doc["summary"]) == ["pass", "fail", "skip", "timeout", "error", "flaky"]
    for r in doc["results"]:
        # The documented fields come first, in order; anything after them is extra detail.
        assert list(r)[:6] == ["name", "status", "duration_s", "exit_code", "reason", "failures"], r
        assert isinstance(r["name"], str) and isinstance(r["reason"], str)
        assert isinstance(r["duration_s"], float | int) and r["duration_s"] >= 0
        assert r["exit_code"] is None or isinstance(r["exit_code"], int)
        assert isinstance(r["failures"], list)
    by = {r["name"]: r for r in doc["results"]}
    assert [r["name"] for r in doc["results"]] == [
        "passes", "fails", "skips", "times_out", "errors", "flaky", "noisy_bytes",
    ]
    assert by["passes"]["exit_code"] == 0 and by["passes"]["failures"] == [] and by["passes"]["reason"] == ""
    assert by["fails"]["failures"] == [{
        "check": "stdout_contains", "summary": "stdout lacks 'role=coordinator'",
        "detail": "expected stdout to contain: role=coordinator",
    }]
    assert by["fails"]["reason"] == "stdout lacks 'role=coordinator'"
    assert by["skips"]["exit_code"] == 77 and by["skips"]["reason"] == "endpoint lambda01 is down"
    assert by["errors"]["exit_code"] is None
    # Human output went to stderr: stdout is exactly one JSON document.
    assert "smoke: 2 passed, 1 failed, 1 skipped, 1 timed out, 1 errored, 1 flaky" in res.stderr


def test_list_json_has_the_exact_documented_shape(repo: Repo) -> None:
    _manifest_every_status(repo)
    res = repo.smoke("list", "passes", "skips", "--json")
    assert res.returncode == 0
    assert _json(res) == {"version": 1, "scenarios": [
        {"name": "passes", "reasons": ["named"]},
        {"name": "skips", "reasons": ["named"]},
    ]}


# ---------------------------------------------------------------- JUnit


def test_junit_from_a_real_run_with_every_status(repo: Repo) -> None:
    _manifest_every_status(repo)
    res = repo.smoke("run", "--all", "--junit", "reports/smoke.xml")
    assert res.returncode == 1
    root = ET.parse(repo.path / "reports/smoke.xml").getroot()
    assert root.tag == "testsuites"
    (suite,) = root
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped")} == {
        "name": "smoke", "tests": "7", "failures": "1", "errors": "2", "skipped": "1",
    }
    float(suite.get("time", "x"))
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["passes", "fails", "skips", "times_out", "errors", "flaky", "noisy_bytes"]
    for case in cases.values():
        assert case.get("classname") == "smoke" and case.get("file") == "tests/smoke/manifest.toml"
        float(case.get("time", "x"))

    def verdicts(name: str) -> list[str]:
        return [child.tag for child in cases[name] if child.tag not in ("system-out", "system-err")]

    assert verdicts("passes") == [] and verdicts("noisy_bytes") == []
    assert cases["passes"].get("line") == "2"

    (failure,) = cases["fails"].iter("failure")
    assert failure.get("message") == "stdout lacks 'role=coordinator'"
    assert failure.text == "stdout_contains: expected stdout to contain: role=coordinator"
    assert cases["fails"].findtext("system-out") == "role=worker\n"
    assert cases["fails"].findtext("system-err") == "it broke\n"

    (skipped,) = cases["skips"].iter("skipped")
    assert skipped.get("message") == "endpoint lambda01 is down"
    assert verdicts("skips") == ["skipped"]

    (timeout,) = cases["times_out"].iter("error")
    assert timeout.get("type") == "timeout" and timeout.get("message") == "timed out after 0.3s"
    assert cases["times_out"].findtext("system-out") == "before the hang\n"

    (error,) = cases["errors"].iter("error")
    assert error.get("type") == "error"
    assert "scenarios/missing.sh does not exist" in (error.get("message") or "")

    assert verdicts("flaky") == ["properties"]
    (prop,) = cases["flaky"].iter("property")
    assert prop.get("name") == "flaky" and prop.get("value") == "passed on attempt 2 of 2"

    assert cases["passes"].findtext("system-err") == "pass says hi\n"
    # Control characters cannot appear in XML: they are shown, not dropped or fatal.
    assert cases["noisy_bytes"].findtext("system-out") == "a\\x01b \\x1b[31mred\\x1b[0m <&>\n"


def test_junit_is_written_when_everything_passes_too(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "ok"
        run = "echo ok"
        [scenario.expect]
        stdout_contains = ["ok"]
    """)
    res = repo.smoke("run", "--all", "--junit", str(repo.path / "junit.xml"))
    assert res.returncode == 0
    suite = ET.parse(repo.path / "junit.xml").getroot()[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "0", "0", "0")


# ---------------------------------------------------------------- console


SIMPLE = """
[[scenario]]
name = "ok_one"
run = "echo ok"
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "a_much_longer_scenario_name"
run = "echo nope"
[scenario.expect]
stdout_contains = ["ok"]
"""


def test_status_lines_are_aligned_like_pre_commit(repo: Repo) -> None:
    repo.manifest(SIMPLE)
    res = repo.smoke("run", "--all")
    assert res.returncode == 1
    lines = [ln for ln in res.stdout.splitlines() if re.match(r"^\w+\.{3,}", ln)]
    assert len(lines) == 2
    assert re.fullmatch(r"ok_one\.+PASS \d+\.\d\ds", next(ln for ln in lines if ln.startswith("ok_one")))
    assert re.fullmatch(r"a_much_longer_scenario_name\.+FAIL \d+\.\d\ds", next(ln for ln in lines if ln.startswith("a_")))
    assert {len(ln) for ln in lines} == {79}
    assert SGR.search(res.stdout) is None


def test_summary_names_the_slowest_scenarios(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "slow_one"
        run = "sleep 0.6; echo ok"
        [scenario.expect]
        stdout_contains = ["ok"]
    """ + "".join(f"""
        [[scenario]]
        name = "quick_{i}"
        run = "echo ok"
        [scenario.expect]
        stdout_contains = ["ok"]
    """ for i in range(3)))
    res = repo.smoke("run", "--all")
    assert res.returncode == 0
    summary = res.stdout.splitlines()[-2:]
    assert re.fullmatch(r"smoke: 4 passed, 0 failed in \d+\.\d\ds", summary[0])
    assert re.match(r"slowest: slow_one \d+\.\d\ds", summary[1]), summary


# ---------------------------------------------------------------- colour


def test_color_switches_when_piped(repo: Repo) -> None:
    repo.manifest(SIMPLE)

    def run(*args: str, **env: str) -> str:
        return repo.smoke("run", "ok_one", *args, env=env).stdout

    assert SGR.search(run()) is None  # auto, piped
    assert SGR.search(run("--color", "never")) is None
    assert GREEN_PASS in run("--color", "always")
    assert GREEN_PASS in run(FORCE_COLOR="1")
    assert SGR.search(run("--color", "never", FORCE_COLOR="1")) is None
    assert SGR.search(run(NO_COLOR="1", FORCE_COLOR="1")) is None  # NO_COLOR wins over FORCE_COLOR
    assert GREEN_PASS in run("--color", "always", NO_COLOR="1")  # an explicit flag wins over both
    listed = repo.smoke("list", "--all", "--color", "always").stdout
    assert "\x1b[1mok_one\x1b[0m" in listed


def _run_in_pty(
    repo: Repo,
    args: list[str],
    env: dict[str, str] | None = None,
    until: bytes | None = None,
    then: Callable[[], None] | None = None,
) -> tuple[int, str]:
    """Run smoke with a pseudo-terminal as stdout and stderr; call `then` once `until` appears."""
    full_env = {**repo.env, "TERM": "xterm", **(env or {})}
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [SMOKE, *args], cwd=repo.path, env=full_env, stdin=subprocess.DEVNULL,
        stdout=slave, stderr=slave, start_new_session=True,
    )
    os.close(slave)
    buf = b""
    waiting = until is not None
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            assert ready, "the run stopped writing: " + buf.decode(errors="replace")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            buf += chunk
            if waiting and until is not None and until in buf:
                waiting = False
                if then:
                    then()
        return proc.wait(timeout=60), buf.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_color_switches_on_a_terminal(repo: Repo) -> None:
    repo.manifest(SIMPLE)
    code, out = _run_in_pty(repo, ["run", "ok_one"])
    assert code == 0 and GREEN_PASS in out
    code, out = _run_in_pty(repo, ["run", "ok_one", "--color", "never"])
    assert code == 0 and SGR.search(out) is None and "PASS" in out
    code, out = _run_in_pty(repo, ["run", "ok_one"], env={"NO_COLOR": "1"})
    assert code == 0 and SGR.search(out) is None and "PASS" in out
    code, out = _run_in_pty(repo, ["run", "ok_one"], env={"TERM": "dumb"})
    assert code == 0 and SGR.search(out) is None


WAITS = """
[[scenario]]
name = "waits_for_release"
run = 'touch "$RELEASE_DIR/started.$RUN_ID"; while [ ! -e "$RELEASE_DIR/go" ]; do sleep 0.05; done; echo released'
timeout_seconds = 120
[scenario.expect]
stdout_contains = ["released"]
"""


def test_live_progress_line_on_a_terminal_and_none_when_piped(repo: Repo, tmp_path: Path) -> None:
    repo.manifest(WAITS)
    release = tmp_path / "release"
    release.mkdir()
    env = {**repo.env, "RELEASE_DIR": str(release)}
    # The piped run starts first and is held until the terminal run has shown
    # its progress line, so it has run at least as long: long enough for one.
    piped = subprocess.Popen(
        [SMOKE, "run", "--all"], cwd=repo.path, env={**env, "RUN_ID": "piped"},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (release / "started.piped").exists():
            assert piped.poll() is None and time.monotonic() < deadline, "the piped run did not start its scenario"
            time.sleep(0.02)
        code, out = _run_in_pty(
            repo, ["run", "--all"], env={"RELEASE_DIR": str(release), "RUN_ID": "pty"},
            until=b"running: waits_for_release", then=lambda: (release / "go").touch(),
        )
    finally:
        (release / "go").touch()
        stdout, stderr = piped.communicate(timeout=60)
    assert code == 0, out
    plain = SGR.sub("", out)
    assert re.search(r"\[0/1\] \d+s running: waits_for_release", plain), plain
    # The progress line is erased before the result is printed over it.
    assert re.search(r"\r\x1b\[K(\x1b\[[0-9;]*m)*waits_for_release", out), repr(out)
    assert piped.returncode == 0, stdout + stderr
    assert "running:" not in stdout + stderr and "\r" not in stdout + stderr and "\x1b" not in stdout + stderr
    assert re.search(r"^waits_for_release\.+PASS \d+\.\d\ds$", stdout, re.M)
