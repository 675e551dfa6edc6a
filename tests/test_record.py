"""Recorded expectations: `smoke add NAME ... --run CMD --record` writes what
the command printed as `exit_code` and `stdout_equals`, with volatile values
as [..]. The recorded scenario passes on the next runs and fails as soon as
the stable part of the output changes."""
from __future__ import annotations

import tomllib

import pytest
from helpers import Repo

from smoke.record import has_stable_text
from smoke.record import normalise

# Every kind of value that changes between runs, from real commands.
VOLATILE = (
    'echo "started $(date)"; '
    'echo "iso $(date -u +%Y-%m-%dT%H:%M:%S.%NZ)"; '
    'echo "request id $(cat /proc/sys/kernel/random/uuid)"; '
    'echo "commit $(head -c 20 /dev/urandom | sha1sum | cut -c1-12)"; '
    'echo "worker pid=$$"; '
    'echo "scratch at $SMOKE_SCRATCH/out"; '
    'echo "temp file $(mktemp -u)"; '
    'echo "listening on http://127.0.0.1:$((20000 + RANDOM % 30000))/"; '
    'echo "done in 0.$RANDOM s"; '
    'echo "here: $PWD"; '
    'cat state.txt'
)


def test_recorded_scenario_passes_next_time_and_fails_when_the_stable_part_changes(repo: Repo) -> None:
    repo.manifest("")
    repo.write("state.txt", "role=coordinator\ntasks: 3\n")
    before = repo.read("tests/smoke/manifest.toml")
    r = repo.smoke("add", "status_report", "--owner", "t1", "--run", VOLATILE, "--record")
    assert r.returncode == 0, r.stderr
    written = repo.read("tests/smoke/manifest.toml")
    assert written.startswith(before)
    expect = tomllib.loads(written)["scenario"][0]["expect"]
    assert expect["exit_code"] == 0
    assert expect["stdout_equals"] == (
        "started [..]\n"
        "iso [..]\n"
        "request id [..]\n"
        "commit [..]\n"
        "worker pid=[..]\n"
        "scratch at [..]\n"
        "temp file [..]\n"
        "listening on http://127.0.0.1:[..]/\n"
        "done in [..]\n"
        "here: [..]\n"
        "role=coordinator\n"
        "tasks: 3\n"
    )
    # It shows what it wrote and says how to tighten or loosen it.
    assert 'stdout_equals = """started [..]' in r.stdout
    assert "  | tasks: 3" in r.stdout
    assert "to loosen it" in r.stdout and "to tighten it" in r.stdout
    assert "smoke run status_report" in r.stdout
    for _ in range(2):
        again = repo.smoke("run", "status_report")
        assert again.returncode == 0, again.stdout
    repo.write("state.txt", "role=worker\ntasks: 3\n")
    broken = repo.smoke("run", "status_report")
    assert broken.returncode == 1
    assert "-role=coordinator" in broken.stdout and "+role=worker" in broken.stdout
    repo.write("state.txt", "role=coordinator\ntasks: 3\nextra line\n")
    assert repo.smoke("run", "status_report").returncode == 1


def test_the_exit_code_is_recorded_too(repo: Repo) -> None:
    repo.manifest("")
    r = repo.smoke("add", "usage_error", "--owner", "t1", "--run", "echo 'usage: tool FILE'; exit 3", "--record")
    assert r.returncode == 0, r.stderr
    expect = tomllib.loads(repo.read("tests/smoke/manifest.toml"))["scenario"][0]["expect"]
    assert expect == {"exit_code": 3, "stdout_equals": "usage: tool FILE\n"}
    assert "recorded exit code 3 and 1 line(s) of stdout" in r.stdout
    assert repo.smoke("run", "usage_error").returncode == 0


@pytest.mark.parametrize(("command", "says"), [
    ("echo only on stderr >&2", "it printed nothing on stdout (exit 0)"),
    ("date +%H:%M:%S.%N", "everything it printed changes from run to run"),
    ("echo 'need a server' >&2; exit 77", "it did not finish (skip: need a server)"),
    ("seq 1 1001", "it printed 1001 lines (3898 characters), too much to keep as one expectation"),
])
def test_nothing_stable_to_record_is_refused_and_nothing_written(repo: Repo, command: str, says: str) -> None:
    manifest = repo.manifest("# my smoke\n")
    before = manifest.read_bytes()
    r = repo.smoke("add", "nothing", "--owner", "t1", "--run", command, "--record")
    assert r.returncode == 2
    assert r.stderr.startswith(f"smoke add: error: cannot record 'nothing': {says}")
    assert "nothing was written" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1
    assert manifest.read_bytes() == before


def test_record_needs_a_command(repo: Repo) -> None:
    manifest = repo.manifest("")
    r = repo.smoke("add", "x", "--owner", "t1", "--record")
    assert r.returncode == 2
    assert r.stderr == (
        "smoke add: error: --record needs a command to run (pass --run CMD or --script PATH with --record)\n"
    )
    assert manifest.read_text() == ""
    assert not (repo.path / "tests/smoke/scenarios/x.sh").exists()


def test_a_recorded_secret_is_a_wildcard_not_the_value(repo: Repo) -> None:
    repo.manifest("")
    r = repo.smoke("add", "token_echo", "--owner", "t1", "--run", "echo \"auth with $API_TOKEN ok\"", "--record",
                   env={"API_TOKEN": "s3cr3t-value"})
    assert r.returncode == 0, r.stderr
    text = repo.read("tests/smoke/manifest.toml")
    assert "s3cr3t-value" not in text and "s3cr3t-value" not in r.stdout
    assert 'stdout_equals = """auth with [..] ok' in text


def test_normalise_keeps_stable_text_and_lets_volatile_values_go() -> None:
    text, kinds = normalise(
        "Wed Dec  2 05:56:15 UTC 2026\n"
        "took 250ms and 1m23s\n"
        "version 1.2.3, 42 items, commit deadbeef, port 8080 open\n"
        "at 0x7f3a2b1c4d50\n"
    )
    assert text == "[..]\ntook [..] and [..]\nversion 1.2.3, 42 items, commit deadbeef, port [..] open\nat [..]\n"
    assert set(kinds) == {"date", "time", "duration", "port", "address"}
    assert not has_stable_text("[..]\n [..]\n")
    assert has_stable_text("[..] ok\n")
