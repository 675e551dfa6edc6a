"""Grow-only: the pure comparison, then `smoke check --grow-only` against real git history."""
from __future__ import annotations

import json
import tomllib

import pytest
from helpers import Repo

from smoke.growonly import compare


def _doc(text: str) -> dict:
    return tomllib.loads(text)


BASE = """
[[scenario]]
name = "reads"
script = "scenarios/reads.sh"
owners = ["t1", "t2"]
paths = ["src/**", "lib/**"]
[scenario.expect]
exit_code = 0
stdout_contains = ["priority=10", "role=coordinator"]
stdout_not_contains = ["Traceback"]
stdout_matches = ['id=\\d+']
stdout_equals = "whole\\n"
lines_in_order = ["connect", "done"]
json = [{ path = "$.a", equals = 1 }]
files = [{ path = "$SMOKE_SCRATCH/out", contains = ["ok"] }]

[[scenario]]
name = "inline"
run = "echo hi"
owners = ["t3"]
[scenario.expect]
stdout_contains = ["hi"]
"""


def _messages(base: str, current: str | None, base_files=frozenset(), now_files=frozenset()) -> list[str]:
    return [str(v) for v in compare(_doc(base), _doc(current) if current is not None else None, base_files, now_files)]


# ---------------------------------------------------------------- pure


def test_identical_and_grown_manifests_pass() -> None:
    assert _messages(BASE, BASE) == []
    grown = BASE.replace('owners = ["t3"]', 'owners = ["t3", "t4"]\npaths = ["x/**"]') + """
[[scenario]]
name = "new_one"
run = "true"
[scenario.expect]
stdout_contains = ["more"]
"""
    grown = grown.replace('stdout_contains = ["hi"]', 'stdout_contains = ["hi", "there"]\nstderr_contains = ["x"]')
    assert _messages(BASE, grown) == []


def test_no_base_manifest_is_fine() -> None:
    assert compare(None, _doc(BASE)) == []
    assert compare(None, None) == []


def test_deleted_manifest() -> None:
    assert _messages(BASE, None) == ["the manifest was deleted (restore it; the smoke suite only grows)"]


def test_removed_scenario() -> None:
    current = BASE[: BASE.index('[[scenario]]\nname = "inline"')]
    assert _messages(BASE, current) == ["scenario 'inline': was removed (put it back; a scenario is permanent once added)"]


def test_renamed_scenario_is_named_as_a_rename() -> None:
    current = BASE.replace('name = "inline"', 'name = "inline_renamed"')
    assert _messages(BASE, current) == [
        "scenario 'inline': was removed (renamed to 'inline_renamed'? a rename removes the old name:"
        " keep 'inline' and add the new one beside it)"
    ]
    by_script = BASE.replace('name = "reads"', 'name = "reads2"')
    assert "renamed to 'reads2'?" in _messages(BASE, by_script)[0]


def test_removed_owner_and_path() -> None:
    current = BASE.replace('owners = ["t1", "t2"]', 'owners = ["t1"]').replace('paths = ["src/**", "lib/**"]', 'paths = ["src/**"]')
    assert _messages(BASE, current) == [
        "scenario 'reads' key 'owners': owner 't2' was removed (put it back; add owners, never remove them)",
        "scenario 'reads' key 'paths': path 'lib/**' was removed (put it back; widen it with another path instead)",
    ]


@pytest.mark.parametrize(("old", "new", "key", "what"), [
    ('stdout_contains = ["priority=10", "role=coordinator"]', 'stdout_contains = ["priority=10"]',
     "expect.stdout_contains", "assertion 'role=coordinator'"),
    ('stdout_contains = ["priority=10", "role=coordinator"]', 'stdout_contains = ["priority=10", "role=worker"]',
     "expect.stdout_contains", "assertion 'role=coordinator'"),
    ('stdout_not_contains = ["Traceback"]\n', "", "expect.stdout_not_contains", "assertion 'Traceback'"),
    ("stdout_matches = ['id=\\d+']", "stdout_matches = ['id=.*']", "expect.stdout_matches", "assertion 'id=\\\\d+'"),
    ('lines_in_order = ["connect", "done"]', 'lines_in_order = ["done"]', "expect.lines_in_order", "assertion 'connect'"),
    ('json = [{ path = "$.a", equals = 1 }]', 'json = [{ path = "$.a", equals = 2 }]',
     "expect.json", 'check { path = "$.a", equals = 1 }'),
    ('files = [{ path = "$SMOKE_SCRATCH/out", contains = ["ok"] }]\n', "",
     "expect.files", 'check { path = "$SMOKE_SCRATCH/out", contains = ["ok"] }'),
])
def test_removed_or_changed_assertion(old: str, new: str, key: str, what: str) -> None:
    assert old in BASE
    assert _messages(BASE, BASE.replace(old, new)) == [
        f"scenario 'reads' key '{key}': {what} was removed or changed ("
        + ("restore it; add new checks beside it)" if what.startswith("check") else "restore it; add new assertions beside it)")
    ]


def test_changed_stdout_equals() -> None:
    current = BASE.replace('stdout_equals = "whole\\n"', 'stdout_equals = "other\\n"')
    assert _messages(BASE, current) == [
        "scenario 'reads' key 'expect.stdout_equals': the expected output was removed or changed (restore it)"
    ]


def test_dropping_the_whole_expect_table_names_every_assertion() -> None:
    current = BASE.replace('[scenario.expect]\nstdout_contains = ["hi"]\n', "")
    assert _messages(BASE, current) == [
        "scenario 'inline' key 'expect.stdout_contains': assertion 'hi' was removed or changed"
        " (restore it; add new assertions beside it)"
    ]


def test_changed_exit_code() -> None:
    assert _messages(BASE, BASE.replace("exit_code = 0", "exit_code = [0, 1]")) == [
        "scenario 'reads' key 'expect.exit_code': changed from 0 to [0, 1] (restore 0)"
    ]
    # The default is 0: writing it out, or dropping it, changes nothing.
    assert _messages(BASE, BASE.replace("exit_code = 0\n", "")) == []
    assert _messages(BASE, BASE.replace("exit_code = 0", "exit_code = [0]")) == []


def test_string_and_list_forms_are_the_same_assertion() -> None:
    current = BASE.replace('stdout_not_contains = ["Traceback"]', 'stdout_not_contains = "Traceback"')
    assert _messages(BASE, current) == []


def test_edited_script_content_is_allowed_but_a_deleted_script_is_not() -> None:
    files = frozenset({"scenarios/reads.sh", "scenarios/helpers.sh"})
    assert _messages(BASE, BASE, files, files) == []
    assert _messages(BASE, BASE, files, frozenset({"scenarios/helpers.sh"})) == [
        "script scenarios/reads.sh was deleted (scenario 'reads' runs it) (restore it; edit a script, never delete it)"
    ]
    assert _messages(BASE, BASE, files, frozenset({"scenarios/reads.sh"})) == [
        "script scenarios/helpers.sh was deleted (restore it; edit a script, never delete it)"
    ]


def test_switching_script_to_run_is_allowed() -> None:
    current = BASE.replace('script = "scenarios/reads.sh"', 'run = "bash other.sh"')
    assert _messages(BASE, current) == []


# ---------------------------------------------------------------- through git

MANIFEST = """\
[[scenario]]
name = "reads"
script = "scenarios/reads.sh"
owners = ["t1"]
paths = ["src/**"]
[scenario.expect]
stdout_contains = ["priority=10"]

[[scenario]]
name = "inline"
run = "echo hi"
owners = ["t2"]
[scenario.expect]
exit_code = 0
stdout_contains = ["hi"]
"""


@pytest.fixture
def committed(repo: Repo) -> Repo:
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/reads.sh", "echo priority=10\n")
    repo.write("tests/smoke/scenarios/helpers.sh", "say() { echo \"$@\"; }\n")
    assert repo.commit("add smoke").returncode == 0
    return repo


def _grow(repo: Repo, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return repo.smoke("check", "--grow-only", *args, env=env)


def _edit(repo: Repo, old: str, new: str) -> None:
    text = repo.read("tests/smoke/manifest.toml")
    assert old in text
    (repo.path / "tests/smoke/manifest.toml").write_text(text.replace(old, new))


def test_unchanged_and_grown_pass(committed: Repo) -> None:
    res = _grow(committed)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke check --grow-only: tests/smoke/manifest.toml: nothing removed or weakened since HEAD" in res.stdout
    _edit(committed, 'owners = ["t2"]', 'owners = ["t2", "t3"]')
    assert _grow(committed).returncode == 0


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('[[scenario]]\nname = "inline"\nrun = "echo hi"\nowners = ["t2"]\n[scenario.expect]\nexit_code = 0\nstdout_contains = ["hi"]\n', "",
     "tests/smoke/manifest.toml: scenario 'inline' (line 9 at HEAD): was removed (put it back; a scenario is permanent once added)"),
    ('name = "inline"', 'name = "inline2"',
     "tests/smoke/manifest.toml: scenario 'inline' (line 9 at HEAD): was removed (renamed to 'inline2'? a rename removes"
     " the old name: keep 'inline' and add the new one beside it)"),
    ('owners = ["t1"]', "owners = []",
     "tests/smoke/manifest.toml:4: scenario 'reads' key 'owners': owner 't1' was removed (put it back; add owners, never remove them)"),
    ('paths = ["src/**"]\n', "",
     "tests/smoke/manifest.toml:1: scenario 'reads' key 'paths': path 'src/**' was removed (put it back; widen it with another path instead)"),
    ('stdout_contains = ["hi"]', 'stdout_contains = ["h"]',
     "tests/smoke/manifest.toml:15: scenario 'inline' key 'expect.stdout_contains': assertion 'hi' was removed or changed"
     " (restore it; add new assertions beside it)"),
    ("exit_code = 0", "exit_code = 1",
     "tests/smoke/manifest.toml:14: scenario 'inline' key 'expect.exit_code': changed from 0 to 1 (restore 0)"),
])
def test_each_violation_is_refused_and_named(committed: Repo, old: str, new: str, expected: str) -> None:
    _edit(committed, old, new)
    res = _grow(committed)
    assert res.returncode == 1, res.stdout + res.stderr
    assert expected in res.stdout.splitlines()
    assert res.stdout.splitlines()[-1] == (
        "smoke check --grow-only refused: 1 removal(s) or weakening(s) since HEAD (restore them; the smoke suite"
        " only grows. A human may override with SMOKE_ALLOW_SHRINK=1, audited)"
    )


def test_deleted_script_is_refused(committed: Repo) -> None:
    (committed.path / "tests/smoke/scenarios/helpers.sh").unlink()
    res = _grow(committed)
    assert res.returncode == 1, res.stdout + res.stderr
    assert ("tests/smoke/manifest.toml: script scenarios/helpers.sh was deleted (restore it; edit a script,"
            " never delete it)") in res.stdout
    # Editing a script is fine.
    committed.write("tests/smoke/scenarios/helpers.sh", "say() { printf '%s\\n' \"$*\"; }\n")
    committed.write("tests/smoke/scenarios/reads.sh", "echo priority=10 # better\n")
    assert _grow(committed).returncode == 0


def test_deleted_manifest_is_refused(committed: Repo) -> None:
    (committed.path / "tests/smoke/manifest.toml").unlink()
    res = _grow(committed)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "tests/smoke/manifest.toml: the manifest was deleted (restore it; the smoke suite only grows)" in res.stdout


def test_manifest_absent_at_base_is_fine(repo: Repo) -> None:
    repo.manifest(MANIFEST.replace('script = "scenarios/reads.sh"', 'run = "echo priority=10"'))
    res = _grow(repo)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke check --grow-only: tests/smoke/manifest.toml is new since HEAD; nothing to compare" in res.stdout


def test_no_manifest_anywhere_is_nothing_to_guard(repo: Repo) -> None:
    res = _grow(repo)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == "smoke check --grow-only: no manifest at HEAD or now; nothing to compare\n"


def test_staged_compares_the_index_not_the_work_tree(committed: Repo) -> None:
    _edit(committed, 'owners = ["t1"]', "owners = []")
    # Unstaged: the commit would not shrink anything.
    assert _grow(committed, "--staged").returncode == 0
    committed.git("add", "tests/smoke/manifest.toml")
    res = _grow(committed, "--staged")
    assert res.returncode == 1
    assert "owner 't1' was removed" in res.stdout
    # Restored in the work tree but still staged: the index is what gets committed.
    (committed.path / "tests/smoke/manifest.toml").write_text(MANIFEST)
    assert _grow(committed).returncode == 0
    assert _grow(committed, "--staged").returncode == 1


def test_staged_script_deletion(committed: Repo) -> None:
    (committed.path / "tests/smoke/scenarios/reads.sh").unlink()
    # Only deleted in the work tree: not part of the commit yet.
    res = _grow(committed, "--staged")
    assert res.returncode == 0, res.stdout
    committed.git("rm", "-q", "--cached", "tests/smoke/scenarios/reads.sh")
    res = _grow(committed, "--staged")
    assert res.returncode == 1
    assert "script scenarios/reads.sh was deleted (scenario 'reads' runs it)" in res.stdout


def test_base_ref(committed: Repo) -> None:
    committed.git("branch", "base")
    _edit(committed, 'owners = ["t1"]', "owners = []")
    assert committed.commit("drop owner").returncode == 0
    assert _grow(committed).returncode == 0  # nothing changed since HEAD
    res = _grow(committed, "--base", "base")
    assert res.returncode == 1
    assert "owner 't1' was removed" in res.stdout
    assert "since base" in res.stdout
    res = _grow(committed, "--base", "no-such-ref")
    assert res.returncode == 2
    assert res.stderr == (
        "smoke check: error: unknown git ref 'no-such-ref' (use a branch, tag or commit that exists here (fetch it first?))\n"
    )


def test_human_override_is_loud_and_audited(committed: Repo) -> None:
    _edit(committed, 'owners = ["t1"]', "owners = []")
    res = _grow(committed, env={"SMOKE_ALLOW_SHRINK": "1"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "owner 't1' was removed" in res.stdout
    assert "!!! SMOKE_ALLOW_SHRINK=1: 1 removal(s) or weakening(s) of the smoke suite ALLOWED." in res.stderr
    log = (committed.path / ".git/smoke/audit.log").read_text().splitlines()
    assert len(log) == 1
    entry = json.loads(log[0])
    assert entry["action"] == "allow-shrink"
    assert "owner 't1' was removed" in entry["reason"]


@pytest.mark.parametrize("agent_env", [{"WG_AGENT_ID": "agent-7"}, {"MY_BOT": "1"}])
def test_agent_cannot_override(committed: Repo, agent_env: dict[str, str]) -> None:
    # An agent_env name from the base's settings counts even after the edit drops it.
    text = '[settings]\nagent_env = ["MY_BOT"]\n\n' + MANIFEST
    committed.manifest(text)
    assert committed.commit("settings").returncode == 0
    committed.manifest(MANIFEST.replace('owners = ["t1"]', "owners = []"))
    res = _grow(committed, env={"SMOKE_ALLOW_SHRINK": "1", **agent_env})
    assert res.returncode == 1, res.stdout + res.stderr
    name = next(iter(agent_env))
    assert res.stdout.splitlines()[-1] == (
        f"smoke check --grow-only refused: SMOKE_ALLOW_SHRINK is not honoured for agents ({name} is set)."
        " Restore what was removed; only a human may shrink the smoke suite."
    )
    assert not (committed.path / ".git/smoke/audit.log").exists()


def test_unparsable_current_manifest_blocks(committed: Repo) -> None:
    _edit(committed, 'name = "inline"', 'name = "inline')
    res = _grow(committed)
    assert res.returncode == 2
    assert res.stdout == (
        "tests/smoke/manifest.toml:10:15: TOML syntax error: Illegal character '\\n'"
        " (nothing can be compared until it parses)\n"
    )


def test_real_pre_commit_hook_refuses_commit_all(committed: Repo) -> None:
    # `git commit -a` and `git commit PATH` check a temporary index (GIT_INDEX_FILE): that is what gets committed.
    hook = committed.path / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\nexec smoke check --grow-only --staged\n")
    hook.chmod(0o755)
    _edit(committed, 'owners = ["t1"]', "owners = []")
    head = committed.head()
    for args in (["-a"], ["--", "tests/smoke/manifest.toml"]):
        res = committed.git("commit", "-q", "-m", "shrink", *args, check=False)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "owner 't1' was removed" in res.stdout + res.stderr
    assert committed.head() == head


# ---------------------------------------------------------------- leniency: requires, retries, fail_on_skip


def test_a_requirement_added_to_an_existing_scenario_is_refused() -> None:
    current = BASE.replace('owners = ["t3"]', 'owners = ["t3"]\nrequires = ["cmd:never-installed"]')
    assert _messages(BASE, current) == [
        "scenario 'inline' key 'requires': requirement 'cmd:never-installed' was added"
        " (unmet, it turns the scenario into a SKIP; put it on a new scenario instead)"
    ]


def test_a_changed_requirement_names_the_new_one_and_dropping_one_is_fine() -> None:
    base = BASE.replace('owners = ["t3"]', 'owners = ["t3"]\nrequires = ["cmd:wg", "cmd:git"]')
    changed = base.replace('"cmd:wg", "cmd:git"', '"cmd:wg", "https://gone.example:1"')
    assert _messages(base, changed) == [
        "scenario 'inline' key 'requires': requirement 'https://gone.example:1' was added"
        " (unmet, it turns the scenario into a SKIP; put it on a new scenario instead)"
    ]
    # Fewer preconditions: the scenario runs in more places, which is stricter.
    assert _messages(base, base.replace('"cmd:wg", "cmd:git"', '"cmd:wg"')) == []
    assert _messages(base, base.replace('requires = ["cmd:wg", "cmd:git"]\n', "")) == []


def test_a_new_scenario_may_have_requirements() -> None:
    grown = BASE + """
[[scenario]]
name = "live_endpoint"
run = "curl -s https://api.example:443/health"
requires = ["https://api.example:443"]
[scenario.expect]
stdout_contains = ["ok"]
"""
    assert _messages(BASE, grown) == []


def test_raised_retries_are_refused_and_fewer_are_fine() -> None:
    assert _messages(BASE, BASE.replace('owners = ["t3"]', 'owners = ["t3"]\nretries = 2')) == [
        "scenario 'inline' key 'retries': raised from 0 to 2 (a retry lets a flaky failure pass; restore 0)"
    ]
    base = BASE.replace('owners = ["t3"]', 'owners = ["t3"]\nretries = 1')
    assert _messages(base, base.replace("retries = 1", "retries = 3")) == [
        "scenario 'inline' key 'retries': raised from 1 to 3 (a retry lets a flaky failure pass; restore 1)"
    ]
    assert _messages(base, base.replace("retries = 1", "retries = 0")) == []
    assert _messages(base, base.replace("retries = 1\n", "")) == []


def test_a_lower_timeout_and_an_edited_command_are_fine() -> None:
    base = BASE.replace('owners = ["t3"]', 'owners = ["t3"]\ntimeout_seconds = 60')
    stricter = base.replace("timeout_seconds = 60", "timeout_seconds = 5").replace('run = "echo hi"', 'run = "echo hi; true"')
    assert _messages(base, stricter) == []


@pytest.mark.parametrize("now", ["fail_on_skip = false\n", "", "jobs = 2\n"])
def test_fail_on_skip_going_from_true_to_false_is_refused(now: str) -> None:
    base = "[settings]\nfail_on_skip = true\n" + BASE
    assert _messages(base, f"[settings]\n{now}" + BASE) == [
        "key 'settings.fail_on_skip': changed from true to false (a SKIP would no longer block; restore true)"
    ]
    assert _messages(base, BASE) == [
        "key 'settings.fail_on_skip': changed from true to false (a SKIP would no longer block; restore true)"
    ]


def test_fail_on_skip_turned_on_is_fine() -> None:
    assert _messages(BASE, "[settings]\nfail_on_skip = true\n" + BASE) == []
    assert _messages("[settings]\nfail_on_skip = false\n" + BASE, "[settings]\nfail_on_skip = true\n" + BASE) == []


def test_leniency_is_refused_through_git_with_lines(committed: Repo) -> None:
    committed.manifest("[settings]\nfail_on_skip = true\n\n" + MANIFEST)
    assert committed.commit("fail on skip").returncode == 0
    committed.manifest("[settings]\nfail_on_skip = false\n\n" + MANIFEST.replace(
        'owners = ["t2"]', 'owners = ["t2"]\nrequires = ["cmd:not-here"]\nretries = 1'))
    res = _grow(committed)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.splitlines()[:-1] == [
        "tests/smoke/manifest.toml:16: scenario 'inline' key 'requires': requirement 'cmd:not-here' was added"
        " (unmet, it turns the scenario into a SKIP; put it on a new scenario instead)",
        "tests/smoke/manifest.toml:17: scenario 'inline' key 'retries': raised from 0 to 1"
        " (a retry lets a flaky failure pass; restore 0)",
        "tests/smoke/manifest.toml:2: key 'settings.fail_on_skip': changed from true to false"
        " (a SKIP would no longer block; restore true)",
    ]
    assert "3 removal(s) or weakening(s) since HEAD" in res.stdout.splitlines()[-1]


# ---------------------------------------------------------------- agent_env, build, negated paths


@pytest.mark.parametrize("now", ['agent_env = ["WG_AGENT_ID"]\n', "", 'agent_env = ["MY_BOT"]\n'])
def test_an_agent_variable_removed_from_agent_env_is_refused(now: str) -> None:
    base = '[settings]\nagent_env = ["WG_AGENT_ID", "MY_BOT", "OTHER_BOT"]\n' + BASE
    found = _messages(base, f"[settings]\n{now}" + BASE)
    removed = [v for v in ("MY_BOT", "OTHER_BOT") if v not in now]
    assert found == [
        f"key 'settings.agent_env': agent variable '{v}' was removed (an agent that sets it would pass as a person;"
        " put it back)"
        for v in removed
    ]


def test_agent_env_may_grow_and_may_drop_wg_agent_id_which_always_counts() -> None:
    base = '[settings]\nagent_env = ["WG_AGENT_ID", "MY_BOT"]\n' + BASE
    assert _messages(base, base.replace('"MY_BOT"]', '"MY_BOT", "NEW_BOT"]')) == []
    assert _messages(base, base.replace('"WG_AGENT_ID", ', "")) == []
    assert _messages(BASE, '[settings]\nagent_env = ["MY_BOT"]\n' + BASE) == []


def test_the_build_step_removed_or_changed_is_refused_and_added_is_fine() -> None:
    base = "[settings]\nbuild = \"make install\"\n" + BASE
    assert _messages(base, BASE) == [
        "key 'settings.build': was removed (scenarios would test whatever is installed, not this code; restore it)"
    ]
    assert _messages(base, base.replace("make install", "true")) == [
        "key 'settings.build': changed from \"make install\" to \"true\" (scenarios may no longer test this code; restore it)"
    ]
    assert _messages(base, base) == []
    assert _messages(BASE, base) == []


def test_a_negation_added_to_an_existing_scenarios_paths_is_refused() -> None:
    current = BASE.replace('paths = ["src/**", "lib/**"]', 'paths = ["src/**", "lib/**", "!src/login/**"]')
    assert _messages(BASE, current) == [
        "scenario 'reads' key 'paths': negation '!src/login/**' was added (it unselects the scenario for those files;"
        " remove it, and guard them with a new scenario if they need another one)"
    ]
    # One that was already there, and one on a new scenario, weaken nothing.
    assert _messages(current, current) == []
    grown = BASE + '\n[[scenario]]\nname = "new_one"\nrun = "true"\npaths = ["src/**", "!src/gen/**"]\n'
    assert _messages(BASE, grown) == []


def test_agent_env_build_and_negation_are_refused_through_git_with_lines(committed: Repo) -> None:
    settings = '[settings]\nagent_env = ["MY_BOT"]\nbuild = "true"\n\n'
    committed.manifest(settings + MANIFEST)
    assert committed.commit("settings").returncode == 0
    committed.manifest("[settings]\n\n" + MANIFEST.replace('paths = ["src/**"]', 'paths = ["src/**", "!src/**"]'))
    res = _grow(committed)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.splitlines()[:-1] == [
        "tests/smoke/manifest.toml:7: scenario 'reads' key 'paths': negation '!src/**' was added"
        " (it unselects the scenario for those files; remove it, and guard them with a new scenario if they need another one)",
        "tests/smoke/manifest.toml:1: key 'settings.agent_env': agent variable 'MY_BOT' was removed"
        " (an agent that sets it would pass as a person; put it back)",
        "tests/smoke/manifest.toml:1: key 'settings.build': was removed"
        " (scenarios would test whatever is installed, not this code; restore it)",
    ]
    assert "3 removal(s) or weakening(s) since HEAD" in res.stdout.splitlines()[-1]


# ---------------------------------------------------------------- wg done: smoke gate --stage done


def _done(repo: Repo, task: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return repo.smoke("gate", "--task", task, "--stage", "done", env=env)


def test_done_refuses_a_task_dropped_from_owners_in_the_work_tree(committed: Repo) -> None:
    _edit(committed, 'owners = ["t1"]', "owners = []")
    res = _done(committed, "t1")
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        "tests/smoke/manifest.toml:4: scenario 'reads' key 'owners': owner 't1' was removed"
        " (put it back; add owners, never remove them)",
        "smoke check --grow-only refused: 1 removal(s) or weakening(s) since HEAD (restore them; the smoke suite"
        " only grows. A human may override with SMOKE_ALLOW_SHRINK=1, audited)",
    ]
    assert "no scenario protects" not in res.stdout + res.stderr


def test_done_refuses_a_deleted_script_even_with_the_manifest_unchanged(committed: Repo) -> None:
    (committed.path / "tests/smoke/scenarios/helpers.sh").unlink()
    res = _done(committed, "t2")
    assert res.returncode == 1, res.stdout + res.stderr
    assert ("tests/smoke/manifest.toml: script scenarios/helpers.sh was deleted (restore it; edit a script,"
            " never delete it)") in res.stdout.splitlines()


def test_done_with_a_grown_manifest_runs_the_gate(committed: Repo) -> None:
    _edit(committed, 'owners = ["t2"]', 'owners = ["t2", "t3"]')
    res = _done(committed, "t3")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke check --grow-only: tests/smoke/manifest.toml: nothing removed or weakened since HEAD\n" in res.stdout
    assert "smoke: 1 passed, 0 failed" in res.stdout


def test_done_shrink_a_human_overrides_is_audited_and_an_agent_may_not(committed: Repo) -> None:
    _edit(committed, 'owners = ["t1"]', "owners = []")
    res = _done(committed, "t1", env={"SMOKE_ALLOW_SHRINK": "1", "WG_AGENT_ID": "agent-7"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "SMOKE_ALLOW_SHRINK is not honoured for agents (WG_AGENT_ID is set)" in res.stdout
    assert not (committed.path / ".git/smoke/audit.log").exists()
    res = _done(committed, "t1", env={"SMOKE_ALLOW_SHRINK": "1"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "!!! SMOKE_ALLOW_SHRINK=1: 1 removal(s) or weakening(s) of the smoke suite ALLOWED." in res.stderr
    assert "smoke gate: no scenario protects task 't1'; nothing to run" in res.stdout
    (entry,) = [json.loads(line) for line in (committed.path / ".git/smoke/audit.log").read_text().splitlines()]
    assert (entry["action"], entry["task"], entry["stage"]) == ("allow-shrink", "t1", "done")


# ---------------------------------------------------------------- a push: the pushed commit against the remote's


def _shrink_commit(repo: Repo) -> tuple[str, str]:
    """Commit a removed owner; (the commit before, the shrinking commit)."""
    before = repo.head()
    _edit(repo, 'owners = ["t1"]', "owners = []")
    assert repo.commit("drop owner").returncode == 0
    return before, repo.head()


def _framework_push(local: str, src: str, dst: str) -> dict[str, str]:
    """The variables the pre-commit framework sets for a hook at a push of `local` (src..dst) to origin."""
    return {
        "PRE_COMMIT": "1", "PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_REMOTE_URL": "unused",
        "PRE_COMMIT_LOCAL_BRANCH": local, "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
        "PRE_COMMIT_FROM_REF": src, "PRE_COMMIT_TO_REF": dst,
    }


def test_pre_commit_range_compares_the_content_at_to_ref_not_the_work_tree(committed: Repo) -> None:
    before, shrunk = _shrink_commit(committed)
    committed.git("update-ref", "refs/remotes/origin/main", before)  # what the remote has
    # The work tree has the owner back, uncommitted: what is pushed still lacks it.
    (committed.path / "tests/smoke/manifest.toml").write_text(MANIFEST)
    pushed = _framework_push("refs/heads/main", before, shrunk)
    for args in ((), ("--staged",)):  # the smoke-grow-only hook passes --staged at every stage
        res = _grow(committed, *args, env=pushed)
        assert res.returncode == 1, res.stdout + res.stderr
        assert res.stdout.splitlines() == [
            f"smoke check --grow-only: refs/heads/main ({before[:12]}..{shrunk[:12]}):",
            "tests/smoke/manifest.toml:4: scenario 'reads' key 'owners': owner 't1' was removed"
            " (put it back; add owners, never remove them)",
            "smoke check --grow-only refused: 1 removal(s) or weakening(s) in the push (restore them; the smoke suite"
            " only grows. A human may override with SMOKE_ALLOW_SHRINK=1, audited)",
        ]
    # The other way round: a shrunk work tree does not block a push of a clean commit.
    _edit(committed, 'owners = ["t1"]', "owners = []")
    committed.git("branch", "clean", before)
    clean = _framework_push("refs/heads/clean", f"{before}^", before)
    res = _grow(committed, env=clean)
    assert res.returncode == 0, res.stdout + res.stderr
    # --base names the base outright: pre-commit's range is not used, the work tree is.
    assert _grow(committed, "--base", before, env=clean).returncode == 1


def test_pre_commit_push_of_a_new_history_is_compared_as_git_would_describe_it(committed: Repo) -> None:
    _shrink_commit(committed)
    env = _framework_push("refs/heads/main", "", "")
    res = _grow(committed, "--staged", env={k: v for k, v in env.items() if v})
    assert (res.returncode, res.stdout) == (
        0, "smoke check --grow-only: note: refs/heads/main is new on origin and no default branch of origin is known"
        " here to compare it with; not checked\n",
    )


def _lines(*refs: tuple[str, str, str, str]) -> str:
    return "".join(" ".join(r) + "\n" for r in refs)


def test_stage_pre_push_checks_every_ref_git_gives(committed: Repo) -> None:
    base = committed.head()
    committed.git("branch", "good")
    committed.git("checkout", "-q", "-b", "bad")
    _, shrunk = _shrink_commit(committed)
    zero = "0" * 40
    stdin = _lines(
        ("refs/heads/good", base, "refs/heads/good", base),
        ("(delete)", zero, "refs/heads/gone", base),
        ("refs/heads/bad", shrunk, "refs/heads/bad", base),
    )
    res = committed.smoke("check", "--grow-only", "--stage", "pre-push", input=stdin)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        f"smoke check --grow-only: tests/smoke/manifest.toml at refs/heads/good: nothing removed or weakened since {base[:12]}",
        f"smoke check --grow-only: refs/heads/bad ({base[:12]}..{shrunk[:12]}):",
        "tests/smoke/manifest.toml:4: scenario 'reads' key 'owners': owner 't1' was removed"
        " (put it back; add owners, never remove them)",
        "smoke check --grow-only refused: 1 removal(s) or weakening(s) in the push (restore them; the smoke suite"
        " only grows. A human may override with SMOKE_ALLOW_SHRINK=1, audited)",
    ]
    # A deletion alone pushes no manifest.
    res = committed.smoke("check", "--grow-only", "--stage", "pre-push", input=_lines(("(delete)", zero, "refs/heads/x", base)))
    assert (res.returncode, res.stdout) == (0, "smoke check --grow-only: no pushed commits to compare\n")


def test_stage_pre_push_new_branch_compares_with_the_fork_from_the_remote_default(committed: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bare = tmp_path / "remote.git"
    committed.git("init", "-q", "--bare", str(bare))
    committed.git("remote", "add", "up", str(bare))
    zero = "0" * 40
    fork = committed.head()
    committed.git("checkout", "-q", "-b", "feature")
    _, shrunk = _shrink_commit(committed)
    stdin = _lines(("refs/heads/feature", shrunk, "refs/heads/feature", zero))
    # Nothing of `up` is known here yet: no fork point, so the ref is skipped with a note.
    res = committed.smoke("check", "--grow-only", "--stage", "pre-push", "--remote", "up", input=stdin)
    assert (res.returncode, res.stdout) == (0, (
        "smoke check --grow-only: note: refs/heads/feature is new on up and no default branch of up is known here"
        " to compare it with; not checked\n"
    ))
    assert committed.git("push", "-q", "--no-verify", "up", "main", check=False).returncode == 0
    res = committed.smoke("check", "--grow-only", "--stage", "pre-push", "--remote", "up", input=stdin)
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"smoke check --grow-only: refs/heads/feature ({fork[:12]}..{shrunk[:12]}):" in res.stdout.splitlines()
    assert "owner 't1' was removed" in res.stdout


def test_stage_pre_push_deleted_script_and_manifest_at_the_pushed_commit(committed: Repo) -> None:
    base = committed.head()
    committed.git("rm", "-q", "tests/smoke/scenarios/reads.sh")
    assert committed.commit("drop script").returncode == 0
    dropped_script = committed.head()
    committed.git("rm", "-q", "tests/smoke/manifest.toml")
    assert committed.commit("drop manifest").returncode == 0
    # The work tree still has them: only what was pushed counts.
    committed.manifest(MANIFEST)
    committed.write("tests/smoke/scenarios/reads.sh", "echo priority=10\n")
    for tip, expected in (
        (dropped_script, "script scenarios/reads.sh was deleted (scenario 'reads' runs it)"),
        (committed.head(), "the manifest was deleted"),
    ):
        stdin = _lines(("refs/heads/main", tip, "refs/heads/main", base))
        res = committed.smoke("check", "--grow-only", "--stage", "pre-push", input=stdin)
        assert res.returncode == 1, res.stdout + res.stderr
        assert expected in res.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--stage", "pre-push"], "smoke check: error: --stage goes with --grow-only (smoke check --grow-only --stage ...)\n"),
    (["--grow-only", "--stage", "pre-push", "--base", "HEAD"],
     "smoke check: error: --stage pre-push does not go with --base (a push is compared with what the remote has)\n"),
    (["--grow-only", "--stage", "pre-push", "--staged"],
     "smoke check: error: --stage pre-push does not go with --staged (a push is compared with what the remote has)\n"),
    (["--grow-only", "--remote", "origin"],
     "smoke check: error: --remote goes with --stage pre-push (smoke check --grow-only --stage pre-push --remote NAME)\n"),
])
def test_push_flag_misuse_is_a_usage_error(committed: Repo, args: list[str], message: str) -> None:
    res = committed.smoke("check", *args)
    assert (res.returncode, res.stdout, res.stderr) == (2, "", message)


# ------------------------------------------------------------ settings that steer the gate (red-team review)


def test_a_changed_base_ref_or_task_branch_pattern_is_refused() -> None:
    base = '[settings]\nbase_ref = "main"\ntask_branch_pattern = "^wg/(?P<task>.+)$"\n' + BASE
    moved = base.replace('base_ref = "main"', 'base_ref = "feat"').replace("^wg/", "^nothing/")
    assert _messages(base, moved) == [
        "key 'settings.base_ref': changed from \"main\" to \"feat\" (the commits a task's gate looks at would change;"
        " restore it)",
        "key 'settings.task_branch_pattern': changed from \"^wg/(?P<task>.+)$\" to \"^nothing/(?P<task>.+)$\""
        " (which task a branch belongs to would change; restore it)",
    ]
    assert _messages(BASE, moved) == []  # set for the first time: nothing was promised


@pytest.mark.parametrize("was", ["block", "all"])
def test_unguarded_back_to_warn_is_refused(was: str) -> None:
    base = f'[settings]\nunguarded = "{was}"\n' + BASE
    expected = [
        f"key 'settings.unguarded': changed from \"{was}\" to \"warn\" (a change no scenario guards would pass; restore it)"
    ]
    assert _messages(base, '[settings]\nunguarded = "warn"\n' + BASE) == expected
    assert _messages(base, BASE) == expected
    assert _messages(base, '[settings]\nunguarded = "block"\n' + BASE) == []
