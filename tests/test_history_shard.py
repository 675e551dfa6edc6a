"""The results history in the git directory, `smoke list --json`'s last
status, and `--shard`: deterministic, an exact partition, balanced by history."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from helpers import Repo
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from smoke.errors import SmokeError
from smoke.manifest import Scenario
from smoke.selection import Selected
from smoke.selection import shard

HISTORY = ".git/smoke/history.jsonl"

TWO = """
[[scenario]]
name = "alpha"
run = "echo ok"
owners = ["t-1"]
[scenario.expect]
stdout_contains = ["ok"]

[[scenario]]
name = "beta"
run = "echo no"
owners = ["t-1"]
[scenario.expect]
stdout_contains = ["ok"]
"""


def _history(repo: Repo) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in repo.read(HISTORY).splitlines()]


def _json(res: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(res.stdout)


# ---------------------------------------------------------------- history


def test_each_run_appends_its_results(repo: Repo) -> None:
    repo.manifest(TWO)
    assert repo.smoke("run", "--all").returncode == 1
    head = repo.head()
    first = _history(repo)
    assert [(r["name"], r["status"], r["commit"], r["task"]) for r in first] == [
        ("alpha", "pass", head, None), ("beta", "fail", head, None),
    ]
    for r in first:
        assert set(r) == {"time", "name", "status", "duration_s", "commit", "task"}
        assert isinstance(r["duration_s"], float | int) and r["duration_s"] >= 0
    repo.commit("next")
    assert repo.smoke("run", "--task", "t-1").returncode == 1
    second = _history(repo)[2:]
    assert [(r["name"], r["commit"], r["task"]) for r in second] == [
        ("alpha", repo.head(), "t-1"), ("beta", repo.head(), "t-1"),
    ]
    assert repo.smoke("gate", "--task", "t-1", "--stage", "done").returncode == 1
    assert [r["task"] for r in _history(repo)[4:]] == ["t-1", "t-1"]


def test_the_commit_is_right_with_packed_refs_detached_heads_and_worktrees(repo: Repo) -> None:
    repo.manifest(TWO)
    repo.commit("manifest")
    repo.git("pack-refs", "--all")
    assert not (repo.path / ".git/refs/heads/main").exists()
    repo.smoke("run", "alpha")
    assert _history(repo)[-1]["commit"] == repo.head()
    repo.git("commit", "--allow-empty", "-qm", "another")
    repo.git("checkout", "-q", "--detach", "HEAD~1")
    repo.smoke("run", "alpha")
    assert _history(repo)[-1]["commit"] == repo.head()
    repo.git("checkout", "-q", "main")
    wt = repo.path.parent / "wt"
    repo.git("worktree", "add", "-q", "--detach", str(wt), "HEAD~1")
    res = repo.smoke("run", "alpha", cwd=wt)
    assert res.returncode == 0, res.stderr
    # A worktree shares the history of the main repository, with its own HEAD.
    expected = repo.git("rev-parse", "HEAD~1").stdout.strip()
    assert _history(repo)[-1]["commit"] == expected


def test_list_json_carries_each_scenarios_last_status(repo: Repo) -> None:
    repo.manifest(TWO)
    listed = _json(repo.smoke("list", "--all", "--json"))["scenarios"]
    assert listed == [{"name": "alpha", "reasons": ["all"]}, {"name": "beta", "reasons": ["all"]}]
    repo.smoke("run", "--all")
    repo.manifest(TWO.replace('run = "echo no"', 'run = "echo ok"'))
    repo.smoke("run", "beta", "--task", "t-9")
    listed = _json(repo.smoke("list", "--all", "--json"))["scenarios"]
    assert [row["last"]["status"] for row in listed] == ["pass", "pass"]
    assert listed[0]["last"]["task"] is None and listed[1]["last"]["task"] == "t-9"
    assert set(listed[1]["last"]) == {"time", "name", "status", "duration_s", "commit", "task"}


def test_a_damaged_history_line_is_ignored(repo: Repo) -> None:
    repo.manifest(TWO)
    repo.smoke("run", "--all")
    with open(repo.path / HISTORY, "a") as f:
        f.write('{"name": "alpha", "status": "pa\n\x00garbage\n[1, 2]\n')
    res = repo.smoke("list", "--all", "--json")
    assert res.returncode == 0, res.stderr
    assert [row["last"]["status"] for row in _json(res)["scenarios"]] == ["pass", "fail"]
    assert repo.smoke("run", "--all").returncode == 1
    assert [r["name"] for r in _history_tolerant(repo)[-2:]] == ["alpha", "beta"]


def _history_tolerant(repo: Repo) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for line in repo.read(HISTORY).splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_the_history_is_cut_back_when_it_grows_too_big(repo: Repo) -> None:
    from smoke.history import MAX_BYTES

    repo.manifest(TWO)
    line = json.dumps({"name": "old", "status": "pass", "duration_s": 1.0, "commit": None, "task": None}) + "\n"
    path = repo.path / HISTORY
    path.parent.mkdir(parents=True)
    path.write_text(line * (MAX_BYTES // len(line) + 1))
    repo.smoke("run", "--all")
    assert path.stat().st_size <= MAX_BYTES
    lines = path.read_text().splitlines()
    assert all(json.loads(x) for x in lines)  # cut at a line boundary
    assert [json.loads(x)["name"] for x in lines[-2:]] == ["alpha", "beta"]


def test_no_history_outside_a_repository_is_not_an_error(repo: Repo, tmp_path: os.PathLike[str]) -> None:
    from pathlib import Path

    alone = Path(tmp_path) / "alone"
    alone.mkdir()
    (alone / "m.toml").write_text('[[scenario]]\nname = "a"\nrun = "echo ok"\n[scenario.expect]\nstdout_contains = ["ok"]\n')
    res = repo.smoke("run", "--all", "--manifest", "m.toml", cwd=alone, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert not (alone / ".git").exists()


# ---------------------------------------------------------------- shard: pure


def _selection(names: list[str]) -> list[Selected]:
    return [Selected(Scenario(name=n, index=i, line=i + 1), ["all"]) for i, n in enumerate(names)]


def _names(selected: list[Selected]) -> list[str]:
    return [s.scenario.name for s in selected]


names_st = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), unique=True, max_size=25)


@settings(max_examples=200, deadline=None)
@given(names=names_st, n=st.integers(1, 7), data=st.data())
def test_shards_partition_the_selection_exactly(names: list[str], n: int, data: st.DataObject) -> None:
    known = data.draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([]))
    durations = {name: data.draw(st.floats(0, 1000)) for name in known}
    selection = _selection(names)
    parts = [_names(shard(selection, f"{k}/{n}", durations)) for k in range(1, n + 1)]
    flat = [name for part in parts for name in part]
    assert sorted(flat) == sorted(names)  # every scenario exactly once
    assert len(flat) == len(set(flat))
    for part in parts:  # each shard keeps the manifest order
        assert part == [x for x in names if x in part]
    # Deterministic: the same inputs give the same shards, on any machine, in any order.
    again = [_names(shard(list(reversed(selection)), f"{k}/{n}", dict(reversed(durations.items()))))
             for k in range(1, n + 1)]
    assert [sorted(p) for p in again] == [sorted(p) for p in parts]


def test_without_history_shards_deal_out_names_in_order() -> None:
    selection = _selection(["e", "a", "d", "b", "c"])
    assert [_names(shard(selection, f"{k}/2", {})) for k in (1, 2)] == [["e", "a", "c"], ["d", "b"]]


def test_with_history_shards_balance_recorded_durations() -> None:
    selection = _selection(["long", "s1", "s2", "s3", "s4"])
    durations = {"long": 100.0, "s1": 1.0, "s2": 1.0, "s3": 1.0, "s4": 1.0}
    assert _names(shard(selection, "1/2", durations)) == ["long"]
    assert _names(shard(selection, "2/2", durations)) == ["s1", "s2", "s3", "s4"]
    # A scenario with no record counts as the average of those with one.
    durations = {"long": 10.0, "s1": 10.0}
    parts = [_names(shard(selection, f"{k}/2", durations)) for k in (1, 2)]
    assert sorted(len(p) for p in parts) == [2, 3]


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1/0", "a/b", "1", "", "1/2/3", "-1/2"])
def test_a_bad_shard_spec_is_a_usage_error(spec: str) -> None:
    with pytest.raises(SmokeError, match=r"is not K/N with 1 <= K <= N"):
        shard(_selection(["a"]), spec, {})


# ---------------------------------------------------------------- shard: end to end


def _many(n: int) -> str:
    return "".join(f"""
[[scenario]]
name = "s{i:02d}"
run = "echo ok"
[scenario.expect]
stdout_contains = ["ok"]
""" for i in range(n))


def test_run_shards_cover_the_selection_once(repo: Repo) -> None:
    repo.manifest(_many(7))
    seen = []
    for k in (1, 2, 3):
        # Shards of one run must see the same history, as parallel CI jobs
        # restored from one cache do; here: none, as in a fresh clone.
        (repo.path / HISTORY).unlink(missing_ok=True)
        res = repo.smoke("run", "--all", "--shard", f"{k}/3", "--json")
        assert res.returncode == 0, res.stderr
        seen.append([r["name"] for r in _json(res)["results"]])
    assert sorted(n for part in seen for n in part) == [f"s{i:02d}" for i in range(7)]
    assert all(seen)
    res = repo.smoke("run", "--all", "--shard", "4/3")
    assert res.returncode == 2
    assert res.stderr == "smoke run: error: --shard '4/3' is not K/N with 1 <= K <= N (e.g. --shard 2/4)\n"


def test_run_shards_balance_by_the_history(repo: Repo) -> None:
    repo.manifest(_many(5))
    # What earlier runs recorded: s00 took far longer than the others.
    records = [{"name": f"s{i:02d}", "status": "pass", "duration_s": 100.0 if i == 0 else 1.0,
                "commit": None, "task": None} for i in range(5)]
    path = repo.path / HISTORY
    path.parent.mkdir(parents=True)
    parts = []
    for k in (1, 2):
        # Each shard sees the same history, as parallel CI jobs do (a run appends to it).
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        parts.append([r["name"] for r in _json(repo.smoke("run", "--all", "--shard", f"{k}/2", "--json"))["results"]])
    assert parts == [["s00"], ["s01", "s02", "s03", "s04"]]
