"""GitHub Actions output from real runs, read back with GitHub's documented
workflow-command format:
https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
("Setting an error message": `::error file={name},line={line},title={title}::{message}`;
"Grouping log lines": `::group::`/`::endgroup::`; "Stopping and starting
workflow commands": `::stop-commands::{token}` ... `::{token}::`;
"Adding a job summary": Markdown appended to $GITHUB_STEP_SUMMARY), and the
escaping the runner undoes (actions/runner, ActionCommand.cs: `%` -> %25,
CR -> %0D, LF -> %0A in data and properties, plus `:` -> %3A and `,` -> %2C
in properties). GitHub shows at most 10 error annotations per step
(docs.github.com/en/actions/... "Limitations": 10 error annotations per step)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from helpers import Repo

COMMAND = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def commands(output: str, name: str) -> list[tuple[dict[str, str], str]]:
    """The workflow commands the runner would act on: whole lines, outside stop-commands."""
    found = []
    stopped: str | None = None
    for line in output.splitlines():
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            continue
        m = COMMAND.match(line)
        if not m:
            continue
        if m.group("name") == "stop-commands":
            stopped = m.group("message")
            continue
        if m.group("name") == name:
            props = {}
            for pair in (m.group("props") or "").split(","):
                if pair:
                    key, _, value = pair.partition("=")
                    props[key] = _unescape_property(value)
            found.append((props, _unescape_data(m.group("message"))))
    return found


MANIFEST = """\
[[scenario]]
name = "passes"
run = "echo fine"
[scenario.expect]
stdout_contains = ["fine"]

[[scenario]]
name = "wrong_role"
run = "echo 'role=worker, load 50%'; echo '::error file=evil::injected'; echo '::endgroup::'"
description = "a failing scenario"
[scenario.expect]
exit_code = 0
stdout_not_contains = ["Traceback"]
stdout_contains = ["role=coordinator"]

[[scenario]]
name = "bad_json"
run = "echo '{\\"n\\": 2}'"
[scenario.expect]
json = [{ path = "$.n", equals = 3 }]
"""

GH = {"GITHUB_ACTIONS": "true"}


def _line_of(text: str, needle: str, after: str) -> int:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if after in ln)
    return next(i for i in range(start, len(lines)) if lines[i].startswith(needle)) + 1


def test_each_broken_scenario_is_an_error_annotation_at_its_broken_assertion(repo: Repo, tmp_path: Path) -> None:
    repo.manifest(MANIFEST)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step's summary\n")
    r = repo.smoke("run", "--all", env={**GH, "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1, r.stderr
    errors = commands(r.stdout, "error")
    assert len(errors) == 2, r.stdout
    by_title = {props["title"]: (props, message) for props, message in errors}
    props, message = by_title["wrong_role"]
    assert props["file"] == "tests/smoke/manifest.toml"
    assert int(props["line"]) == _line_of(MANIFEST, "stdout_contains", 'name = "wrong_role"')
    assert message.startswith("FAIL: stdout lacks 'role=coordinator'\n")
    props, message = by_title["bad_json"]
    assert int(props["line"]) == _line_of(MANIFEST, "json", 'name = "bad_json"')
    assert "expected: 3" in message and "actual:   2" in message
    # Each command is one line: the message's newlines travel escaped.
    raw = [ln for ln in r.stdout.splitlines() if ln.startswith("::error ")]
    assert all("%0A" in ln for ln in raw)
    # The scenario's own "::error" line is inside stop-commands, folded in a group.
    assert "::error file=evil::injected" in r.stdout
    assert not any(p.get("file") == "evil" for p, _ in errors)
    groups = commands(r.stdout, "group")
    assert sorted(m for _, m in groups) == ["bad_json: output (last lines)", "wrong_role: output (last lines)"]
    assert len(commands(r.stdout, "endgroup")) == 2  # the scenario's own one is not read as a command
    # The step summary: appended, a Markdown table with status, duration and why.
    text = summary.read_text()
    assert text.startswith("earlier step's summary\n")
    assert "| scenario | status | duration | why |" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and "---" not in ln][1:]
    assert [row.split("|")[1].strip() for row in rows] == ["wrong\\_role", "bad\\_json", "passes"]
    assert "fail" in rows[0] and "role=coordinator" in rows[0] and re.search(r"\| \d+\.\d\ds \|", rows[0])
    assert "smoke-gate: \u274c refused (1 passed, 2 failed" in text


def test_more_than_ten_broken_scenarios_stay_within_githubs_ten(repo: Repo) -> None:
    repo.manifest("".join(
        f'[[scenario]]\nname = "broken_{n:02}"\nrun = "echo no"\n[scenario.expect]\nstdout_contains = ["yes"]\n\n'
        for n in range(13)
    ))
    r = repo.smoke("run", "--all", "-j", "4", env=GH)
    assert r.returncode == 1
    errors = commands(r.stdout, "error")
    assert len(errors) == 10
    props, message = errors[-1]
    assert props["title"] == "smoke: 4 more broken scenario(s)"
    assert message.startswith("4 more scenario(s) broken: ")
    named = {p["title"] for p, _ in errors[:-1]} | set(re.findall(r"broken_\d\d", message))
    assert named == {f"broken_{n:02}" for n in range(13)}


def test_a_blocking_skip_and_a_missing_script_are_annotated_too(repo: Repo) -> None:
    repo.manifest("""\
        [[scenario]]
        name = "down"
        run = "echo 'endpoint: down, sorry' >&2; exit 77"

        [[scenario]]
        name = "lost"
        description = "its script was deleted"
        script = "scenarios/gone.sh"
        """)
    r = repo.smoke("run", "--all", "--fail-on-skip", env=GH)
    assert r.returncode == 1
    errors = {p["title"]: (p, m) for p, m in commands(r.stdout, "error")}
    assert errors["down"][1] == "SKIP, and skips block this run: endpoint: down, sorry"
    assert errors["lost"][1].startswith("ERROR: ")
    assert errors["lost"][0]["line"] == "8"  # its `script` key


def test_outside_github_actions_nothing_is_a_workflow_command(repo: Repo, tmp_path: Path) -> None:
    repo.manifest(MANIFEST)
    summary = tmp_path / "summary.md"
    r = repo.smoke("run", "--all", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1
    assert not commands(r.stdout, "error") and not commands(r.stdout, "group")
    assert not summary.exists()


def test_json_mode_keeps_stdout_one_object(repo: Repo) -> None:
    import json

    repo.manifest(MANIFEST)
    r = repo.smoke("run", "--all", "--json", env=GH)
    assert r.returncode == 1
    assert json.loads(r.stdout)["summary"]["fail"] == 2
    assert len(commands(r.stderr, "error")) == 2


def test_console_and_junit_point_at_the_broken_assertion(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    r = repo.smoke("run", "wrong_role", "bad_json", "--junit", "out/junit.xml")
    assert r.returncode == 1
    role_line = _line_of(MANIFEST, "stdout_contains", 'name = "wrong_role"')
    json_line = _line_of(MANIFEST, "json", 'name = "bad_json"')
    assert f"tests/smoke/manifest.toml:{role_line}  " in r.stdout
    assert f"tests/smoke/manifest.toml:{json_line}  " in r.stdout
    cases = {c.get("name"): c for c in ET.parse(repo.path / "out/junit.xml").getroot().iter("testcase")}
    assert cases["wrong_role"].get("line") == str(role_line)
    assert cases["bad_json"].get("line") == str(json_line)


def test_a_failed_files_check_shows_the_files_tail(repo: Repo) -> None:
    repo.manifest("""\
        [[scenario]]
        name = "writes_log"
        run = "seq 1 30 | sed 's/^/log line /' > \\"$SMOKE_SCRATCH/app.log\\"; printf 'tab\\\\there\\\\n' >> \\"$SMOKE_SCRATCH/app.log\\""

        [scenario.expect]
        files = [{ path = "$SMOKE_SCRATCH/app.log", contains = ["server ready"] }]
        """)
    r = repo.smoke("run", "writes_log")
    assert r.returncode == 1
    assert "tests/smoke/manifest.toml:6  " in r.stdout
    assert "--- $SMOKE_SCRATCH/app.log (content, last 10 of 31 lines) ---" in r.stdout
    assert "| log line 30" in r.stdout and "| tab\\there" in r.stdout
    assert "log line 21" not in r.stdout  # only the tail


def test_the_step_summary_stays_bounded_and_keeps_every_broken_scenario(repo: Repo, tmp_path: Path) -> None:
    # GitHub takes at most 1 MiB of summary per step ("Adding a job summary").
    passing = "".join(
        f'[[scenario]]\nname = "ok_{n:03}"\nrun = "echo ok"\n[scenario.expect]\nstdout_contains = ["ok"]\n\n'
        for n in range(503)
    )
    repo.manifest(passing + '[[scenario]]\nname = "zz_broken"\nrun = "echo no"\n[scenario.expect]\nstdout_contains = ["yes"]\n')
    summary = tmp_path / "summary.md"
    r = repo.smoke("run", "--all", "-j", "2", env={**GH, "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1
    rows = [ln for ln in summary.read_text().splitlines() if ln.startswith("| ") and "---" not in ln][1:]
    assert rows[0].startswith("| zz\\_broken | \u274c fail |")
    assert len(rows) == 501
    assert rows[-1] == "| ... | | | 4 more scenario(s) that did not block; `smoke run --json` lists them |"
