"""Secrets: values of secret-named variables never reach the console, logs, JSON or JUnit."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Repo
from helpers import alive

from smoke.redact import Redactor

# Long enough that a report shortening it would still leak a recognisable part.
CALLER_TOKEN = "tok-" + "c4ll3r" * 9
TABLE_SECRET = "table-pw-Zq8Xr2"
CUSTOM = "custom-private-9f3k"

MANIFEST = """
[settings]
secret_env_patterns = ["TOKEN", "SECRET", "PASSWORD", "KEY", "CREDENTIAL", "private"]

[[scenario]]
name = "prints_them_and_fails"
run = '''
echo "token=$API_TOKEN pw=$DB_PASSWORD priv=$MY_PRIVATE_THING"
echo "stderr has $API_TOKEN" >&2
'''
env = { DB_PASSWORD = "TABLE_SECRET" }
[scenario.expect]
stdout_contains = ["this text is missing"]
stdout_not_contains = ["token="]
stdout_equals = "nothing like it"
lines_in_order = ["pw=", "absent"]

[[scenario]]
name = "json_value"
run = '''printf '{"token": "%s", "n": 1}\\n' "$API_TOKEN"'''
[scenario.expect]
json = [{ path = "$.token", equals = "something else" }, { path = "$.token", matches = "^x$" }]

[[scenario]]
name = "file_content"
run = '''echo "file has $API_TOKEN" > "$SMOKE_SCRATCH/out.txt"'''
[scenario.expect]
files = [{ path = "$SMOKE_SCRATCH/out.txt", not_contains = ["file has"] }]

[[scenario]]
name = "skips_loudly"
run = '''echo "cannot reach vault with $API_TOKEN" >&2; exit 77'''

[[scenario]]
name = "leaves_a_daemon"
run = '''setsid sh -c "touch $SMOKE_SCRATCH/up; sleep 300; echo $API_TOKEN" & echo $! >> "$PIDS/daemon.pid"; while [ ! -e "$SMOKE_SCRATCH/up" ]; do sleep 0.01; done; echo ok'''
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "times_out"
run = '''echo "waiting with $DB_PASSWORD"; sleep 300'''
env = { DB_PASSWORD = "TABLE_SECRET" }
timeout_seconds = 0.5

[[scenario]]
name = "expects_the_secret"
run = '''echo "the token is $API_TOKEN"'''
[scenario.expect]
stdout_contains = ["CALLER_TOKEN"]
stderr_contains = ["CALLER_TOKEN"]
""".replace("TABLE_SECRET", TABLE_SECRET).replace("CALLER_TOKEN", CALLER_TOKEN)

SECRETS = (CALLER_TOKEN, TABLE_SECRET, CUSTOM)


def _leaks(text: str) -> list[str]:
    """Each secret, or a 12-character piece of one, found in text."""
    found = []
    for s in SECRETS:
        pieces = {s[i : i + 12] for i in range(0, max(1, len(s) - 11))}
        if any(p in text for p in pieces):
            found.append(s)
    return found


@pytest.fixture
def ran(repo: Repo, tmp_path: Path):  # type: ignore[no-untyped-def]
    pids = tmp_path / "pids"
    pids.mkdir()
    repo.manifest(MANIFEST)
    junit = tmp_path / "junit.xml"
    env = {"API_TOKEN": CALLER_TOKEN, "MY_PRIVATE_THING": CUSTOM, "PIDS": str(pids)}
    console = repo.smoke("run", "--all", "--color", "never", env=env)
    js = repo.smoke("run", "--all", "--json", "--junit", str(junit), env=env)
    daemons = [int(x) for f in pids.glob("*.pid") for x in f.read_text().split()]
    return console, js, junit, daemons


def test_console_output_never_shows_a_secret(ran) -> None:  # type: ignore[no-untyped-def]
    console, _, _, _ = ran
    text = console.stdout + console.stderr
    assert console.returncode == 1, text
    assert _leaks(text) == []
    for marker in ("<redacted:API_TOKEN>", "<redacted:DB_PASSWORD>", "<redacted:MY_PRIVATE_THING>"):
        assert marker in text
    # Skip reasons and leftovers' command lines are masked too.
    assert "SKIPPED, NOT PASSED: cannot reach vault with <redacted:API_TOKEN>" in text
    assert "echo <redacted:API_TOKEN>" in text


def test_json_and_junit_never_show_a_secret(ran) -> None:  # type: ignore[no-untyped-def]
    _, js, junit, _ = ran
    assert _leaks(js.stdout + js.stderr) == []
    doc = json.loads(js.stdout)
    by_name = {r["name"]: r for r in doc["results"]}
    assert by_name["skips_loudly"]["reason"] == "cannot reach vault with <redacted:API_TOKEN>"
    assert any("<redacted:API_TOKEN>" in x for x in by_name["leaves_a_daemon"]["leftovers"])
    details = json.dumps(by_name["json_value"]["failures"])
    assert "<redacted:API_TOKEN>" in details
    xml = junit.read_text()
    assert _leaks(xml) == []
    assert "redacted:API_TOKEN" in xml


def test_saved_logs_never_hold_a_secret(repo: Repo, ran) -> None:  # type: ignore[no-untyped-def]
    runs = repo.path / ".git" / "smoke"
    files = [p for p in runs.rglob("*") if p.is_file()]
    assert any(p.suffix == ".stdout" for p in files)
    for p in files:
        assert _leaks(p.read_text(errors="replace")) == [], p


def test_expectations_still_see_the_real_output(ran) -> None:  # type: ignore[no-untyped-def]
    """Checks run on what the scenario printed; only what is shown is masked."""
    _, js, _, _ = ran
    by_name = {r["name"]: r for r in json.loads(js.stdout)["results"]}
    assert by_name["expects_the_secret"]["status"] == "fail"
    assert [f["check"] for f in by_name["expects_the_secret"]["failures"]] == ["stderr_contains"]
    assert by_name["times_out"]["status"] == "timeout"


def test_leftover_daemons_with_secrets_are_ended(ran) -> None:  # type: ignore[no-untyped-def]
    _, _, _, daemons = ran
    assert len(daemons) == 2
    assert not [p for p in daemons if alive(p)]


# ---------------------------------------------------------------- the redactor itself


def test_redactor_masks_escaped_and_shortened_forms() -> None:
    secret = 'p"a\\ss-w\u00f6rd-0123456789'
    r = Redactor({"SERVICE_KEY": secret, "HOME": "/home/x", "SHORT_TOKEN": "ab"}, ["key", "TOKEN"])
    assert r(f"x {secret} y") == "x <redacted:SERVICE_KEY> y"
    assert r(json.dumps({"k": secret})) == '{"k": "<redacted:SERVICE_KEY>"}'
    assert r(repr(secret)) == "'<redacted:SERVICE_KEY>'"
    assert r("value " + secret[:12] + "...") == "value <redacted:SERVICE_KEY>..."
    assert r("/home/x ab") == "/home/x ab"  # not secret names, or too short to mask safely


def test_configured_patterns_add_to_the_defaults(repo: Repo) -> None:
    repo.manifest("""
        [settings]
        secret_env_patterns = ["DSN"]

        [[scenario]]
        name = "leaky"
        run = "echo token=$API_TOKEN dsn=$DB_DSN; exit 1"
    """)
    res = repo.smoke("run", "--all", env={"API_TOKEN": "supersecret123", "DB_DSN": "postgres://u:pw@db"})
    assert "supersecret123" not in res.stdout + res.stderr
    assert "postgres://u:pw@db" not in res.stdout + res.stderr
    assert "token=<redacted:API_TOKEN> dsn=<redacted:DB_DSN>" in res.stdout
