"""The pre-push (and commit) gate's shortcuts decide as the full path does.

When a pushed commit's (or the index's) manifest is the very bytes already
loaded from the work tree, the gate selects with the loaded manifest instead
of loading it again, and asks `git status` (in place or in a checkout?) only
once something is selected. Each case here runs the gate twice on the same
repository: as shipped, and with that shortcut switched off (every manifest
read through git is loaded again, and `git status` is asked first), and the
two must print the same and exit the same.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Repo

from smoke import git

GUARD = """
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
paths = ["src/login/**"]
[scenario.expect]
stdout_contains = ["login ok"]
"""

NOTES = """
[[scenario]]
name = "notes_say_hello"
run = "cat docs/notes.txt"
paths = ["docs/**"]
[scenario.expect]
stdout_contains = ["hello"]
"""

# Every manifest read through git is loaded again, and `git status` is asked before selecting: the full path.
FULL_PATH = "import smoke.doors as d; d._is_loaded = lambda *a: False; from smoke.main import main; raise SystemExit(main())"


def _gate(repo: Repo, args: list[str], stdin: str, full: bool, env: dict[str, str]) -> tuple[int, str, str]:
    """`smoke gate ARGS`, every selected scenario run (the second run must not reuse the first one's passes)."""
    cmd = [sys.executable, "-c", FULL_PATH] if full else [sys.executable, "-m", "smoke"]
    res = subprocess.run(
        [*cmd, "gate", "--no-reuse", *args], cwd=repo.path, env={**repo.env, **env}, input=stdin, capture_output=True, text=True,
        timeout=120,
    )
    return res.returncode, _steady(res.stdout), _steady(res.stderr)


def _steady(text: str) -> str:
    """Durations and each run's own folder differ from run to run; nothing else may."""
    text = re.sub(r"\d+\.\d+s\b", "N.NNs", text)
    text = re.sub(r'"(duration_s|duration|started|finished)": [^,\n]+', r'"\1": N', text)
    return re.sub(r"runs/[^/\s]+/", "runs/RUN/", text)


def _same(repo: Repo, args: list[str], stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    fast = _gate(repo, args, stdin, False, env or {})
    assert fast == _gate(repo, args, stdin, True, env or {})
    return fast


@pytest.fixture
def pushed(repo: Repo) -> Repo:
    """A guarded login, then a commit on top; `repo.env["PUSH"]` is git's pre-push line for pushing that commit."""
    repo.manifest(GUARD)
    repo.write("tests/smoke/scenarios/login.sh", "cat src/login/state.txt\n")
    repo.write("src/login/state.txt", "login ok\n")
    assert repo.commit("guard login").returncode == 0
    return repo


def _push_line(repo: Repo, base: str) -> str:
    return f"refs/heads/main {repo.head()} refs/heads/main {base}\n"


def _commit_on_top(repo: Repo, files: dict[str, str], manifest: str | None = None) -> str:
    base = repo.head()
    for rel, text in files.items():
        repo.write(rel, text)
    if manifest is not None:
        repo.manifest(manifest)
    assert repo.commit("on top").returncode == 0
    return _push_line(repo, base)


def test_head_pushed_with_nothing_guarded_clean_or_not(pushed: Repo) -> None:
    line = _commit_on_top(pushed, {"docs/notes.txt": "notes\n"})
    code, out, _ = _same(pushed, ["--stage", "pre-push"], line)
    assert code == 0 and out.endswith("smoke gate: no scenario protects this change; nothing to run\n"), out
    pushed.write("scratch.txt", "untracked\n")
    pushed.write("src/login/state.txt", "login broken, uncommitted\n")
    code, out, _ = _same(pushed, ["--stage", "pre-push"], line)
    assert code == 0 and out.endswith("smoke gate: no scenario protects this change; nothing to run\n"), out
    code, out, _ = _same(pushed, ["--stage", "pre-push", "--json"], line)
    assert code == 0 and '"results": []' in out


def test_head_pushed_with_something_guarded_runs_in_place_or_in_a_checkout(pushed: Repo) -> None:
    line = _commit_on_top(pushed, {"src/login/state.txt": "login ok, v2\n"})
    code, out, _ = _same(pushed, ["--stage", "pre-push"], line)
    assert code == 0 and "temporary checkout" not in out and "1 passed" in out
    pushed.write("src/login/state.txt", "login broken, uncommitted\n")
    code, out, _ = _same(pushed, ["--stage", "pre-push"], line)
    assert code == 0 and "in a temporary checkout: the work tree has uncommitted changes" in out
    code, out, _ = _same(pushed, ["--stage", "pre-push", "--json"], line)
    assert code == 0 and '"status": "pass"' in out


def test_head_pushed_is_held_to_its_own_manifest_not_the_work_trees(pushed: Repo) -> None:
    # The work tree's manifest (not committed) guards docs with a scenario that fails: the pushed commit's does not.
    line = _commit_on_top(pushed, {"docs/notes.txt": "goodbye\n"})
    pushed.manifest(GUARD + NOTES)
    code, out, _ = _same(pushed, ["--stage", "pre-push"], line)
    assert code == 0 and out.endswith("smoke gate: no scenario protects this change; nothing to run\n"), out
    # The other way round: the pushed commit's manifest guards docs, the work tree's (not committed) no longer does.
    line = _commit_on_top(pushed, {"docs/notes.txt": "goodbye, again\n"}, manifest=GUARD + NOTES)
    pushed.manifest(GUARD)
    code, out, err = _same(pushed, ["--stage", "pre-push"], line)
    assert code == 1, out + err
    assert "in a temporary checkout: the work tree has uncommitted changes" in out
    assert "notes_say_hello (stdout lacks 'hello')" in out + err


@pytest.mark.parametrize("mode", ["warn", "block", "all"])
def test_head_pushed_with_files_nothing_guards(pushed: Repo, mode: str) -> None:
    line = _commit_on_top(pushed, {"docs/notes.txt": "notes\n"}, manifest=f'[settings]\nunguarded = "{mode}"\n' + GUARD)
    pushed.write("other.txt", "uncommitted\n")
    code, out, err = _same(pushed, ["--stage", "pre-push"], line)
    assert "docs/notes.txt" in out + err
    assert code == {"warn": 0, "block": 1, "all": 0}[mode]
    assert ("temporary checkout" in out) == (mode == "all")


def test_a_range_the_pre_commit_framework_vouches_for(pushed: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    pushed.git("init", "-q", "--bare", str(bare))
    pushed.git("remote", "add", "origin", str(bare))
    pushed.git("push", "-q", "origin", "main")
    framework = {"PRE_COMMIT": "1", "PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
                 "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main", "PRE_COMMIT_FROM_REF": pushed.head(),
                 "PRE_COMMIT_TO_REF": "HEAD"}
    _commit_on_top(pushed, {"docs/notes.txt": "goodbye\n"}, manifest=GUARD + NOTES)
    pushed.manifest(GUARD)  # not committed: the work tree no longer guards docs, the pushed commit does
    code, out, err = _same(pushed, ["--stage", "pre-push"], env=framework)
    assert code == 1 and "testing main (" in out and "notes_say_hello (stdout lacks 'hello')" in out + err, out + err
    pushed.git("checkout", "-q", "HEAD~1", "--", "tests/smoke/manifest.toml")  # and the other way round
    pushed.git("reset", "-q", "--soft", "HEAD~1")
    pushed.manifest(GUARD + NOTES)
    pushed.git("commit", "-q", "--no-verify", "-m", "notes, unguarded when committed", "--", "docs/notes.txt")
    code, out, _ = _same(pushed, ["--stage", "pre-push"], env=framework)
    assert code == 0 and out.endswith("smoke gate: no scenario protects this change; nothing to run\n"), out


def test_a_manifest_outside_the_repository(pushed: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "manifest.toml"
    outside.parent.mkdir()
    outside.write_text(NOTES)
    line = _commit_on_top(pushed, {"src/login/state.txt": "login ok, v2\n"})
    pushed.write("other.txt", "uncommitted\n")
    code, out, _ = _same(pushed, ["--manifest", str(outside), "--stage", "pre-push"], line)
    assert code == 0 and out.endswith("smoke gate: no scenario protects this change; nothing to run\n"), out
    line = _commit_on_top(pushed, {"docs/notes.txt": "hello\n"})
    pushed.write("other.txt", "uncommitted, again\n")
    code, out, err = _same(pushed, ["--manifest", str(outside), "--stage", "pre-push"], line)
    assert code == 0 and "in a temporary checkout" in out and "1 passed" in out, out + err


def test_a_commit_with_unstaged_changes_selects_with_the_staged_manifest(pushed: Repo) -> None:
    pushed.write("docs/notes.txt", "goodbye\n")
    pushed.git("add", "docs/notes.txt")
    pushed.write("src/login/state.txt", "unstaged\n")
    code, out, _ = _same(pushed, ["--stage", "pre-commit"])
    assert code == 0 and out.endswith("smoke gate: no scenario protects this change; nothing to run\n"), out
    # Unstaged, the work tree's manifest guards docs: the commit's (the index's) does not.
    pushed.manifest(GUARD + NOTES)
    code, out, _ = _same(pushed, ["--stage", "pre-commit"])
    assert code == 0 and out.endswith("smoke gate: no scenario protects this change; nothing to run\n"), out
    # Staged, it does, and the snapshot of the index is tested.
    pushed.git("add", "tests/smoke/manifest.toml")
    code, out, err = _same(pushed, ["--stage", "pre-commit"])
    assert code == 1 and "what is staged" in out and "notes_say_hello" in out + err, out + err


# ---------------------------------------------------------------- one git process for the commits and their manifests


def test_commits_and_files_answer_as_rev_parse_and_blob_at(repo: Repo) -> None:
    repo.write("tests/smoke/manifest.toml", "one\n")
    repo.write("a dir/with space.toml", "spaced\n")
    repo.write("new\nline.toml", "a name on two lines\n")
    assert repo.commit("one").returncode == 0
    first = repo.head()
    repo.write("tests/smoke/manifest.toml", "two\n")
    (repo.path / "link.toml").symlink_to("tests/smoke/manifest.toml")
    assert repo.commit("two").returncode == 0
    second = repo.head()
    repo.git("tag", "-a", "-m", "annotated", "v1", first)
    tag = repo.git("rev-parse", "v1").stdout.strip()
    tree = repo.git("rev-parse", "HEAD^{tree}").stdout.strip()
    blob = repo.git("rev-parse", "HEAD:tests/smoke/manifest.toml").stdout.strip()
    names = [first, second, tag, tree, blob, "0" * 40, "f" * 40, second[:4], "HEAD", "no-such-ref"]
    commits = [n for n in names if git.rev_parse(repo.path, n) is not None]
    assert {first, second, tag, "HEAD"} <= set(commits) and not {tree, blob, "0" * 40, "no-such-ref"} & set(commits)
    for path in ["tests/smoke/manifest.toml", "a dir/with space.toml", "new\nline.toml", "link.toml", "tests",
                 "missing.toml", ""]:
        found, files = git.commits_and_files(repo.path, names, names, path)
        assert found == {n: git.rev_parse(repo.path, n) for n in names}, path
        assert files == {n: git.blob_at(repo.path, n, path) if n in commits else None for n in names}, path
    found, files = git.commits_and_files(repo.path, [], [tag, second], "link.toml")
    assert files == {tag: None, second: b"tests/smoke/manifest.toml"}  # a link's blob: where it points, as blob_at says


def test_pushed_refs_hold_the_file_asked_for_at_each_tip(repo: Repo) -> None:
    repo.manifest("one\n")
    assert repo.commit("one").returncode == 0
    first = repo.head()
    repo.manifest("two\n")
    assert repo.commit("two").returncode == 0
    second = repo.head()
    repo.git("tag", "-a", "-m", "annotated", "v1", first)
    tag = repo.git("rev-parse", "v1").stdout.strip()
    text = (f"refs/heads/main {second} refs/heads/main {first}\n"
            f"refs/tags/v1 {tag} refs/tags/v1 {'0' * 40}\n"
            f"refs/heads/gone {'0' * 40} refs/heads/gone {first}\n"
            f"refs/heads/unknown {'e' * 40} refs/heads/unknown {'0' * 40}\n")
    refs = git.pushed_refs(repo.path, text, "tests/smoke/manifest.toml")
    assert [(r.local_ref, r.tip, r.remote_known, r.file) for r in refs] == [
        ("refs/heads/main", second, True, b"two\n"), ("refs/tags/v1", first, False, b"one\n"),
    ]
    assert [r[:5] for r in git.pushed_refs(repo.path, text)] == [r[:5] for r in refs]
    assert [r.file for r in git.pushed_refs(repo.path, text)] == [None, None]


def test_batch_answers_stop_where_git_stopped_answering() -> None:
    asked = ["a^{commit}", "b^{commit}:m toml", "c^{commit}", "d^{commit}"]
    sha = "1" * 40
    out = f"{sha} commit 3\nabc\nb^{{commit}}:m toml missing\n{sha} blob 10\nshort".encode()
    answers = git._batch_answers(out, asked)
    # The third answer is cut short: neither it nor the fourth is taken for "no such object".
    assert answers == {"a^{commit}": (sha, "commit", b"abc"), "b^{commit}:m toml": None}
    assert git._batch_answers(b"fatal: not a git repository\n", asked) == {}


def test_a_manifest_edit_hidden_from_git_status_does_not_pass_the_push_of_head(pushed: Repo) -> None:
    """skip-worktree hides the work tree's manifest from `git status`: the push of HEAD is still held to HEAD's own
    manifest (in a checkout), never to the edited one in place. Red team, this session: the edit passed before."""
    base = pushed.head()
    pushed.git("update-index", "--skip-worktree", "tests/smoke/manifest.toml")
    pushed.manifest(GUARD.replace("src/login/**", "nothing/**"))  # the agent's edit: the scenario guards nothing
    pushed.write("src/login/state.txt", "broken\n")
    assert pushed.commit("break login").returncode == 0
    assert pushed.git("status", "--porcelain").stdout == ""  # git sees a clean work tree
    for env in ({}, {"WG_AGENT_ID": "a1"}):
        res = pushed.smoke("gate", "--stage", "pre-push", "--no-reuse", input=_push_line(pushed, base), env=env)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "login_works" in res.stdout + res.stderr
        assert "temporary checkout" in res.stdout + res.stderr
