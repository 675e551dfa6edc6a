"""`smoke run` and `smoke list` through the installed command: statuses,
reports, JSON, exit codes and the fail-closed cases."""
from __future__ import annotations

import json
import re
import socket

from helpers import Repo

STATUSES = """
[[scenario]]
name = "passes"
run = "echo role=coordinator"
[scenario.expect]
stdout_contains = ["role=coordinator"]

[[scenario]]
name = "fails"
run = "echo role=worker"
[scenario.expect]
stdout_contains = ["role=coordinator"]

[[scenario]]
name = "skips"
run = "echo 'endpoint lambda01 is down' >&2; exit 77"

[[scenario]]
name = "times_out"
run = "sleep 20"
timeout_seconds = 0.3

[[scenario]]
name = "errors"
script = "scenarios/missing.sh"

[[scenario]]
name = "flaky"
run = "if [ -e \\"$SMOKE_REPO_ROOT/once\\" ]; then echo ok; else touch \\"$SMOKE_REPO_ROOT/once\\"; exit 1; fi"
retries = 1
[scenario.expect]
stdout_contains = ["ok"]
"""


def _json(res) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(res.stdout)


def test_every_status_in_json_and_console(repo: Repo) -> None:
    repo.manifest(STATUSES)
    res = repo.smoke("run", "--all", "--json")
    assert res.returncode == 1
    doc = _json(res)
    assert doc["version"] == 1
    status = {r["name"]: r["status"] for r in doc["results"]}
    assert status == {
        "passes": "pass", "fails": "fail", "skips": "skip", "times_out": "timeout",
        "errors": "error", "flaky": "flaky",
    }
    assert [r["name"] for r in doc["results"]] == ["passes", "fails", "skips", "times_out", "errors", "flaky"]
    assert doc["summary"] == {"pass": 1, "fail": 1, "skip": 1, "timeout": 1, "error": 1, "flaky": 1}
    for r in doc["results"]:
        assert set(r) >= {"name", "status", "duration_s", "exit_code", "reason", "failures"}
    by = {r["name"]: r for r in doc["results"]}
    assert by["skips"]["reason"] == "endpoint lambda01 is down"
    assert by["times_out"]["reason"] == "timed out after 0.3s"
    assert by["errors"]["reason"].startswith("scenario 'errors' key 'script': scenarios/missing.sh does not exist")
    assert by["fails"]["failures"][0]["summary"] == "stdout lacks 'role=coordinator'"
    assert by["flaky"]["reason"] == "passed on attempt 2 of 2"
    # Human output went to stderr, so stdout is exactly one JSON document.
    assert "smoke: 1 passed, 1 failed, 1 skipped, 1 timed out, 1 errored, 1 flaky" in res.stderr


def test_status_lines_and_failure_report(repo: Repo) -> None:
    repo.manifest(STATUSES)
    res = repo.smoke("run", "fails", "passes")
    assert res.returncode == 1
    out = res.stdout
    assert out.splitlines()[0] == "smoke: 2 scenario(s) from tests/smoke/manifest.toml, 2 at a time"
    status_lines = [ln for ln in out.splitlines() if ln.startswith(("fails.", "passes."))]
    assert len(status_lines) == 2
    for line in status_lines:  # aligned like pre-commit's, 79 columns
        assert len(line) == 79 and line.endswith("s"), line
    assert re.fullmatch(r"fails\.{3,}FAIL \d+\.\d\ds", status_lines[0] if "FAIL" in status_lines[0] else status_lines[1])
    assert "  tests/smoke/manifest.toml:12  exit 0" in out  # the broken stdout_contains
    assert "  x stdout_contains: expected stdout to contain: role=coordinator" in out
    assert "  | role=worker" in out
    assert "full output: .git/smoke/runs/" in out
    log = next(ln for ln in out.splitlines() if "full output:" in ln).split("full output: ")[1].split(" ")[0]
    assert (repo.path / log).read_text() == "role=worker\n"


def test_skip_is_loud_and_blocks_only_when_asked(repo: Repo) -> None:
    repo.manifest(STATUSES)
    res = repo.smoke("run", "skips", "passes")
    assert res.returncode == 0
    assert "  !!! SKIPPED, NOT PASSED: endpoint lambda01 is down" in res.stdout
    assert "!!! 1 scenario(s) SKIPPED: they did not run and did not pass" in res.stdout
    assert repo.smoke("run", "skips", "--fail-on-skip").returncode == 1
    repo.manifest("[settings]\nfail_on_skip = true\n" + STATUSES)
    assert repo.smoke("run", "skips").returncode == 1


def test_timeout_that_ignores_term_and_exits_zero_is_a_timeout(repo: Repo) -> None:
    repo.manifest("""
        [settings]
        kill_grace_seconds = 0.5

        [[scenario]]
        name = "stubborn"
        run = "trap 'exit 0' TERM; while true; do sleep 0.05; done"
        timeout_seconds = 0.3
    """)
    res = repo.smoke("run", "stubborn", "--json")
    (r,) = _json(res)["results"]
    assert r["status"] == "timeout" and res.returncode == 1


def test_requires_gives_a_loud_skip_naming_what_is_missing(repo: Repo) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: refused
        repo.manifest(f"""
            [[scenario]]
            name = "endpoint"
            run = "echo should not run"
            requires = ["http://127.0.0.1:{port}/health"]

            [[scenario]]
            name = "binary"
            run = "echo should not run"
            requires = ["cmd:wg-not-installed-here"]

            [[scenario]]
            name = "met"
            run = "echo ran"
            requires = ["cmd:bash"]
            [scenario.expect]
            stdout_contains = ["ran"]
        """)
        res = repo.smoke("run", "--all", "--json")
    by = {r["name"]: r for r in _json(res)["results"]}
    assert by["endpoint"]["status"] == "skip"
    assert by["endpoint"]["reason"] == f"endpoint http://127.0.0.1:{port}/health unreachable (connection refused)"
    assert by["binary"] == {**by["binary"], "status": "skip", "reason": "required command 'wg-not-installed-here' is not on PATH"}
    assert by["met"]["status"] == "pass"
    assert res.returncode == 0


def test_scenario_environment(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "envy"
        run = "env | sort; pwd; test -d \\"$SMOKE_SCRATCH\\" && echo scratch-ok; read -t 1 x; echo stdin-rc=$?"
        timeout_seconds = 7
        env = { RUST_LOG = "info" }
        [scenario.expect]
        stdout_contains = ["RUST_LOG=info", "SMOKE_SCENARIO=envy", "WG_SMOKE_SCENARIO=envy",
                           "SMOKE_TIMEOUT_SECS=7", "WG_SMOKE_TIMEOUT_SECS=7", "scratch-ok", "stdin-rc=1"]
    """)
    res = repo.smoke("run", "envy", "--json")
    assert res.returncode == 0, res.stdout
    out = (repo.path / _json(res)["results"][0]["log"]).read_text()
    assert f"SMOKE_REPO_ROOT={repo.path}\n" in out
    assert f"SMOKE_MANIFEST_DIR={repo.path / 'tests/smoke'}\n" in out
    assert f"\n{repo.path}\n" in out  # the working directory is the repository top


def test_script_runs_with_bash_or_its_shebang(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "plain"
        script = "scenarios/plain.sh"
        [scenario.expect]
        stdout_contains = ["bash "]

        [[scenario]]
        name = "shebang"
        script = "scenarios/py.py"
        [scenario.expect]
        stdout_contains = ["python says hi"]
    """)
    repo.write("tests/smoke/scenarios/plain.sh", 'echo "bash $BASH_VERSION"\n')
    repo.write("tests/smoke/scenarios/py.py", "#!/usr/bin/env python3\nprint('python says hi')\n", executable=True)
    res = repo.smoke("run", "--all")
    assert res.returncode == 0, res.stdout


def test_workgraph_manifest_runs_unchanged(repo: Repo) -> None:
    repo.manifest("""
        # A manifest as workgraph writes it.
        [[scenario]]
        name = "priority_int_and_string_deserialize"
        script = "scenarios/priority.sh"
        owners = ["wire-priority-field"]
        description = "graph.jsonl with int and string priority reads cleanly"
        timeout_seconds = 30

        [[scenario]]
        name = "nex_two_message_against_lambda01"
        script = "scenarios/nex.sh"
        owners = ["wg-nex-native"]
        description = "needs lambda01"
        timeout_seconds = 60
    """)
    repo.write("tests/smoke/scenarios/priority.sh", 'echo "$WG_SMOKE_SCENARIO $WG_SMOKE_TIMEOUT_SECS"\n')
    repo.write("tests/smoke/scenarios/nex.sh", "echo 'SKIP: lambda01 unreachable' >&2\nexit 77\n")
    res = repo.smoke("gate", "--task", "wire-priority-field", "--json")
    assert res.returncode == 0
    (r,) = _json(res)["results"]
    assert (r["name"], r["status"]) == ("priority_int_and_string_deserialize", "pass")
    assert (repo.path / r["log"]).read_text() == "priority_int_and_string_deserialize 30\n"
    res = repo.smoke("run", "--all", "--json")
    assert [x["status"] for x in _json(res)["results"]] == ["pass", "skip"]


def test_selection_by_name_tag_and_task(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "a"
        run = "true"
        owners = ["t1"]
        tags = ["live"]

        [[scenario]]
        name = "b"
        run = "true"
        owners = ["t2"]

        [[scenario]]
        name = "c"
        run = "true"
        tags = ["live"]
    """)
    names = lambda res: [r["name"] for r in _json(res)["results"]]  # noqa: E731
    assert names(repo.smoke("run", "b", "--json")) == ["b"]
    assert names(repo.smoke("run", "--tag", "live", "--json")) == ["a", "c"]
    assert names(repo.smoke("run", "--task", "t1", "--json")) == ["a"]
    assert names(repo.smoke("run", "--all", "--tag", "live", "--json")) == ["a", "c"]
    listed = json.loads(repo.smoke("list", "--task", "t2", "--json").stdout)
    assert listed["version"] == 1
    assert [{k: s[k] for k in ("name", "reasons")} for s in listed["scenarios"]] == [{"name": "b", "reasons": ["owner: t2"]}]
    assert listed["scenarios"][0]["last"]["status"] == "pass"  # from the runs above
    res = repo.smoke("list", "--tag", "live")
    assert res.stdout == "a\n  tag: live\nc\n  tag: live\n2 of 3 scenario(s) selected\n"


def test_unknown_name_and_empty_selection_are_usage_errors(repo: Repo) -> None:
    repo.manifest('[[scenario]]\nname = "alpha"\nrun = "true"\n')
    res = repo.smoke("run", "alpah")
    assert res.returncode == 2
    assert res.stderr == "smoke run: error: no scenario named 'alpah' (did you mean 'alpha'?)\n"
    res = repo.smoke("run")
    assert res.returncode == 2 and "nothing selected" in res.stderr
    res = repo.smoke("run", "-j", "0", "--all")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_nothing_to_run_passes_quietly(repo: Repo) -> None:
    repo.manifest('[[scenario]]\nname = "alpha"\nrun = "false"\nowners = ["x"]\n')
    res = repo.smoke("gate", "--task", "unrelated")
    assert res.returncode == 0
    assert res.stdout == "smoke gate: no scenario protects task 'unrelated'; nothing to run\n"


# ------------------------------------------------------------ fail closed


def test_explicit_manifest_that_does_not_exist_is_exit_2(repo: Repo) -> None:
    repo.manifest('[[scenario]]\nname = "a"\nrun = "true"\n')
    for args, env in (
        (["--manifest", "nope.toml"], {}),
        ([], {"SMOKE_MANIFEST": "nope.toml"}),
        ([], {"WG_SMOKE_MANIFEST": "nope.toml"}),
    ):
        res = repo.smoke("gate", "--task", "t", *args, env=env)
        assert res.returncode == 2, (args, env)
        assert "manifest nope.toml" in res.stderr and "does not exist" in res.stderr
        assert "Traceback" not in res.stderr


def test_manifest_order_of_lookup(repo: Repo) -> None:
    repo.manifest('[[scenario]]\nname = "default"\nrun = "true"\n')
    repo.write("other.toml", '[[scenario]]\nname = "other"\nrun = "true"\n')
    repo.write("wg.toml", '[[scenario]]\nname = "wg"\nrun = "true"\n')
    names = lambda res: [r["name"] for r in _json(res)["results"]]  # noqa: E731
    assert names(repo.smoke("run", "--all", "--json")) == ["default"]
    assert names(repo.smoke("run", "--all", "--json", env={"WG_SMOKE_MANIFEST": "wg.toml"})) == ["wg"]
    both = {"WG_SMOKE_MANIFEST": "wg.toml", "SMOKE_MANIFEST": "other.toml"}
    assert names(repo.smoke("run", "--all", "--json", env=both)) == ["other"]
    assert names(repo.smoke("run", "--all", "--json", "--manifest", "wg.toml", env=both)) == ["wg"]


def test_no_manifest_in_repository_is_exit_2(repo: Repo) -> None:
    res = repo.smoke("gate", "--task", "t")
    assert res.returncode == 2
    assert "no manifest at" in res.stderr and "smoke init" in res.stderr


def test_validation_errors_name_file_line_scenario_and_key(repo: Repo) -> None:
    repo.manifest("""\
        [[scenario]]
        name = "good"
        run = "true"

        [[scenario]]
        name = "bad"
        run = "true"
        owner = ["t"]
        timeout_seconds = 0
        [scenario.expect]
        stdout_matches = ["(unclosed"]
        stdout_contains = []
    """)
    res = repo.smoke("run", "--all")
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert lines[0] == "smoke run: error: tests/smoke/manifest.toml:8: scenario 'bad' key 'owner': unknown key (did you mean 'owners'?)"
    assert "tests/smoke/manifest.toml:9: scenario 'bad' key 'timeout_seconds': must be greater than 0 (got 0)" in lines[1]
    assert lines[2].startswith("tests/smoke/manifest.toml:11: scenario 'bad' key 'expect.stdout_matches': regex '(unclosed' does not compile")
    assert lines[3].startswith("tests/smoke/manifest.toml:12: scenario 'bad' key 'expect.stdout_contains': is empty")


def test_toml_syntax_error_has_line_and_column(repo: Repo) -> None:
    repo.manifest('[[scenario]]\nname = "a"\nrun = "true\n')
    res = repo.smoke("run", "--all")
    assert res.returncode == 2
    assert res.stderr.startswith("smoke run: error: tests/smoke/manifest.toml:3:")
    assert "TOML syntax error" in res.stderr and "Traceback" not in res.stderr


def test_missing_script_blocks_the_gate(repo: Repo) -> None:
    repo.manifest('[[scenario]]\nname = "gone"\nscript = "scenarios/gone.sh"\nowners = ["t"]\n')
    res = repo.smoke("gate", "--task", "t")
    assert res.returncode == 1
    assert "ERROR" in res.stdout
    assert "smoke gate refused task 't': 1 scenario(s) broken \u2014 gone (scenario 'gone' key 'script': scenarios/gone.sh does not exist" in res.stdout


# ------------------------------------------------------------ found in review


def test_a_failure_then_a_skip_on_retry_still_blocks(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "fails_then_skips"
        run = "if [ -e \\"$SMOKE_REPO_ROOT/tried\\" ]; then echo 'endpoint gone' >&2; exit 77; fi; touch \\"$SMOKE_REPO_ROOT/tried\\"; exit 1"
        owners = ["t1"]
        retries = 1
    """)
    res = repo.smoke("gate", "--task", "t1", "--json")
    assert res.returncode == 1
    (r,) = _json(res)["results"]
    assert (r["status"], r["attempts"]) == ("fail", 2)
    assert r["reason"] == "exit 1; the retry skipped: endpoint gone"


def test_stdout_equals_never_confuses_invisible_characters(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "tab"
        run = "printf 'a\\\\tb\\\\n'"
        [scenario.expect]
        stdout_equals = 'a\\tb'

        [[scenario]]
        name = "spaces"
        run = "printf 'x  \\\\n'"
        [scenario.expect]
        stdout_equals = "x\u00b7\u00b7"
    """)
    res = repo.smoke("run", "--all", "--json")
    by = {r["name"]: r for r in _json(res)["results"]}
    assert by["tab"]["status"] == "fail" and by["spaces"]["status"] == "fail"
    assert "-'a\\\\tb'\n+'a\\tb'" in by["tab"]["failures"][0]["detail"]


def test_bad_connect_timeout_and_junit_path_are_one_line_errors(repo: Repo) -> None:
    repo.manifest('[[scenario]]\nname = "a"\nrun = "true"\n')
    res = repo.smoke("run", "--all", env={"SMOKE_CONNECT_TIMEOUT": "abc"})
    assert res.returncode == 2
    assert res.stderr == (
        "smoke run: error: SMOKE_CONNECT_TIMEOUT='abc' is not a number of seconds greater than 0 (e.g. SMOKE_CONNECT_TIMEOUT=5)\n"
    )
    res = repo.smoke("run", "--all", "--junit", "/proc/nope/report.xml")
    assert res.returncode == 2
    assert res.stderr.startswith("smoke run: error: --junit /proc/nope/report.xml: cannot create its folder")
    assert res.stdout == ""  # refused before anything ran


def test_scenarios_do_not_inherit_git_hook_variables(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "clean_git_env"
        run = "env | grep '^GIT_\\\\(DIR\\\\|INDEX_FILE\\\\|WORK_TREE\\\\)=' || echo none"
        [scenario.expect]
        stdout_equals = "none"
    """)
    hook_env = {"GIT_DIR": str(repo.path / ".git"), "GIT_INDEX_FILE": str(repo.path / ".git/index"), "GIT_WORK_TREE": str(repo.path)}
    res = repo.smoke("run", "--all", env=hook_env)
    assert res.returncode == 0, res.stdout


def test_output_the_terminal_cannot_encode_never_cuts_a_run_short(repo: Repo) -> None:
    # Found in review: on an ASCII locale a scenario's UTF-8 made the report
    # raise in a worker, and the scenarios after it silently never ran.
    repo.manifest("""
        [[scenario]]
        name = "a_unicode"
        run = "echo 'gr\u00fc\u00dfe'; exit 1"
        owners = ["t1"]

        [[scenario]]
        name = "b_fail"
        run = "exit 1"
        owners = ["t1"]
    """)
    res = repo.smoke("gate", "--task", "t1", "-j", "1", env={"PYTHONIOENCODING": "ascii"})
    assert res.returncode == 1
    assert "2 scenario(s) broken" in res.stdout
    assert "| gr\\xfc\\xdfe" in res.stdout


def test_a_huge_line_is_cut_in_the_report_but_kept_in_the_log(repo: Repo) -> None:
    repo.manifest("""
        [[scenario]]
        name = "big"
        run = "printf '%300000s' '' | tr ' ' x; echo; exit 1"
    """)
    res = repo.smoke("run", "big", "--json")
    (r,) = _json(res)["results"]
    assert len(res.stdout) < 20000
    assert "... [298000 more characters]" in res.stderr
    assert (repo.path / r["log"]).stat().st_size == 300001


def test_a_manifest_from_another_repository_is_refused(repo: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other"
    other.mkdir()
    repo.git("init", "-q", str(other))
    (other / "m.toml").write_text('[[scenario]]\nname = "a"\nrun = "true"\npaths = ["src/**"]\n')
    res = repo.smoke("gate", "--stage", "pre-commit", env={"SMOKE_MANIFEST": str(other / "m.toml")})
    assert res.returncode == 2
    assert f"belongs to the repository at {other}, not to this one ({repo.path})" in res.stderr


def test_help_is_readable_whatever_the_terminal_reports(repo: Repo) -> None:
    for columns in ("0", "-5", "junk"):
        res = repo.smoke("run", "--help", env={"COLUMNS": columns})
        assert res.returncode == 0
        assert res.stdout.splitlines()[0].startswith("usage: smoke run [-h] [--manifest PATH]"), columns


def test_a_missing_script_is_named_whatever_the_manifest_path_holds(repo: Repo) -> None:
    # The reason is the problem's own text, not its rendered line cut at the first ": ".
    repo.write("odd: place/manifest.toml", '[[scenario]]\nname = "gone"\nscript = "scenarios/gone.sh"\n')
    res = repo.smoke("run", "--all", "--json", "--manifest", "odd: place/manifest.toml")
    assert res.returncode == 1, res.stderr
    [result] = json.loads(res.stdout)["results"]
    assert result["status"] == "error"
    assert result["reason"].startswith("scenario 'gone' key 'script': scenarios/gone.sh does not exist (looked for "), result
