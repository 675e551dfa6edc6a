"""Whole-output snapshots of what users and machines read: the console report
of `smoke run` and of a refusing `smoke gate`, the JSON report and the JUnit
report, from the real `smoke` on a manifest with every status. Only what
changes from run to run (durations, temporary paths, run folders, the order
workers finish in: everything runs with -j 1) is normalised; the snapshots are
in tests/snapshots/. After an intended change:

    SMOKE_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py   # then review `git diff tests/snapshots`
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from helpers import Repo
from helpers import assert_snapshot

# Every status a scenario can end in, each once (as in test_reports.py). The
# flaky one leaves its mark in the run's scratch root, shared by its attempts.
MANIFEST = r"""
[[scenario]]
name = "passes"
run = "echo role=coordinator; echo 'pass says hi' >&2"
owners = ["wire-priority-field"]
[scenario.expect]
stdout_contains = ["role=coordinator"]

[[scenario]]
name = "fails"
run = "echo role=worker; echo 'it broke' >&2"
owners = ["wire-priority-field"]
[scenario.expect]
stdout_contains = ["role=coordinator"]
stdout_not_contains = ["role=worker"]

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
run = "if [ -e \"$SMOKE_SCRATCH/../flaky-once\" ]; then echo ok; else touch \"$SMOKE_SCRATCH/../flaky-once\"; exit 1; fi"
retries = 1
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "noisy_bytes"
run = "printf 'a\\001b \\033[31mred\\033[0m <&>\\n'"
[scenario.expect]
stdout_contains = ["red"]
"""


def _normalised(text: str, repo: Repo) -> str:
    for path in (repo.path,):
        for form in {str(path.resolve()), str(path)}:
            text = text.replace(form, f"<{path.name}>")
    text = re.sub(r"runs/\d{8}T\d{6}-\d+(-[\w.-]+)?-[0-9a-f]{4}", "runs/<run>", text)
    text = re.sub(r"(PASS|FAIL|SKIP|TIMEOUT|ERROR|FLAKY) \d+\.\d\ds$", r"\1 <t>s", text, flags=re.M)
    text = re.sub(r" in \d+\.\d\ds$", " in <t>s", text, flags=re.M)
    text = re.sub(r'"duration_s": [0-9.e-]+', '"duration_s": "<t>"', text)
    text = re.sub(r' time="\d+\.\d{3}"', ' time="<t>"', text)
    # Listed only when a scenario took half a second: the timed-out one may or may not have.
    return re.sub(r"^slowest: .*\n", "", text, flags=re.M)


def _console(res: subprocess.CompletedProcess[str]) -> str:
    return f"exit {res.returncode}\n--- stdout\n{res.stdout}--- stderr\n{res.stderr}"


def test_console_and_junit_reports(repo: Repo, tmp_path: Path) -> None:
    repo.manifest(MANIFEST)
    junit = tmp_path / "reports" / "smoke.xml"
    res = repo.smoke("run", "--all", "-j", "1", "--junit", str(junit), env={"NO_COLOR": "1"})
    assert res.returncode == 1, res.stderr
    assert_snapshot("run-console.txt", _normalised(_console(res), repo))
    assert_snapshot("run-junit.xml", _normalised(junit.read_text(encoding="utf-8"), repo))


def test_json_report(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    res = repo.smoke("run", "--all", "-j", "1", "--json")
    assert res.returncode == 1, res.stderr
    json.loads(res.stdout)  # one object, nothing else on stdout
    assert_snapshot("run-json.json", _normalised(res.stdout, repo))
    assert res.stderr.startswith("smoke: 7 scenario(s) from tests/smoke/manifest.toml, 1 at a time\n")  # people's lines


def test_gate_refusal(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    repo.commit("manifest")
    res = repo.smoke("gate", "--task", "wire-priority-field", "-j", "1", env={"NO_COLOR": "1"})
    assert res.returncode == 1, res.stderr
    assert_snapshot("gate-console.txt", _normalised(_console(res), repo))
