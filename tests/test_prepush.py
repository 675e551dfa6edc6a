"""The pre-push gate tests what is pushed: real `git push` to a real bare remote,
hooks from `smoke install`; a pushed commit that is not exactly the work tree
runs in a temporary worktree of itself, which never outlives the gate."""
from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import SMOKE
from helpers import Repo

MANIFEST = """
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
paths = ["src/login/**"]
[scenario.expect]
stdout_contains = ["login ok"]
"""

BROKEN = "smoke gate refused the push: 1 scenario(s) broken \u2014 login_works (stdout lacks 'login ok')\n"


@pytest.fixture
def tmpdir_env(repo: Repo, tmp_path: Path) -> Path:
    """A private TMPDIR, so the test can see that no temporary worktree or build is left in it."""
    path = tmp_path / "tmp"
    path.mkdir()
    repo.env["TMPDIR"] = str(path)
    return path


@pytest.fixture
def guarded(repo: Repo, tmpdir_env: Path, tmp_path: Path) -> Repo:
    """One scenario guarding src/login, passing, hooks installed, main pushed to a bare remote."""
    repo.manifest(MANIFEST)
    repo.write("tests/smoke/scenarios/login.sh", "cat src/login/state.txt\n")
    repo.write("src/login/state.txt", "login ok\n")
    assert repo.commit("guard login").returncode == 0
    assert repo.smoke("install").returncode == 0
    bare = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    assert repo.git("push", "-q", "origin", "main", check=False).returncode == 0
    return repo


def _remote(repo: Repo, ref: str = "main") -> str:
    return repo.git("ls-remote", "origin", f"refs/heads/{ref}").stdout.split("\t")[0]


def _push(repo: Repo, *refs: str) -> tuple[int, str]:
    res = repo.git("push", "origin", *refs, check=False)
    return res.returncode, res.stdout + res.stderr


def _assert_clean(repo: Repo) -> None:
    """Only the main worktree is left, and nothing smoke made in TMPDIR."""
    listed = [ln for ln in repo.git("worktree", "list", "--porcelain").stdout.splitlines() if ln.startswith("worktree ")]
    assert listed == [f"worktree {repo.path}"]
    assert not (repo.path / ".git" / "worktrees").exists() or not list((repo.path / ".git" / "worktrees").iterdir())
    assert [p.name for p in Path(repo.env["TMPDIR"]).iterdir()] == []


def _branch_with(repo: Repo, branch: str, state: str) -> str:
    """Commit `state` to src/login on a new branch, skipping the commit hook, and go back to main."""
    repo.git("checkout", "-q", "-b", branch)
    repo.write("src/login/state.txt", state)
    assert repo.commit(f"login: {state.strip()}").returncode == 0
    sha = repo.head()
    repo.git("checkout", "-q", "main")
    return sha


# ---------------------------------------------------------------- what is tested


def test_the_usual_push_runs_in_place(guarded: Repo) -> None:
    guarded.write("src/login/state.txt", "login ok, faster\n")
    assert guarded.commit("faster login").returncode == 0
    code, out = _push(guarded, "main")
    assert code == 0, out
    assert "smoke: 1 scenario(s) from tests/smoke/manifest.toml, 1 at a time\n" in out
    assert "temporary checkout" not in out
    assert "checked out" not in out
    assert _remote(guarded) == guarded.head()
    _assert_clean(guarded)


def test_a_branch_that_is_not_checked_out_is_tested_at_its_own_commit(guarded: Repo) -> None:
    broken = _branch_with(guarded, "feature", "login broken\n")
    # The work tree (main) is fine; what is pushed is not.
    assert guarded.read("src/login/state.txt") == "login ok\n"
    code, out = _push(guarded, "feature")
    assert code == 1, out
    assert f"smoke gate: testing feature ({broken[:7]}) in a temporary checkout: it is not what is checked out\n" in out
    assert f"smoke: 1 scenario(s) from {broken[:7]}:tests/smoke/manifest.toml, 1 at a time\n" in out
    # The report names the manifest as git does: the checkout is gone by the time it is read.
    assert f"  {broken[:7]}:tests/smoke/manifest.toml:2  exit 0\n" in out
    assert BROKEN in out
    assert _remote(guarded, "feature") == ""
    _assert_clean(guarded)


def test_pushing_head_with_an_uncommitted_fix_still_refuses_the_broken_commit(guarded: Repo) -> None:
    pushed = _remote(guarded)
    guarded.write("src/login/state.txt", "login broken\n")
    assert guarded.commit("break login, skipping the commit hook").returncode == 0
    guarded.write("src/login/state.txt", "login ok, fixed but not committed\n")
    code, out = _push(guarded, "main")
    assert code == 1, out
    assert f"smoke gate: testing main ({guarded.head()[:7]}) in a temporary checkout: the work tree has uncommitted changes\n" in out
    assert BROKEN in out
    assert _remote(guarded) == pushed
    # The uncommitted work is left as it was.
    assert guarded.read("src/login/state.txt") == "login ok, fixed but not committed\n"
    _assert_clean(guarded)


def test_pushing_a_good_commit_while_the_work_tree_breaks_it_passes(guarded: Repo) -> None:
    guarded.write("src/login/state.txt", "login ok, v2\n")
    assert guarded.commit("login v2").returncode == 0
    guarded.write("src/login/state.txt", "login broken, work in progress\n")
    code, out = _push(guarded, "main")
    assert code == 0, out
    assert "in a temporary checkout: the work tree has uncommitted changes\n" in out
    assert "1 passed" in out
    assert _remote(guarded) == guarded.head()
    assert guarded.read("src/login/state.txt") == "login broken, work in progress\n"
    _assert_clean(guarded)


def test_an_untracked_file_moves_the_push_to_a_checkout(guarded: Repo) -> None:
    guarded.write("src/login/state.txt", "login ok, v2\n")
    assert guarded.commit("login v2").returncode == 0
    guarded.write("scratch.txt", "not tracked\n")
    code, out = _push(guarded, "main")
    assert code == 0, out
    assert f"smoke gate: testing main ({guarded.head()[:7]}) in a temporary checkout: the work tree has untracked files\n" in out
    assert (guarded.path / "scratch.txt").exists()
    _assert_clean(guarded)


def test_an_ignored_file_keeps_the_push_in_place(guarded: Repo) -> None:
    guarded.write(".gitignore", "*.log\n")
    guarded.write("src/login/state.txt", "login ok, v2\n")
    assert guarded.commit("login v2").returncode == 0
    guarded.write("build.log", "ignored\n")
    code, out = _push(guarded, "main")
    assert code == 0, out
    assert "temporary checkout" not in out
    _assert_clean(guarded)


def test_a_commit_that_needs_a_file_never_added_is_refused(guarded: Repo) -> None:
    pushed = _remote(guarded)
    guarded.write("tests/smoke/scenarios/login.sh", "sh src/login/main.sh\n")
    guarded.write("src/login/main.sh", ". src/login/greeting.sh\n")
    guarded.write("src/login/greeting.sh", "echo login ok\n")
    # greeting.sh is never added: only the work tree has it, so only there does the scenario pass.
    res = guarded.commit("login reads its greeting", "tests/smoke/scenarios/login.sh", "src/login/main.sh")
    assert res.returncode == 0, res.stderr
    code, out = _push(guarded, "main")
    assert code == 1, out
    assert "in a temporary checkout: the work tree has untracked files\n" in out
    assert "smoke gate refused the push: 1 scenario(s) broken \u2014 login_works (exit 2; stdout lacks 'login ok')\n" in out
    assert _remote(guarded) == pushed
    _assert_clean(guarded)


def test_each_pushed_commit_runs_on_its_own_and_the_refusal_names_the_ref(guarded: Repo) -> None:
    good = _branch_with(guarded, "good", "login ok, v2\n")
    bad = _branch_with(guarded, "bad", "login broken\n")
    guarded.write("docs/notes.txt", "notes\n")
    assert guarded.commit("notes").returncode == 0
    code, out = _push(guarded, "good", "bad", "main")
    assert code == 1, out
    assert f"smoke gate: testing good ({good[:7]}) in a temporary checkout" in out
    assert f"smoke gate: testing bad ({bad[:7]}) in a temporary checkout" in out
    # main is HEAD, clean, and brings nothing new: nothing to run for it, and no checkout.
    assert "smoke gate: no scenario protects the push of main; nothing to run\n" in out
    assert "smoke gate refused the push of bad: 1 scenario(s) broken \u2014 login_works (stdout lacks 'login ok')\n" in out
    assert "refused the push of good" not in out
    assert _remote(guarded, "bad") == ""
    _assert_clean(guarded)


def test_refs_pushed_at_one_commit_run_once(guarded: Repo) -> None:
    guarded.write("src/login/state.txt", "login broken\n")
    assert guarded.commit("break login, skipping the commit hook").returncode == 0
    guarded.git("branch", "copy")
    guarded.write("src/login/state.txt", "login ok, fixed but not committed\n")
    code, out = _push(guarded, "main", "copy")
    assert code == 1, out
    assert out.count("in a temporary checkout") == 1
    assert f"smoke gate: testing main, copy ({guarded.head()[:7]}) in a temporary checkout" in out
    assert BROKEN in out
    _assert_clean(guarded)


def test_a_push_nothing_guards_needs_no_checkout(guarded: Repo) -> None:
    guarded.git("checkout", "-q", "-b", "docs")
    guarded.write("docs/notes.txt", "notes\n")
    assert guarded.commit("notes").returncode == 0
    guarded.git("checkout", "-q", "main")
    code, out = _push(guarded, "docs")
    assert code == 0, out
    assert "smoke gate: no scenario protects this change; nothing to run\n" in out
    assert "temporary checkout" not in out
    _assert_clean(guarded)


def test_json_is_one_object_for_every_pushed_commit(guarded: Repo) -> None:
    good = _branch_with(guarded, "good", "login ok, v2\n")
    bad = _branch_with(guarded, "bad", "login broken\n")
    main = guarded.head()
    lines = "".join(f"refs/heads/{b} {sha} refs/heads/{b} {'0' * 40}\n" for b, sha in (("good", good), ("bad", bad)))
    lines += f"refs/heads/main {main} refs/heads/main {main}\n"  # nothing new: nothing runs for it
    res = guarded.smoke("gate", "--stage", "pre-push", "--json", input=lines)
    assert res.returncode == 1, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert [(r["commit"], r["name"], r["status"]) for r in report["results"]] == [
        (good, "login_works", "pass"), (bad, "login_works", "fail"),
    ]
    assert report["version"] == 1
    assert report["summary"] == {"pass": 1, "fail": 1, "skip": 0, "timeout": 0, "error": 0, "flaky": 0}
    assert "smoke gate refused the push of bad: 1 scenario(s) broken" in res.stderr
    _assert_clean(guarded)


def test_json_for_a_push_nothing_guards_is_one_empty_object(guarded: Repo) -> None:
    main = guarded.head()
    res = guarded.smoke("gate", "--stage", "pre-push", "--json", input=f"refs/heads/main {main} refs/heads/main {main}\n")
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["results"] == []


# ---------------------------------------------------------------- whose promises


def test_the_pushed_commit_is_held_to_its_own_manifest_and_scripts(guarded: Repo) -> None:
    guarded.git("checkout", "-q", "-b", "feature")
    guarded.manifest(MANIFEST + """
[[scenario]]
name = "notes_say_hello"
script = "scenarios/notes.sh"
paths = ["docs/**"]
[scenario.expect]
stdout_contains = ["hello"]
""")
    guarded.write("tests/smoke/scenarios/notes.sh", "cat docs/notes.txt\n")
    guarded.write("docs/notes.txt", "goodbye\n")
    assert guarded.commit("a promise the branch does not keep").returncode == 0
    feature = guarded.head()
    guarded.git("checkout", "-q", "main")
    # Neither the scenario nor its script exists in the work tree.
    assert not (guarded.path / "tests/smoke/scenarios/notes.sh").exists()
    code, out = _push(guarded, "feature")
    assert code == 1, out
    assert "smoke gate refused the push: 1 scenario(s) broken \u2014 notes_say_hello (stdout lacks 'hello')\n" in out
    assert f"  {feature[:7]}:tests/smoke/manifest.toml:9  exit 0\n" in out
    _assert_clean(guarded)


def test_a_pushed_commit_without_a_manifest_uses_the_current_one(guarded: Repo) -> None:
    guarded.git("checkout", "-q", "-b", "old", "HEAD~1")  # before the manifest existed
    guarded.write("src/login/state.txt", "login broken\n")
    assert guarded.commit("login from before the scenario").returncode == 0
    old = guarded.head()
    guarded.git("checkout", "-q", "main")
    code, out = _push(guarded, "old")
    assert code == 1, out
    assert (f"smoke gate: note: old ({old[:7]}) has no tests/smoke/manifest.toml; "
            "using the current manifest's scenarios\n") in out
    assert BROKEN in out
    _assert_clean(guarded)


def test_an_invalid_manifest_at_the_pushed_commit_refuses_the_push(guarded: Repo) -> None:
    guarded.git("checkout", "-q", "-b", "feature")
    guarded.manifest(MANIFEST + '\n[[scenario]]\nname = "typo"\nrun = "true"\nexpect_exit = 0\n')
    guarded.write("src/login/state.txt", "login ok, v2\n")
    assert guarded.commit("a manifest that does not load").returncode == 0
    feature = guarded.head()
    guarded.git("checkout", "-q", "main")
    code, out = _push(guarded, "feature")
    assert code != 0, out
    assert (f"smoke gate: error: {feature[:7]}:tests/smoke/manifest.toml:12: "
            "scenario 'typo' key 'expect_exit': unknown key (did you mean 'expect'?)\n") in out
    assert _remote(guarded, "feature") == ""
    _assert_clean(guarded)


# ---------------------------------------------------------------- with a build step

BUILT = """
[settings]
build = 'mkdir -p "$SMOKE_BUILD_DIR/bin" && cp tool.sh "$SMOKE_BUILD_DIR/bin/tool" && chmod +x "$SMOKE_BUILD_DIR/bin/tool" && echo "$PWD" >> "$HOME/builds"'

[[scenario]]
name = "tool_works"
run = "tool"
paths = ["tool.sh"]
[scenario.expect]
stdout_contains = ["tool ok"]
"""


def test_the_build_runs_in_the_checkout_of_the_pushed_commit(guarded: Repo) -> None:
    guarded.manifest(BUILT)
    guarded.write("tool.sh", "#!/bin/sh\necho tool ok\n")
    assert guarded.commit("a built tool").returncode == 0
    assert guarded.git("push", "-q", "--no-verify", "origin", "main", check=False).returncode == 0
    broken = _branch_with_file(guarded, "feature", "tool.sh", "#!/bin/sh\necho tool broken\n")
    code, out = _push(guarded, "feature")
    assert code == 1, out
    assert "smoke gate refused the push: 1 scenario(s) broken \u2014 tool_works (stdout lacks 'tool ok')\n" in out
    builds = (Path(guarded.env["HOME"]) / "builds").read_text().splitlines()
    assert [Path(b).name for b in builds] == [broken[:12]]
    # A pushed commit's build is temporary: the work tree's cache is left alone.
    assert list((guarded.path / ".git" / "smoke" / "build").glob("*.ok")) == []
    _assert_clean(guarded)


def _branch_with_file(repo: Repo, branch: str, rel: str, text: str) -> str:
    repo.git("checkout", "-q", "-b", branch)
    repo.write(rel, text)
    assert repo.commit(f"change {rel}").returncode == 0
    sha = repo.head()
    repo.git("checkout", "-q", "main")
    return sha


# ---------------------------------------------------------------- interruption


def test_the_checkout_is_removed_when_the_gate_is_terminated(guarded: Repo, tmp_path: Path) -> None:
    guarded.git("checkout", "-q", "-b", "feature")
    guarded.manifest(MANIFEST + """
[[scenario]]
name = "slow"
run = "touch \\"$HOME/running\\"; sleep 300"
paths = ["src/**"]
""")
    guarded.write("src/login/state.txt", "login ok, v2\n")
    assert guarded.commit("slow").returncode == 0
    feature = guarded.head()
    guarded.git("checkout", "-q", "main")
    refs = tmp_path / "refs"
    refs.write_text(f"refs/heads/feature {feature} refs/heads/feature {'0' * 40}\n")  # as git gives it to the hook
    with refs.open() as stdin:
        proc = subprocess.Popen(
            [SMOKE, "gate", "--stage", "pre-push"], cwd=guarded.path, env=guarded.env,
            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    try:
        running = Path(guarded.env["HOME"]) / "running"
        while not running.exists() and proc.poll() is None:
            time.sleep(0.01)
        assert len(guarded.git("worktree", "list").stdout.splitlines()) == 2  # the pushed commit is checked out now
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out + err
    assert "smoke gate: interrupted" in err
    _assert_clean(guarded)
