"""The native commit gate tests what is committed: real `git commit` with the hooks from `smoke install`.

When the work tree is not the index (unstaged changes, untracked files), the
gate tests a snapshot of the index in a temporary worktree that never
outlives it; otherwise it runs in place.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Repo

MANIFEST = """
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
paths = ["src/login/**"]
[scenario.expect]
stdout_contains = ["login ok"]
"""

STATE = "src/login/state.txt"
BROKEN = "smoke gate refused the commit: 1 scenario(s) broken \u2014 login_works (stdout lacks 'login ok')\n"
SNAPSHOT = "smoke gate: testing what is staged in a temporary checkout: the work tree has {}\n"


@pytest.fixture
def guarded(repo: Repo, tmp_path: Path) -> Repo:
    """One scenario guarding src/login, passing, hooks installed, and a private TMPDIR to see leftovers in."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    repo.env["TMPDIR"] = str(tmp)
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/login.sh", f"cat {STATE}\n")
    repo.write(STATE, "login ok\n")
    assert repo.commit("guard login").returncode == 0
    res = repo.smoke("install")
    assert res.returncode == 0, res.stderr
    return repo


def _commit(repo: Repo, *args: str) -> tuple[int, str]:
    res = repo.git("commit", "-m", "change", *args, check=False)
    return res.returncode, res.stdout + res.stderr


def _stage(repo: Repo, rel: str, text: str) -> None:
    repo.write(rel, text)
    repo.git("add", rel)


def _staged(repo: Repo, rel: str) -> str:
    return repo.git("show", f":{rel}").stdout


def _assert_clean(repo: Repo) -> None:
    """Only the main worktree is left, and nothing smoke made in TMPDIR."""
    listed = [ln for ln in repo.git("worktree", "list", "--porcelain").stdout.splitlines() if ln.startswith("worktree ")]
    assert listed == [f"worktree {repo.path}"]
    assert [p.name for p in Path(repo.env["TMPDIR"]).iterdir()] == []


def _dangling_commits(repo: Repo) -> list[str]:
    out = repo.git("fsck", "--no-reflogs", "--unreachable", "--no-progress").stdout
    return [line for line in out.splitlines() if line.startswith("unreachable commit")]


# ---------------------------------------------------------------- what is tested


def test_a_staged_break_with_an_unstaged_fix_is_refused(guarded: Repo) -> None:
    before = guarded.head()
    _stage(guarded, STATE, "login broken\n")
    guarded.write(STATE, "login ok, fixed but not staged\n")
    code, out = _commit(guarded)
    assert code == 1, out
    assert SNAPSHOT.format("unstaged changes") in out
    # The manifest as staged, named the way git names the index.
    assert "smoke: 1 scenario(s) from :tests/smoke/manifest.toml, 1 at a time\n" in out
    assert "  :tests/smoke/manifest.toml:2  exit 0\n" in out
    assert BROKEN in out
    assert guarded.head() == before
    # Neither the index nor the work tree was touched.
    assert _staged(guarded, STATE) == "login broken\n"
    assert guarded.read(STATE) == "login ok, fixed but not staged\n"
    _assert_clean(guarded)


def test_a_staged_fix_with_unstaged_breakage_passes(guarded: Repo) -> None:
    _stage(guarded, STATE, "login ok, v2\n")
    guarded.write(STATE, "login broken, work in progress\n")
    code, out = _commit(guarded)
    assert code == 0, out
    assert SNAPSHOT.format("unstaged changes") in out
    assert "smoke: 1 passed, 0 failed" in out
    assert guarded.git("show", f"HEAD:{STATE}").stdout == "login ok, v2\n"
    assert guarded.read(STATE) == "login broken, work in progress\n"
    _assert_clean(guarded)


def test_a_commit_that_needs_an_untracked_file_is_refused(guarded: Repo) -> None:
    before = guarded.head()
    _stage(guarded, "tests/smoke/scenarios/login.sh", "sh src/login/main.sh\n")
    _stage(guarded, "src/login/main.sh", ". src/login/greeting.sh\n")
    guarded.write("src/login/greeting.sh", "echo login ok\n")  # never added
    code, out = _commit(guarded)
    assert code == 1, out
    assert SNAPSHOT.format("untracked files") in out
    assert "smoke gate refused the commit: 1 scenario(s) broken \u2014 login_works (exit 2; stdout lacks 'login ok')\n" in out
    assert guarded.head() == before
    _assert_clean(guarded)


def test_the_staged_manifest_decides_what_runs(guarded: Repo) -> None:
    _stage(guarded, "tests/smoke/manifest.toml", MANIFEST + """
[[scenario]]
name = "notes_say_hello"
run = "cat docs/notes.txt"
paths = ["docs/**"]
[scenario.expect]
stdout_contains = ["hello"]
""")
    _stage(guarded, "docs/notes.txt", "goodbye\n")
    guarded.write("tests/smoke/manifest.toml", MANIFEST)  # the promise, dropped only in the work tree
    code, out = _commit(guarded)
    assert code == 1, out
    assert "smoke gate refused the commit: 1 scenario(s) broken \u2014 notes_say_hello (stdout lacks 'hello')\n" in out
    _assert_clean(guarded)


def test_the_usual_commit_runs_in_place(guarded: Repo) -> None:
    _stage(guarded, STATE, "login ok, v2\n")
    code, out = _commit(guarded)
    assert code == 0, out
    assert "smoke: 1 scenario(s) from tests/smoke/manifest.toml, 1 at a time\n" in out
    assert "temporary checkout" not in out
    assert _dangling_commits(guarded) == []
    _assert_clean(guarded)


def test_a_commit_nothing_guards_makes_no_snapshot(guarded: Repo) -> None:
    _stage(guarded, "docs/notes.txt", "notes\n")
    guarded.write(STATE, "login broken, not staged\n")
    code, out = _commit(guarded)
    assert code == 0, out
    assert "smoke gate: no scenario protects this change; nothing to run\n" in out
    assert "temporary checkout" not in out
    assert _dangling_commits(guarded) == []
    _assert_clean(guarded)


# ---------------------------------------------------------------- the index git commits


def test_commit_all_with_an_untracked_file_commits_exactly_what_it_should(guarded: Repo) -> None:
    guarded.write(STATE, "login ok, v2\n")
    guarded.write("scratch.txt", "not tracked\n")
    code, out = _commit(guarded, "-a")
    assert code == 0, out
    assert SNAPSHOT.format("untracked files") in out
    # The checkout never wrote the index being committed (GIT_INDEX_FILE).
    assert guarded.git("show", "--name-only", "--format=", "HEAD").stdout == f"{STATE}\n"
    assert guarded.git("status", "--porcelain").stdout == "?? scratch.txt\n"
    _assert_clean(guarded)


def test_a_partial_commit_is_tested_without_the_files_it_leaves_out(guarded: Repo) -> None:
    guarded.write(STATE, "login ok, v2\n")
    guarded.write("tests/smoke/scenarios/login.sh", "echo broken, not committed\n")
    code, out = _commit(guarded, "--", STATE)
    assert code == 0, out
    assert SNAPSHOT.format("unstaged changes") in out
    assert guarded.git("show", "--name-only", "--format=", "HEAD").stdout == f"{STATE}\n"
    assert guarded.git("status", "--porcelain").stdout == " M tests/smoke/scenarios/login.sh\n"
    _assert_clean(guarded)


def test_the_first_commit_of_a_repository_is_snapshotted_without_a_parent(repo: Repo, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    repo.env["TMPDIR"] = str(tmp)
    repo.git("checkout", "-q", "--orphan", "fresh")
    repo.git("rm", "-rq", "--cached", ".")
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/login.sh", f"cat {STATE}\n")
    repo.write(STATE, "login broken\n")
    repo.git("add", "tests", STATE)
    repo.write(STATE, "login ok, not staged\n")
    assert repo.smoke("install").returncode == 0
    code, out = _commit(repo)
    assert code == 1, out
    assert SNAPSHOT.format("unstaged changes") in out
    assert BROKEN in out
    _assert_clean(repo)
