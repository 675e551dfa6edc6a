"""`smoke add`: appends without touching a byte, refuses bad input without touching a byte, and is safe at once."""
from __future__ import annotations

import os
import subprocess
import tomllib

import pytest
from helpers import SMOKE
from helpers import Repo

M = "tests/smoke/manifest.toml"

# Comments, alignment, odd spacing, key order, blank lines.
MESSY = """\
# Smoke scenarios for the graph reader.   (keep this comment)

[settings]
jobs            = 4      # aligned on purpose
default_timeout_seconds=60


[[scenario]]   # first one
  name    = "priority_reads"
  owners  = [ "wire-priority" ,"t2" ]   # odd spacing
  run     = 'echo priority=10'
  # a comment between keys
  [scenario.expect]
    stdout_contains = [
        "priority=10",   # trailing comma next
    ]

# trailing comment
"""


def _add(repo: Repo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return repo.smoke("add", *args, env=env)


def _bytes(repo: Repo) -> bytes:
    return (repo.path / M).read_bytes()


def test_append_keeps_every_existing_byte(repo: Repo) -> None:
    repo.manifest(MESSY)
    repo.commit("manifest")
    before = _bytes(repo)
    res = _add(repo, "string_priority", "--owner", "wire-priority", "--run", "echo priority=\"7\"",
               "--contains", "priority=7", "--matches", r"priority=\d+", "--description", "a string priority",
               "--timeout", "30", "--path", "src/graph/**", "--requires", "cmd:wg", "--tag", "live")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == f"smoke add: added scenario 'string_priority' at {M}:20\n"
    after = _bytes(repo)
    assert after.startswith(before)
    assert after[len(before):].decode() == (
        "\n"
        "[[scenario]]\n"
        'name = "string_priority"\n'
        'run = "echo priority=\\"7\\""\n'
        'owners = ["wire-priority"]\n'
        'paths = ["src/graph/**"]\n'
        'description = "a string priority"\n'
        "timeout_seconds = 30\n"
        'requires = ["cmd:wg"]\n'
        'tags = ["live"]\n'
        "\n"
        "[scenario.expect]\n"
        'stdout_contains = ["priority=7"]\n'
        "stdout_matches = ['priority=\\d+']\n"
    )
    diff = repo.git("diff", "--unified=0", "--", M).stdout.splitlines()
    changed = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed and all(line.startswith("+") for line in changed), diff
    doc = tomllib.loads(after.decode())
    assert [s["name"] for s in doc["scenario"]] == ["priority_reads", "string_priority"]
    res = repo.smoke("run", "string_priority")
    assert res.returncode == 0, res.stdout + res.stderr


def test_missing_final_newline_is_supplied(repo: Repo) -> None:
    repo.manifest(MESSY.rstrip("\n"))
    before = _bytes(repo)
    assert _add(repo, "b", "--owner", "t", "--run", "echo b").returncode == 0
    assert _bytes(repo) == before + b'\n\n[[scenario]]\nname = "b"\nrun = "echo b"\nowners = ["t"]\n'


def test_append_to_a_manifest_ending_in_a_newline_adds_one_blank_line(repo: Repo) -> None:
    repo.manifest("[[scenario]]\nname = \"a\"\nrun = \"true\"\nowners = [\"t\"]\n")
    assert _add(repo, "b", "--owner", "t", "--run", "echo b", "--contains", "b").returncode == 0
    assert repo.read(M) == (
        '[[scenario]]\nname = "a"\nrun = "true"\nowners = ["t"]\n'
        '\n[[scenario]]\nname = "b"\nrun = "echo b"\nowners = ["t"]\n\n[scenario.expect]\nstdout_contains = ["b"]\n'
    )


def test_crlf_manifest_stays_crlf(repo: Repo) -> None:
    text = '[[scenario]]\r\nname = "a"\r\nrun = "true"\r\nowners = ["t"]\r\n'
    (repo.path / "tests/smoke").mkdir(parents=True)
    (repo.path / M).write_bytes(text.encode())
    assert _add(repo, "b", "--owner", "t", "--run", "echo b").returncode == 0
    data = _bytes(repo)
    assert data.startswith(text.encode())
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_regex_with_a_quote_falls_back_to_a_basic_string(repo: Repo) -> None:
    repo.manifest("")
    assert _add(repo, "q", "--owner", "t", "--run", "echo \"it's\"", "--matches", r"it's\b").returncode == 0
    doc = tomllib.loads(repo.read(M))
    assert doc["scenario"][0]["expect"]["stdout_matches"] == [r"it's\b"]


# ---------------------------------------------------------------- refusals


def _refused(repo: Repo, *args: str, message: str, code: int = 2) -> None:
    before = _bytes(repo)
    listing = sorted(p.relative_to(repo.path) for p in (repo.path / "tests/smoke").rglob("*"))
    res = _add(repo, *args)
    assert res.returncode == code, res.stdout + res.stderr
    assert res.stderr == message.format(root=repo.path) + "\n"
    assert _bytes(repo) == before
    assert sorted(p.relative_to(repo.path) for p in (repo.path / "tests/smoke").rglob("*")) == listing


@pytest.mark.parametrize(("args", "message"), [
    (("priority_reads", "--owner", "t", "--run", "true"),
     f"smoke add: error: {M}:8: scenario 'priority_reads' already exists; nothing was written"
     " (pick another name: names are permanent, and a regression gets its own scenario)"),
    (("has space", "--owner", "t"),
     "smoke add: error: invalid scenario name 'has space' (use letters, digits, '_', '.', '-')"),
    (("x", "--owner", "t", "--matches", "priority=(\\d+"),
     "smoke add: error: --matches 'priority=(\\\\d+' does not compile: missing ), unterminated subpattern at position 9"
     " (it is a Python regex; escape special characters, e.g. '\\.' or '\\(')"),
    (("x", "--owner", "t", "--script", "../../../outside.sh"),
     "smoke add: error: --script '../../../outside.sh' leaves the repository ({root}) (keep scripts inside it)"),
    (("x", "--owner", "t", "--script", "scenarios/nope.sh"),
     "smoke add: error: --script 'scenarios/nope.sh' does not exist (looked for {root}/tests/smoke/scenarios/nope.sh)"
     " (write it first, or leave out --script to scaffold one)"),
    (("x", "--run", "true"),
     "smoke add: error: a scenario needs an owner (pass --owner TASK: the task this scenario protects)"),
    (("x", "--owner", "t", "--requires", "lambda01 port 80"),
     "smoke add: error: --requires 'lambda01 port 80' is not a URL, host:port or cmd:NAME (e.g. https://host:8080, db:5432, cmd:wg)"),
    (("x", "--owner", "t", "--path", "src/[z-a]"),
     "smoke add: error: --path 'src/[z-a]': bad character range z-a (a gitignore-style glob from the repository root, e.g. src/**)"),
    (("x", "--owner", "t", "--contains", ""),
     "smoke add: error: --contains '' asserts nothing (give the text the output must contain)"),
    (("x", "--owner", "t", "--run", "  "),
     "smoke add: error: --run is empty (give the shell command that reproduces the bug)"),
    (("x", "--owner", "t", "--unproven"),
     "smoke add: error: --unproven goes with --regression-of REF (drop --unproven, or say which ref the bug is at)"),
    (("x", "--owner", "t", "--regression-of", "HEAD"),
     "smoke add: error: --regression-of needs a written repro (pass --run CMD or --script PATH;"
     " a scaffold that is not written yet cannot be proven)"),
])
def test_bad_input_leaves_everything_byte_identical(repo: Repo, args: tuple[str, ...], message: str) -> None:
    repo.manifest(MESSY)
    _refused(repo, *args, message=message)


def test_timeout_must_be_positive(repo: Repo) -> None:
    repo.manifest(MESSY)
    before = _bytes(repo)
    res = _add(repo, "x", "--owner", "t", "--timeout", "0")
    assert res.returncode == 2
    assert res.stderr == "smoke add: error: argument --timeout: must be greater than 0 (see 'smoke add --help')\n"
    assert _bytes(repo) == before


def test_a_result_that_would_not_validate_is_refused(repo: Repo) -> None:
    # A static array cannot be extended with [[scenario]]: the combined file does not parse.
    repo.manifest('scenario = []\n')
    _refused(repo, "x", "--owner", "t", "--run", "true", message=(
        "smoke add: error: the new scenario 'x' would not validate: TOML syntax error: Cannot mutate immutable"
        " namespace ('scenario',); nothing was written"
    ))


def test_an_already_broken_manifest_is_refused(repo: Repo) -> None:
    repo.manifest(MESSY.replace("owners  =", "owner ="))
    _refused(repo, "x", "--owner", "t", "--run", "true", message=(
        f"smoke add: error: {M}:10: scenario 'priority_reads' key 'owner': unknown key (did you mean 'owners'?)\n"
        "the manifest already has 1 problem(s); fix them first (smoke check lists them); nothing was written"
    ))


def test_missing_manifest_is_a_usage_error(repo: Repo) -> None:
    res = _add(repo, "x", "--owner", "t", "--run", "true")
    assert res.returncode == 2
    assert res.stderr.startswith(f"smoke add: error: no manifest at {repo.path}/{M} (run 'smoke init'")


# ---------------------------------------------------------------- scaffolding


def test_scaffold_fails_until_written(repo: Repo) -> None:
    repo.manifest(MESSY)
    res = _add(repo, "new_bug", "--owner", "wire-priority", "--contains", "fixed")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == (
        f"smoke add: added scenario 'new_bug' at {M}:20\n"
        "smoke add: wrote tests/smoke/scenarios/new_bug.sh: it fails (not written yet) until you write the repro\n"
    )
    script = repo.path / "tests/smoke/scenarios/new_bug.sh"
    assert os.access(script, os.X_OK)
    assert 'script = "scenarios/new_bug.sh"' in repo.read(M)
    res = repo.smoke("run", "new_bug")
    assert res.returncode == 1
    assert f"scenario 'new_bug' is not written yet: write the repro in {script}" in res.stdout
    assert "FAIL" in res.stdout
    # The same through the gate for its owner: a scaffold never passes vacuously.
    res = repo.smoke("gate", "--task", "wire-priority", "--stage", "done")
    assert res.returncode == 1
    assert "new_bug" in res.stdout


def test_scaffold_sources_the_shared_helpers_when_present(repo: Repo) -> None:
    repo.manifest(MESSY)
    assert _add(repo, "with_helpers", "--owner", "t").returncode == 0
    repo.write("tests/smoke/scenarios/helpers.sh", "echo 'helpers loaded' >&2\n")
    res = repo.smoke("run", "with_helpers")
    assert res.returncode == 1
    assert "helpers loaded" in res.stdout
    assert "not written yet" in res.stdout


def test_scaffold_without_assertions_warns(repo: Repo) -> None:
    repo.manifest(MESSY)
    res = _add(repo, "bare", "--owner", "t")
    assert res.returncode == 0
    assert res.stderr == (
        "smoke add: warning: 'bare' asserts nothing about its output; add --contains/--matches or edit its"
        " [scenario.expect] (smoke check --strict refuses it)\n"
    )


def test_existing_script_at_the_scaffold_path_is_kept(repo: Repo) -> None:
    repo.manifest(MESSY)
    repo.write("tests/smoke/scenarios/written.sh", "echo already written\n")
    res = _add(repo, "written", "--owner", "t", "--contains", "already written")
    assert res.returncode == 0, res.stderr
    assert "smoke add: using the existing tests/smoke/scenarios/written.sh" in res.stdout
    assert repo.read("tests/smoke/scenarios/written.sh") == "echo already written\n"
    assert repo.smoke("run", "written").returncode == 0


def test_script_given_is_relative_to_the_manifest_folder(repo: Repo) -> None:
    repo.manifest(MESSY)
    repo.write("tests/smoke/scenarios/mine.sh", "echo mine\n")
    assert _add(repo, "mine", "--owner", "t", "--script", "./scenarios/mine.sh", "--contains", "mine").returncode == 0
    assert 'script = "scenarios/mine.sh"' in repo.read(M)
    assert repo.smoke("run", "mine").returncode == 0


def test_lock_file_stays_out_of_the_work_tree(repo: Repo) -> None:
    repo.manifest(MESSY)
    repo.commit("manifest")
    assert _add(repo, "x", "--owner", "t", "--run", "echo x", "--contains", "x").returncode == 0
    assert repo.git("status", "--porcelain", "--untracked-files=all").stdout == f" M {M}\n"


# ---------------------------------------------------------------- concurrency


def test_twenty_concurrent_adds_lose_nothing(repo: Repo) -> None:
    repo.manifest(MESSY)
    before = _bytes(repo)
    procs = [
        subprocess.Popen(
            [SMOKE, "add", f"concurrent_{i}", "--owner", "t", "--run", f"echo {i}", "--contains", str(i)],
            cwd=repo.path, env=repo.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(20)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [r[0] for r in results] == [0] * 20, results
    after = _bytes(repo)
    assert after.startswith(before)
    names = [s["name"] for s in tomllib.loads(after.decode())["scenario"]]
    assert sorted(names[1:]) == sorted(f"concurrent_{i}" for i in range(20))
    res = repo.smoke("check")
    assert res.returncode == 0, res.stdout
    assert res.stdout.endswith("21 scenario(s) OK, 0 warning(s)\n")
    leftovers = [p.name for p in (repo.path / "tests/smoke").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_large_manifest_is_appended_not_rewritten(repo: Repo) -> None:
    parts = ["# big\n"]
    for i in range(2000):
        parts.append(f'[[scenario]]\nname  =  "s{i}"   # {i}\nrun = "true"\nowners = ["t{i % 7}"]\n'
                     f'[scenario.expect]\nstdout_contains = ["{i}"]\n\n')
    repo.manifest("".join(parts))
    before = _bytes(repo)
    res = _add(repo, "s_new", "--owner", "t", "--run", "echo new", "--contains", "new")
    assert res.returncode == 0, res.stderr
    assert _bytes(repo).startswith(before)
    line = before.count(b"\n") + 1
    assert res.stdout == f"smoke add: added scenario 's_new' at {M}:{line}\n"


# ---------------------------------------------------------------- proving


@pytest.fixture
def regression(repo: Repo) -> tuple[Repo, str]:
    """A repository where commit `bad` has the bug and the work tree has the fix."""
    repo.manifest(MESSY)
    repo.write("value.txt", "priority=broken\n")
    repo.commit("the bug")
    bad = repo.head()
    repo.write("value.txt", "priority=10\n")
    repo.commit("the fix")
    return repo, bad


def test_regression_of_records_the_proof(regression: tuple[Repo, str]) -> None:
    repo, bad = regression
    res = _add(repo, "value_fixed", "--owner", "t", "--run", "cat value.txt", "--contains", "priority=10",
               "--regression-of", bad)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"smoke add: proven: it fails at {bad[:12]} and passes now" in res.stdout
    doc = tomllib.loads(repo.read(M))
    assert doc["scenario"][-1]["proven_against"] == bad
    assert "proven" not in doc["scenario"][-1]


def test_regression_of_refuses_a_scenario_without_teeth(regression: tuple[Repo, str]) -> None:
    repo, bad = regression
    before = _bytes(repo)
    res = _add(repo, "no_teeth", "--owner", "t", "--run", "cat value.txt", "--contains", "priority",
               "--regression-of", bad)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.splitlines()[-1] == (
        f"smoke add: refused: 'no_teeth' does not catch the regression at {bad}; nothing was written"
        " (fix the repro, or pass --unproven to add it anyway)"
    )
    assert "has no teeth" in res.stderr
    assert _bytes(repo) == before


def test_unproven_adds_it_marked(regression: tuple[Repo, str]) -> None:
    repo, bad = regression
    res = _add(repo, "no_teeth", "--owner", "t", "--run", "cat value.txt", "--contains", "priority",
               "--regression-of", bad, "--unproven")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke add: warning: adding 'no_teeth' unproven (recorded as proven = false)" in res.stderr
    doc = tomllib.loads(repo.read(M))
    assert doc["scenario"][-1]["proven"] is False
    assert "proven_against" not in doc["scenario"][-1]
