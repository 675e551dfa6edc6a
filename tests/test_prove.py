"""`smoke prove`: a scenario must fail on the commit with the bug and pass on
the fix, each checked out in a temporary worktree that is always removed."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import SMOKE
from helpers import Repo

GOOD_CALC = '#!/bin/sh\necho "sum=$(( $1 + $2 ))"\n'
BAD_CALC = '#!/bin/sh\necho "sum=$(( $1 - $2 ))"\n'

SCENARIOS = """
[[scenario]]
name = "adds_numbers"
script = "scenarios/adds.sh"
[scenario.expect]
stdout_contains = ["sum=5"]

[[scenario]]
name = "vacuous"
run = "sh calc.sh 2 3"
[scenario.expect]
stdout_contains = ["sum="]
"""


class History:
    """good (calc works) -> bug (calc subtracts) -> fix (calc works again), the scenario added last."""

    def __init__(self, repo: Repo, manifest: str = SCENARIOS, script: str = "sh \"$SMOKE_REPO_ROOT/calc.sh\" 2 3\n") -> None:
        repo.write("calc.sh", GOOD_CALC)
        repo.commit("calc")
        self.before = repo.head()
        repo.write("calc.sh", BAD_CALC)
        repo.commit("refactor calc (introduces the bug)")
        self.bug = repo.head()
        repo.write("calc.sh", GOOD_CALC)
        repo.commit("fix calc")
        self.fix = repo.head()
        # The scenario arrives after the bug: it exists only in the current tree.
        repo.manifest(manifest)
        repo.write("tests/smoke/scenarios/adds.sh", script)
        repo.commit("scenario for the calc bug")


@pytest.fixture
def tmpdir_env(repo: Repo, tmp_path: Path) -> Path:
    """A private TMPDIR, so the test can see that no temporary worktree or build is left in it."""
    path = tmp_path / "tmp"
    path.mkdir()
    repo.env["TMPDIR"] = str(path)
    return path


def _worktrees(repo: Repo) -> list[str]:
    return [ln for ln in repo.git("worktree", "list", "--porcelain").stdout.splitlines() if ln.startswith("worktree ")]


def _assert_clean(repo: Repo, tmpdir: Path) -> None:
    assert len(_worktrees(repo)) == 1, _worktrees(repo)
    assert not (repo.path / ".git" / "worktrees").exists() or not list((repo.path / ".git" / "worktrees").iterdir())
    left = [p.name for p in tmpdir.iterdir() if p.name.startswith(("smoke-prove-", "smoke-build-"))]
    assert left == []


def test_scenario_with_teeth_is_proven(repo: Repo, tmpdir_env: Path) -> None:
    h = History(repo)
    res = repo.smoke("prove", "adds_numbers", "--bad", "HEAD~2")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (
        f"smoke prove: 'adds_numbers' must fail at HEAD~2 ({h.bug[:10]}) and pass at the work tree"
    ) in res.stdout
    assert f"  bad  FAIL    at HEAD~2 ({h.bug[:10]}): stdout lacks 'sum=5'" in res.stdout
    assert "  good PASS    at the work tree" in res.stdout
    assert "smoke prove: scenario 'adds_numbers' has teeth: FAIL (stdout lacks 'sum=5') at HEAD~2" in res.stdout
    _assert_clean(repo, tmpdir_env)


def test_proof_fails_on_the_bug_and_passes_on_the_fix(repo: Repo, tmpdir_env: Path) -> None:
    h = History(repo)
    res = repo.smoke("prove", "adds_numbers", "--bad", h.bug[:8], "--good", h.fix)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"  bad  FAIL    at commit {h.bug[:10]}: stdout lacks 'sum=5'" in res.stdout
    assert f"  good PASS    at commit {h.fix[:10]}" in res.stdout
    assert (
        f"smoke prove: scenario 'adds_numbers' has teeth: FAIL (stdout lacks 'sum=5') at commit {h.bug[:10]}, "
        f"PASS at commit {h.fix[:10]}"
    ) in res.stdout
    _assert_clean(repo, tmpdir_env)


def test_vacuous_scenario_has_no_teeth(repo: Repo, tmpdir_env: Path) -> None:
    h = History(repo)
    res = repo.smoke("prove", "vacuous", "--bad", h.bug)
    assert res.returncode == 1, res.stdout + res.stderr
    assert (
        f"smoke prove: scenario 'vacuous' has no teeth: it passed at the bad side, commit {h.bug[:10]}, where it must fail"
    ) in res.stdout
    # The bad side's report shows what the scenario saw there.
    assert f"--- bad side, commit {h.bug[:10]} ---" in res.stdout
    assert "  | sum=-1" in res.stdout
    _assert_clean(repo, tmpdir_env)


def test_scenario_failing_on_the_good_side_has_no_teeth(repo: Repo, tmpdir_env: Path) -> None:
    h = History(repo)
    res = repo.smoke("prove", "adds_numbers", "--bad", h.bug, "--good", h.bug)
    assert res.returncode == 1
    assert (
        f"it did not pass at the good side, commit {h.bug[:10]} (FAIL: stdout lacks 'sum=5'), where it must pass"
    ) in res.stdout
    assert f"--- good side, commit {h.bug[:10]} ---" in res.stdout
    assert "x stdout_contains" in res.stdout
    _assert_clean(repo, tmpdir_env)


def test_the_work_tree_is_the_default_good_side(repo: Repo, tmpdir_env: Path) -> None:
    h = History(repo)
    # Break the work tree without committing: the proof must notice.
    repo.write("calc.sh", BAD_CALC)
    res = repo.smoke("prove", "adds_numbers", "--bad", h.bug)
    assert res.returncode == 1
    assert "it did not pass at the good side, the work tree" in res.stdout


def test_skip_is_not_a_proof(repo: Repo, tmpdir_env: Path) -> None:
    manifest = SCENARIOS + """
[[scenario]]
name = "needs_a_tool"
run = "sh calc.sh 2 3"
requires = ["cmd:no-such-tool-anywhere"]
[scenario.expect]
stdout_contains = ["sum=5"]
"""
    h = History(repo, manifest)
    res = repo.smoke("prove", "needs_a_tool", "--bad", h.bug)
    assert res.returncode == 1
    assert f"it was SKIPPED at the bad side, commit {h.bug[:10]}" in res.stdout
    assert "a skip is not a proof" in res.stdout
    assert "it was SKIPPED at the good side, the work tree" in res.stdout


def test_timeout_on_the_bad_side_counts_as_caught(repo: Repo, tmpdir_env: Path) -> None:
    manifest = SCENARIOS + """
[[scenario]]
name = "hangs_on_bug"
run = "if sh calc.sh 2 3 | grep -q sum=5; then echo ok; else sleep 300; fi"
timeout_seconds = 0.5
[scenario.expect]
stdout_contains = ["ok"]
"""
    h = History(repo, manifest)
    res = repo.smoke("prove", "hangs_on_bug", "--bad", h.bug)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "  bad  TIMEOUT" in res.stdout


def test_usage_errors_are_one_line_exit_2(repo: Repo) -> None:
    h = History(repo)
    cases = {
        ("prove", "adds_numbers", "--bad", "no-such-ref"): "--bad 'no-such-ref' is not a commit in this repository",
        ("prove", "adds_numbers", "--bad", h.bug, "--good", "nope"): "--good 'nope' is not a commit in this repository",
        ("prove", "adds_number", "--bad", h.bug): "no scenario named 'adds_number' in tests/smoke/manifest.toml (did you mean 'adds_numbers'?)",
        ("prove", "adds_numbers"): "--bad REF is required",
        ("prove",): "which scenario?",
        ("prove", "adds_numbers", "--all-proven"): "--all-proven re-runs the recorded proofs and takes no NAME",
    }
    for args, message in cases.items():
        res = repo.smoke(*args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert message in res.stderr, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "Traceback" not in res.stderr
    assert len(_worktrees(repo)) == 1


def test_all_proven_lists_scenarios_that_lost_their_teeth(repo: Repo, tmpdir_env: Path) -> None:
    h = History(repo)
    manifest = SCENARIOS.replace(
        'script = "scenarios/adds.sh"', f'script = "scenarios/adds.sh"\nproven_against = "{h.bug}"'
    ).replace('run = "sh calc.sh 2 3"', f'run = "sh calc.sh 2 3"\nproven_against = "{h.bug}"')
    repo.manifest(manifest)
    res = repo.smoke("prove", "--all-proven")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "smoke prove: scenario 'adds_numbers' has teeth" in res.stdout
    assert "smoke prove: scenario 'vacuous' has no teeth: it passed at the bad side" in res.stdout
    assert "smoke prove: 1 of 2 scenario(s) lost their teeth: vacuous" in res.stdout
    _assert_clean(repo, tmpdir_env)

    repo.manifest(manifest.replace(f'run = "sh calc.sh 2 3"\nproven_against = "{h.bug}"', 'run = "sh calc.sh 2 3"'))
    res = repo.smoke("prove", "--all-proven")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "smoke prove: all 1 recorded proof(s) still hold" in res.stdout


def test_all_proven_with_a_commit_missing_from_the_repository(repo: Repo) -> None:
    History(repo)
    repo.manifest(SCENARIOS.replace('script = "scenarios/adds.sh"', 'script = "scenarios/adds.sh"\nproven_against = "' + "ab" * 20 + '"'))
    res = repo.smoke("prove", "--all-proven")
    assert res.returncode == 1
    assert "adds_numbers (proven_against abababababab is not in this repository; fetch the full history)" in res.stdout


def test_all_proven_with_nothing_recorded(repo: Repo) -> None:
    History(repo)
    res = repo.smoke("prove", "--all-proven")
    assert res.returncode == 0
    assert "no scenario records a proof" in res.stdout


# ---------------------------------------------------------------- with a build step

BUILD = (
    'mkdir -p "$SMOKE_BUILD_DIR/bin" && cp calc.sh "$SMOKE_BUILD_DIR/bin/calc" '
    '&& chmod +x "$SMOKE_BUILD_DIR/bin/calc" && echo "$PWD" >> "$HOME/builds"'
)
BUILT = f"""
[settings]
build = '{BUILD}'

[[scenario]]
name = "calc_adds"
run = "calc 2 3"
[scenario.expect]
stdout_contains = ["sum=5"]
"""


def test_each_side_runs_its_own_build(repo: Repo, tmpdir_env: Path) -> None:
    h = History(repo, BUILT)
    res = repo.smoke("prove", "calc_adds", "--bad", h.bug)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "  bad  FAIL    at commit" in res.stdout
    builds = (Path(repo.env["HOME"]) / "builds").read_text().splitlines()
    # The bad side built in its temporary worktree, the good side in the repository.
    assert len(builds) == 2
    assert Path(builds[0]).name == h.bug[:12]
    assert Path(builds[1]).resolve() == repo.path.resolve()
    # Only the work tree's build is cached; the old ref's was temporary and is gone.
    assert len(list((repo.path / ".git" / "smoke" / "build").glob("*.ok"))) == 1
    _assert_clean(repo, tmpdir_env)

    # A later `smoke run` reuses the work tree's build.
    res = repo.smoke("run", "--all")
    assert res.returncode == 0
    assert "smoke: build up to date" in res.stdout
    assert len((Path(repo.env["HOME"]) / "builds").read_text().splitlines()) == 2


def test_failing_build_on_the_bad_side_is_not_a_proof(repo: Repo, tmpdir_env: Path) -> None:
    History(repo, BUILT)
    # A commit where the build cannot work: calc.sh is missing there.
    repo.git("rm", "-q", "calc.sh")
    repo.commit("remove calc")
    gone = repo.head()
    repo.git("revert", "--no-edit", "HEAD")
    res = repo.smoke("prove", "calc_adds", "--bad", gone)
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"the build failed at the bad side, commit {gone[:10]}: nothing was proven" in res.stdout
    assert "cannot stat 'calc.sh'" in res.stdout
    _assert_clean(repo, tmpdir_env)


# ---------------------------------------------------------------- interruption


def test_worktree_removed_when_interrupted(repo: Repo, tmpdir_env: Path) -> None:
    manifest = SCENARIOS + """
[[scenario]]
name = "slow"
run = "touch \\"$HOME/running\\"; sleep 300"
[scenario.expect]
stdout_contains = ["never"]
"""
    h = History(repo, manifest)
    proc = subprocess.Popen(
        [SMOKE, "prove", "slow", "--bad", h.bug], cwd=repo.path, env=repo.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        running = Path(repo.env["HOME"]) / "running"
        while not running.exists() and proc.poll() is None:
            time.sleep(0.01)
        assert len(_worktrees(repo)) == 2  # the bad side is checked out right now
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "smoke prove: interrupted" in err
    _assert_clean(repo, tmpdir_env)


# ---------------------------------------------------------------- the API `smoke add` uses


def test_prove_api(repo: Repo) -> None:
    h = History(repo)
    code = """
import io, json, sys
from smoke import manifest
from smoke.output import Out
from smoke.prove import prove
m = manifest.load(None)
sc = m.by_name()[sys.argv[1]]
p = prove(m, sc, sys.argv[2], None, Out(io.StringIO(), "never"))
print(json.dumps({"ok": p.ok, "bad_sha": p.bad_sha, "message": p.message}))
"""
    out = {}
    for name in ("adds_numbers", "vacuous"):
        res = subprocess.run(
            [sys.executable, "-c", code, name, "HEAD~2"], cwd=repo.path, env=repo.env,
            capture_output=True, text=True, timeout=120,
        )
        assert res.returncode == 0, res.stderr
        out[name] = json.loads(res.stdout)
    assert out["adds_numbers"]["ok"] is True
    assert out["adds_numbers"]["bad_sha"] == h.bug
    assert out["vacuous"]["ok"] is False
    assert "has no teeth" in out["vacuous"]["message"]


def test_worktree_and_build_removed_when_interrupted_while_building(repo: Repo, tmpdir_env: Path) -> None:
    waits = BUILT.replace(f"build = '{BUILD}'", "build = 'touch \"$HOME/building\"; sleep 300'")
    h = History(repo, waits)
    proc = subprocess.Popen(
        [SMOKE, "prove", "calc_adds", "--bad", h.bug], cwd=repo.path, env=repo.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        building = Path(repo.env["HOME"]) / "building"
        while not building.exists() and proc.poll() is None:
            time.sleep(0.01)
        assert [p.name for p in tmpdir_env.iterdir() if p.name.startswith("smoke-build-")]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    _assert_clean(repo, tmpdir_env)
