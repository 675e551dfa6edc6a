"""smoke.git's two ways to read a file out of git: at a commit, and in the index."""
from __future__ import annotations

import pytest
from helpers import Repo

from smoke import git
from smoke.errors import SmokeError


def test_blob_at_reads_a_commit_not_the_work_tree(repo: Repo) -> None:
    repo.write("src/a.txt", "one\n")
    repo.commit("one")
    first = repo.head()
    repo.write("src/a.txt", "two\n")
    repo.commit("two")
    repo.write("src/a.txt", "three, uncommitted\n")
    assert git.blob_at(repo.path, first, "src/a.txt") == b"one\n"
    assert git.blob_at(repo.path, "HEAD", "src/a.txt") == b"two\n"
    assert git.blob_at(repo.path, "HEAD", "src/missing.txt") is None
    assert git.blob_at(repo.path, "HEAD", "src") is None  # a folder is not a file


def test_blob_at_refuses_a_ref_that_names_no_commit(repo: Repo) -> None:
    with pytest.raises(SmokeError, match="unknown git ref 'no-such-branch'"):
        git.blob_at(repo.path, "no-such-branch", "README")


def test_staged_blob_reads_the_index(repo: Repo) -> None:
    repo.write("src/a.txt", "staged\n")
    repo.write("0:odd", "a name git could misread\n")
    repo.git("add", "src/a.txt", "0:odd")
    repo.write("src/a.txt", "unstaged edit\n")
    repo.write("src/new.txt", "untracked\n")
    assert git.staged_blob(repo.path, "src/a.txt") == b"staged\n"
    assert git.staged_blob(repo.path, "0:odd") == b"a name git could misread\n"
    assert git.staged_blob(repo.path, "src/new.txt") is None
    repo.git("rm", "-q", "--cached", "README")
    assert git.staged_blob(repo.path, "README") is None


def test_staged_blob_has_no_answer_for_a_conflict(repo: Repo) -> None:
    repo.write("f.txt", "base\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "other")
    repo.write("f.txt", "theirs\n")
    repo.commit("theirs")
    repo.git("checkout", "-q", "main")
    repo.write("f.txt", "ours\n")
    repo.commit("ours")
    assert repo.git("merge", "-q", "other", check=False).returncode != 0
    assert git.staged_blob(repo.path, "f.txt") is None
    assert git.blob_at(repo.path, "HEAD", "f.txt") == b"ours\n"
