"""Selection from git changes, through the installed `smoke` command on real repositories."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import Repo

from smoke.git import Change
from smoke.manifest import Scenario
from smoke.selection import match_paths

MANIFEST = """
[settings]
base_ref = "main"

[[scenario]]
name = "a_guard"
run = "echo ok"
owners = ["fix-login"]
paths = ["src/a/**", "!src/a/docs/**"]
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "b_guard"
run = "echo ok"
paths = ["src/b/**"]
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "c_guard"
run = "echo ok"
paths = ["src/c/**"]
[scenario.expect]
stdout_contains = ["ok"]
"""


def _setup(repo: Repo) -> None:
    repo.manifest(MANIFEST)
    for d in ("a", "b", "c"):
        repo.write(f"src/{d}/file.txt", "v1\n")
    repo.write("src/a/docs/notes.md", "v1\n")
    repo.write(".gitignore", "*.log\n")
    assert repo.commit("add sources").returncode == 0


def _listed(repo: Repo, *args: str) -> str:
    res = repo.smoke("list", *args)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


# ------------------------------------------------------------ paths (pure)


def test_negated_path_excludes_and_first_matching_file_is_the_reason() -> None:
    guard = Scenario(name="graph", index=0, line=1, run="true", paths=("src/graph/**", "!src/graph/docs/**"))
    docs_only = [Change("src/graph/docs/a.md", "staged")]
    assert match_paths([guard], docs_only) == {}
    both = [Change("src/graph/docs/a.md", "staged"), Change("src/graph/io.rs", "commit 1a2b3c4 feat: x")]
    assert match_paths([guard], both) == {
        "graph": ["path: src/graph/io.rs matches src/graph/** (commit 1a2b3c4 feat: x)"],
    }


def test_unanchored_and_directory_patterns_match_at_any_depth() -> None:
    logs = Scenario(name="logs", index=0, line=1, run="true", paths=("*.log",))
    docs = Scenario(name="docs", index=1, line=2, run="true", paths=("docs/",))
    changes = [Change("deep/er/x.log", "staged"), Change("pkg/docs/readme", "staged")]
    assert match_paths([logs, docs], changes) == {
        "logs": ["path: deep/er/x.log matches *.log"],
        "docs": ["path: pkg/docs/readme matches docs/"],
    }


# ------------------------------------------------------------ uncommitted


def test_changed_covers_unstaged_staged_and_untracked_but_not_ignored(repo: Repo) -> None:
    _setup(repo)
    repo.write("src/c/debug.log", "ignored\n")
    assert _listed(repo, "--changed") == "0 of 3 scenario(s) selected\n"
    repo.write("src/a/file.txt", "v2\n")            # unstaged
    repo.write("src/b/new.txt", "new\n")            # untracked
    repo.write("src/c/file.txt", "v2\n")
    repo.git("add", "src/c/file.txt")               # staged
    assert _listed(repo, "--changed") == (
        "a_guard\n  path: src/a/file.txt matches src/a/**\n"
        "b_guard\n  path: src/b/new.txt matches src/b/**\n"
        "c_guard\n  path: src/c/file.txt matches src/c/**\n"
        "3 of 3 scenario(s) selected\n"
    )


def test_staged_selects_only_what_is_staged(repo: Repo) -> None:
    _setup(repo)
    repo.write("src/a/file.txt", "v2\n")
    repo.write("src/b/file.txt", "v2\n")
    repo.git("add", "src/b/file.txt")
    assert _listed(repo, "--staged") == "b_guard\n  path: src/b/file.txt matches src/b/**\n1 of 3 scenario(s) selected\n"


def test_a_negated_path_does_not_select(repo: Repo) -> None:
    _setup(repo)
    repo.write("src/a/docs/notes.md", "v2\n")
    assert _listed(repo, "--changed") == "0 of 3 scenario(s) selected\n"


def test_a_deleted_file_selects_its_guard(repo: Repo) -> None:
    _setup(repo)
    repo.git("rm", "-q", "src/b/file.txt")
    assert _listed(repo, "--staged") == "b_guard\n  path: src/b/file.txt matches src/b/**\n1 of 3 scenario(s) selected\n"


# ------------------------------------------------------------ ranges


def test_from_ref_to_ref_selects_by_the_files_of_the_range(repo: Repo) -> None:
    _setup(repo)
    start = repo.head()
    repo.write("src/b/file.txt", "v2\n")
    repo.commit("touch b")
    repo.write("src/c/file.txt", "v2\n")
    repo.commit("touch c")
    assert _listed(repo, "--from-ref", start, "--to-ref", "HEAD~1") == (
        "b_guard\n  path: src/b/file.txt matches src/b/**\n1 of 3 scenario(s) selected\n"
    )
    out = _listed(repo, "--from-ref", start, "--to-ref", "HEAD", "--json")
    assert [s["name"] for s in json.loads(out)["scenarios"]] == ["b_guard", "c_guard"]


def test_range_refs_must_exist_and_come_in_pairs(repo: Repo) -> None:
    _setup(repo)
    res = repo.smoke("list", "--from-ref", "nope", "--to-ref", "HEAD")
    assert (res.returncode, res.stderr) == (
        2, "smoke list: error: unknown git ref 'nope' (use a branch, tag or commit that exists here)\n",
    )
    res = repo.smoke("list", "--from-ref", "HEAD")
    assert res.returncode == 2
    assert res.stderr == (
        "smoke list: error: --from-ref and --to-ref go together "
        "(give both, e.g. --from-ref origin/main --to-ref HEAD)\n"
    )


# ------------------------------------------------------------ --task


def test_task_selects_owned_plus_files_of_commits_naming_it_as_a_whole_word(repo: Repo) -> None:
    _setup(repo)
    repo.write("src/b/file.txt", "v2\n")
    repo.commit("feat: fix-login (agent-7)")
    fix_login = repo.git("rev-parse", "--short", "HEAD").stdout.strip()
    repo.write("src/c/file.txt", "v2\n")
    repo.commit("feat: fix-login-2 (agent-8)")
    # On main itself there is no branch range: only the commit message names the task.
    assert _listed(repo, "--task", "fix-login") == (
        "a_guard\n  owner: fix-login\n"
        f"b_guard\n  path: src/b/file.txt matches src/b/** (commit {fix_login} feat: fix-login (agent-7))\n"
        "2 of 3 scenario(s) selected\n"
    )
    fix_login_2 = repo.git("rev-parse", "--short", "HEAD").stdout.strip()
    assert _listed(repo, "--task", "fix-login-2") == (
        f"c_guard\n  path: src/c/file.txt matches src/c/** (commit {fix_login_2} feat: fix-login-2 (agent-8))\n"
        "1 of 3 scenario(s) selected\n"
    )


def test_task_includes_a_merge_naming_it_with_what_it_brought_in(repo: Repo) -> None:
    _setup(repo)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("src/c/file.txt", "v2\n")
    repo.commit("work in progress")
    repo.git("checkout", "-q", "main")
    repo.write("README", "moved on\n")
    repo.commit("unrelated")
    repo.git("merge", "-q", "--no-ff", "--no-verify", "-m", "Merge branch 'wg/tidy-c'", "feature")
    merge = repo.git("rev-parse", "--short", "HEAD").stdout.strip()
    assert _listed(repo, "--task", "tidy-c") == (
        f"c_guard\n  path: src/c/file.txt matches src/c/** (commit {merge} Merge branch 'wg/tidy-c')\n"
        "1 of 3 scenario(s) selected\n"
    )


def test_task_includes_commits_since_the_merge_base_and_uncommitted_work(repo: Repo) -> None:
    _setup(repo)
    repo.git("checkout", "-q", "-b", "wg/tidy")
    repo.write("src/b/file.txt", "v2\n")
    repo.commit("refactor b")
    on_branch = repo.git("rev-parse", "--short", "HEAD").stdout.strip()
    repo.git("checkout", "-q", "main")
    repo.write("src/c/file.txt", "v2\n")
    repo.commit("main moves on")  # not on the task's branch: must not be selected
    repo.git("checkout", "-q", "wg/tidy")
    repo.write("src/a/file.txt", "wip\n")
    assert _listed(repo, "--task", "tidy") == (
        "a_guard\n  path: src/a/file.txt matches src/a/**\n"
        f"b_guard\n  path: src/b/file.txt matches src/b/** (commit {on_branch} refactor b)\n"
        "2 of 3 scenario(s) selected\n"
    )


def test_base_ref_falls_back_to_the_remote_default_branch(repo: Repo, tmp_path: Path) -> None:
    _setup(repo)
    clone = tmp_path / "clone"
    repo.git("clone", "-q", str(repo.path), str(clone))
    other = Repo(clone, repo.env)
    # Only origin/main and origin/HEAD exist here; base_ref names a branch that does not.
    other.manifest(MANIFEST.replace('base_ref = "main"', 'base_ref = "trunk"'))
    other.git("checkout", "-q", "-b", "wg/work")
    other.git("branch", "-q", "-D", "main")
    other.write("src/b/file.txt", "v2\n")
    other.commit("change b")
    out = _listed(other, "--task", "work")
    assert "b_guard\n  path: src/b/file.txt matches src/b/** (commit " in out
    assert "c_guard" not in out


def test_gate_for_a_task_runs_what_its_commits_touched(repo: Repo) -> None:
    _setup(repo)
    repo.manifest(MANIFEST.replace('paths = ["src/c/**"]\n[scenario.expect]\nstdout_contains = ["ok"]',
                                   'paths = ["src/c/**"]\n[scenario.expect]\nstdout_contains = ["never printed"]'))
    repo.commit("manifest")
    repo.write("src/c/file.txt", "v2\n")
    repo.commit("feat: fix-login (agent-7)")
    res = repo.smoke("gate", "--task", "fix-login", "--stage", "done")
    assert res.returncode == 1
    assert "smoke gate refused task 'fix-login': 1 scenario(s) broken \u2014 c_guard (stdout lacks 'never printed')" in res.stdout


# ------------------------------------------------------------ startup cost


def test_list_and_gate_do_not_import_gitpython(repo: Repo) -> None:
    _setup(repo)
    for args in (["list", "--task", "fix-login"], ["gate", "--stage", "pre-commit"]):
        res = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "smoke", *args],
            cwd=repo.path, env=repo.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
        assert res.returncode == 0, res.stderr
        modules = {line.rsplit("|", 1)[-1].strip() for line in res.stderr.splitlines() if line.startswith("import time:")}
        assert "git" not in modules, f"smoke {args[0]} imported GitPython"
