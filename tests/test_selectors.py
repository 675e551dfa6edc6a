"""Selectors that match nothing are mistakes (exit 2 with the close names),
`smoke list` takes every selector `smoke run` takes, and a blocking skip is named."""
from __future__ import annotations

import json
import re

from helpers import Repo

MANIFEST = """\
[[scenario]]
name = "login_works"
run = "echo login ok"
tags = ["auth", "fast"]
[scenario.expect]
stdout_contains = ["login ok"]

[[scenario]]
name = "logout_works"
run = "echo logout ok"
tags = ["auth"]
[scenario.expect]
stdout_contains = ["logout ok"]

[[scenario]]
name = "billing_totals"
run = "echo total=3"
[scenario.expect]
stdout_contains = ["total=3"]

[[scenario]]
name = "endpoint_down"
run = "echo 'lambda01 unreachable' >&2; exit 77"
tags = ["live"]
"""


def test_an_unknown_name_is_exit_2_with_the_close_names(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    for command in ("run", "list"):
        r = repo.smoke(command, "login_work")
        assert r.returncode == 2
        assert r.stderr == (
            f"smoke {command}: error: no scenario named 'login_work' (did you mean 'login_works' or 'logout_works'?)\n"
        )
        assert r.stdout == ""
    r = repo.smoke("run", "zzz")
    assert r.returncode == 2
    assert r.stderr == "smoke run: error: no scenario named 'zzz' ('smoke list' shows the 4 scenario(s))\n"
    assert "known keys" not in r.stderr


def test_a_tag_no_scenario_has_is_exit_2(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    for args in (("run", "--tag", "atuh"), ("list", "--tag", "atuh"), ("run", "--all", "--tag", "atuh")):
        r = repo.smoke(*args)
        assert r.returncode == 2, args
        assert r.stderr.endswith("error: no scenario has the tag 'atuh' (did you mean 'auth'?)\n")
    r = repo.smoke("run", "--tag", "nightly")
    assert r.returncode == 2
    assert r.stderr == "smoke run: error: no scenario has the tag 'nightly' (tags in use: auth, fast, live)\n"
    assert repo.smoke("run", "--tag", "auth").returncode == 0


def test_list_takes_every_selector_run_takes(repo: Repo) -> None:
    def options(command: str) -> set[str]:
        r = repo.smoke(command, "--help", env={"COLUMNS": "200"})
        assert r.returncode == 0
        return set(re.findall(r"(?m)^\s+(?:-\w, )?(--[\w-]+)", r.stdout))

    running_only = {"--jobs", "--junit", "--fail-on-skip", "--keep-scratch", "--no-reuse"}
    run, listed = options("run"), options("list")
    assert {"--all", "--task", "--changed", "--staged", "--from-ref", "--to-ref", "--tag", "--shard"} <= run
    assert run - running_only <= listed, run - running_only - listed


def test_list_shard_shows_what_that_shard_of_run_runs(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    def listed(k: int) -> list[str]:
        r = repo.smoke("list", "--all", "--shard", f"{k}/3", "--json")
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)["scenarios"]
        assert all(f"shard: {k}/3" in row["reasons"] for row in rows)
        return sorted(row["name"] for row in rows)

    # The shards split the selection, each scenario in exactly one.
    parts = [listed(k) for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(["login_works", "logout_works", "billing_totals", "endpoint_down"])
    # And each is what `smoke run --shard` runs, with the same history (before and after a run).
    for k in (1, 2, 3):
        expected = listed(k)
        ran = repo.smoke("run", "--all", "--shard", f"{k}/3", "--json")
        assert sorted(x["name"] for x in json.loads(ran.stdout)["results"]) == expected
    r = repo.smoke("list", "--tag", "auth", "--shard", "1/1")
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1] == "2 of 4 scenario(s) selected"
    r = repo.smoke("list", "--shard", "4/3")
    assert r.returncode == 2 and "--shard '4/3' is not K/N" in r.stderr


def test_fail_on_skip_names_the_skip_that_blocked_and_why_it_blocks(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    r = repo.smoke("run", "--all", "--fail-on-skip")
    assert r.returncode == 1
    assert (
        "smoke: 1 skipped scenario(s) block because of --fail-on-skip: endpoint_down (lambda01 unreachable)\n"
        in r.stdout
    )
    repo.manifest("[settings]\nfail_on_skip = true\n\n" + MANIFEST)
    r = repo.smoke("gate", "--all")
    assert r.returncode == 1
    assert (
        "smoke: 1 skipped scenario(s) block because of fail_on_skip = true in tests/smoke/manifest.toml [settings]:"
        " endpoint_down (lambda01 unreachable)\n" in r.stdout
    )
    # Without it the skip is loud but does not block, and no such line appears.
    repo.manifest(MANIFEST)
    r = repo.smoke("run", "--all")
    assert r.returncode == 0 and "block because" not in r.stdout


def test_an_empty_selection_still_writes_the_junit_report_ci_collects(repo: Repo) -> None:
    import xml.etree.ElementTree as ET

    repo.manifest(MANIFEST)
    repo.commit("scenarios")
    r = repo.smoke("run", "--from-ref", "HEAD", "--to-ref", "HEAD", "--junit", "reports/smoke.xml")
    assert r.returncode == 0
    assert "nothing to run" in r.stdout
    suite = ET.parse(repo.path / "reports/smoke.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "0" and not list(suite.iter("testcase"))
