"""`smoke check`: every validation error and warning, as the user sees it."""
from __future__ import annotations

import pytest
from helpers import Repo

M = "tests/smoke/manifest.toml"
GOOD = """\
[[scenario]]
name = "ok"
run = "echo hi"
owners = ["t"]
[scenario.expect]
stdout_contains = ["hi"]
"""


def _check(repo: Repo, text: str, *args: str):  # type: ignore[no-untyped-def]
    repo.manifest(text)
    return repo.smoke("check", *args)


def test_clean_manifest(repo: Repo) -> None:
    res = _check(repo, GOOD)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == f"smoke check: {M}: 1 scenario(s) OK, 0 warning(s)\n"


def test_syntax_error_has_line_and_column(repo: Repo) -> None:
    res = _check(repo, GOOD.replace('run = "echo hi"', 'run = "echo hi'))
    assert res.returncode == 2
    assert res.stdout == (
        f"{M}:3:15: TOML syntax error: Illegal character '\\n'\n"
        f"smoke check: {M}: 1 error(s), 0 warning(s)\n"
    )


@pytest.mark.parametrize(("old", "new", "message"), [
    ('owners = ["t"]', 'owner = ["t"]', "4: scenario 'ok' key 'owner': unknown key (did you mean 'owners'?)"),
    ('stdout_contains = ["hi"]', 'stdout_contain = ["hi"]',
     "6: scenario 'ok' key 'expect.stdout_contain': unknown key (did you mean 'stdout_contains'?)"),
    ('owners = ["t"]', "owners = 5", "4: scenario 'ok' key 'owners': must be an array of strings"),
    ('owners = ["t"]', 'owners = ["t"]\ntimeout_seconds = "30"',
     "5: scenario 'ok' key 'timeout_seconds': must be a number of seconds, not a string"),
    ('owners = ["t"]', 'owners = ["t"]\ntimeout_seconds = 0',
     "5: scenario 'ok' key 'timeout_seconds': must be greater than 0 (got 0); a scenario always has a finite timeout"),
    ('owners = ["t"]', 'owners = ["t"]\ntimeout_seconds = -3',
     "5: scenario 'ok' key 'timeout_seconds': must be greater than 0 (got -3); a scenario always has a finite timeout"),
    ('stdout_contains = ["hi"]', 'stdout_contains = ["hi"]\nstderr_contains = []',
     "7: scenario 'ok' key 'expect.stderr_contains': is empty and asserts nothing; add text or remove the key"),
    ('stdout_contains = ["hi"]', 'stdout_contains = ["hi"]\njson = []',
     "7: scenario 'ok' key 'expect.json': is empty and asserts nothing; add a check or remove the key"),
    ('stdout_contains = ["hi"]', "stdout_contains = [\"hi\"]\nstdout_matches = ['(']",
     "7: scenario 'ok' key 'expect.stdout_matches': regex '(' does not compile: missing ), unterminated subpattern at position 0"),
    ('owners = ["t"]', 'owners = ["t"]\npaths = ["src/[z-a]"]', "5: scenario 'ok' key 'paths': 'src/[z-a]': bad character range z-a"),
    ('owners = ["t"]', 'owners = ["t"]\npaths = ["src/\\\\"]', "5: scenario 'ok' key 'paths': 'src/\\\\': ends with a lone '\\'"),
    ('owners = ["t"]', 'owners = ["t"]\npaths = ["../elsewhere/**"]',
     "5: scenario 'ok' key 'paths': '../elsewhere/**': '..' never matches: paths are relative to the repository root, without '..'"),
    ('owners = ["t"]', 'owners = ["t"]\npaths = ["src/[a-cz-a]"]',
     "5: scenario 'ok' key 'paths': 'src/[a-cz-a]' does not compile as a gitignore-style glob: bad character range z-a"
     " (fix or escape it)"),
    ('owners = ["t"]', 'owners = ["t"]\nrequires = ["lambda01 port 80"]',
     "5: scenario 'ok' key 'requires': 'lambda01 port 80' is not a URL (https://host:port), host:port, or cmd:NAME"),
    ('run = "echo hi"', 'script = "../../../outside.sh"',
     "3: scenario 'ok' key 'script': '../../../outside.sh' leaves the repository ({root}); keep scripts inside it"),
    ('run = "echo hi"', 'script = "scenarios/gone.sh"',
     "3: scenario 'ok' key 'script': scenarios/gone.sh does not exist (looked for {root}/tests/smoke/scenarios/gone.sh)"),
])
def test_each_error_is_one_line_with_file_line_scenario_and_key(repo: Repo, old: str, new: str, message: str) -> None:
    assert old in GOOD
    res = _check(repo, GOOD.replace(old, new))
    assert res.returncode == 2, res.stdout + res.stderr
    expected = f"{M}:" + message.format(root=repo.path)
    assert res.stdout.splitlines() == [expected, f"smoke check: {M}: 1 error(s), 0 warning(s)"]
    assert res.stderr == ""


def test_duplicate_names(repo: Repo) -> None:
    res = _check(repo, GOOD + "\n" + GOOD)
    assert res.returncode == 2
    assert res.stdout.splitlines() == [
        f"{M}:9: scenario 'ok' key 'name': duplicate name (first defined on line 1); names must be unique",
        f"smoke check: {M}: 1 error(s), 0 warning(s)",
    ]


def test_every_problem_at_once_sorted_by_line(repo: Repo) -> None:
    text = GOOD.replace('run = "echo hi"', 'script = "scenarios/gone.sh"') + '\n[[scenario]]\nname = "b"\nrun = "x"\nownres = []\n'
    res = _check(repo, text)
    assert res.returncode == 2
    assert res.stdout.splitlines() == [
        f"{M}:3: scenario 'ok' key 'script': scenarios/gone.sh does not exist (looked for {repo.path}/{M.rsplit('/', 1)[0]}/scenarios/gone.sh)",
        f"{M}:11: scenario 'b' key 'ownres': unknown key (did you mean 'owners'?)",
        f"smoke check: {M}: 2 error(s), 0 warning(s)",
    ]


WORKGRAPH = """\
[[scenario]]
name = "wg_reads"
script = "scenarios/wg_reads.sh"
owners = ["wire-priority"]
description = "reads graph.jsonl"
timeout_seconds = 30
"""


def test_workgraph_manifest_warns_and_strict_refuses(repo: Repo) -> None:
    repo.write("tests/smoke/scenarios/wg_reads.sh", "echo ok\n")
    res = _check(repo, WORKGRAPH)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        f"{M}:1: scenario 'wg_reads' key 'expect': warning: declares no expected output, so only its exit code is"
        " checked (add stdout_contains, stdout_matches, lines_in_order, json or files under [scenario.expect];"
        " smoke check --strict refuses this)",
        f"smoke check: {M}: 1 scenario(s) OK, 1 warning(s)",
    ]
    res = repo.smoke("check", "--strict")
    assert res.returncode == 2
    assert res.stdout.splitlines() == [
        f"{M}:1: scenario 'wg_reads' key 'expect': declares no expected output, so only its exit code is"
        " checked (add stdout_contains, stdout_matches, lines_in_order, json or files under [scenario.expect])",
        f"smoke check: {M}: 1 error(s), 0 warning(s)",
    ]


def test_negative_assertions_alone_are_not_an_expectation(repo: Repo) -> None:
    res = _check(repo, GOOD.replace('stdout_contains = ["hi"]', 'stdout_not_contains = ["Traceback"]\nexit_code = 0'), "--strict")
    assert res.returncode == 2
    assert "scenario 'ok' key 'expect': declares no expected output" in res.stdout


def test_unselectable_scenario_warns(repo: Repo) -> None:
    res = _check(repo, GOOD.replace('owners = ["t"]\n', ""))
    assert res.returncode == 0
    assert res.stdout.splitlines() == [
        f"{M}:1: scenario 'ok': warning: nothing selects it but --all: it has no owners and no paths"
        " (add owners = [\"<task>\"] or paths = [\"src/**\"])",
        f"smoke check: {M}: 1 scenario(s) OK, 1 warning(s)",
    ]
    # Paths alone make it selectable.
    res = _check(repo, GOOD.replace('owners = ["t"]', 'paths = ["src/**"]'))
    assert res.stdout == f"smoke check: {M}: 1 scenario(s) OK, 0 warning(s)\n"


def test_unreferenced_scripts_warn_but_shared_code_does_not(repo: Repo) -> None:
    for rel in ("used.sh", "by_run.sh", "orphan.sh", "helpers.sh", "lib/common.sh", ".gitkeep", "deep/orphan2.sh"):
        repo.write(f"tests/smoke/scenarios/{rel}", "true\n")
    text = GOOD.replace('run = "echo hi"', 'script = "scenarios/used.sh"') + (
        '\n[[scenario]]\nname = "r"\nrun = "bash tests/smoke/scenarios/by_run.sh"\nowners = ["t"]\n'
        '[scenario.expect]\nstdout_contains = ["x"]\n'
    )
    res = _check(repo, text)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        "tests/smoke/scenarios/deep/orphan2.sh:1: warning: no scenario runs this script (add one with"
        " 'smoke add NAME --owner T --script scenarios/deep/orphan2.sh', move shared code to scenarios/lib/, or delete it)",
        "tests/smoke/scenarios/orphan.sh:1: warning: no scenario runs this script (add one with"
        " 'smoke add NAME --owner T --script scenarios/orphan.sh', move shared code to scenarios/lib/, or delete it)",
        f"smoke check: {M}: 2 scenario(s) OK, 2 warning(s)",
    ]


def test_missing_manifest_and_flag_misuse_are_usage_errors(repo: Repo) -> None:
    res = repo.smoke("check", "--manifest", "nope.toml")
    assert res.returncode == 2
    assert res.stderr.startswith("smoke check: error: manifest nope.toml (from --manifest) does not exist")
    repo.manifest(GOOD)
    res = repo.smoke("check", "--base", "main")
    assert res.returncode == 2
    assert res.stderr == "smoke check: error: --base goes with --grow-only (smoke check --grow-only --base ...)\n"
    res = repo.smoke("check", "--grow-only", "--staged", "--strict")
    assert res.returncode == 2
    assert res.stderr == (
        "smoke check: error: --strict does not go with --staged"
        " (the smoke-check hook validates; run 'smoke check --strict' on its own)\n"
    )


def test_strict_and_grow_only_together_validate_then_compare(repo: Repo) -> None:
    repo.manifest(GOOD)
    repo.commit("manifest")
    res = repo.smoke("check", "--strict", "--grow-only", "--base", "HEAD")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 scenario(s) OK" in res.stdout
    # A weaker manifest: validation passes, the comparison refuses.
    repo.manifest(GOOD.replace('stdout_contains = ["hi"]', 'stdout_contains = ["h"]'))
    res = repo.smoke("check", "--strict", "--grow-only", "--base", "HEAD")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "1 scenario(s) OK" in res.stdout and "'hi'" in res.stdout + res.stderr
    # An invalid manifest stops at validation, exit 2.
    repo.manifest(GOOD.replace("owners", "owner", 1))
    assert repo.smoke("check", "--strict", "--grow-only", "--base", "HEAD").returncode == 2
