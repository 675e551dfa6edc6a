"""Selection as a pure function: scenarios and changes in, choices and reasons out."""
from __future__ import annotations

import pytest

from smoke.errors import SmokeError
from smoke.git import Change
from smoke.manifest import Scenario
from smoke.selection import Selector
from smoke.selection import literal_prefix
from smoke.selection import match_paths
from smoke.selection import select


def sc(name: str, **kw: object) -> Scenario:
    return Scenario(name=name, index=0, line=1, run="true", **kw)  # type: ignore[arg-type]


SCENARIOS = [
    sc("graph", owners=("wire-priority",), paths=("src/graph/**", "!src/graph/docs/**")),
    sc("tui", owners=("nex",), paths=("src/tui/",), tags=("live",)),
    sc("anywhere", paths=("*.lock",)),
    sc("chat", owners=("nex", "chat"), tags=("live",)),
]


def names(selected: list) -> list[str]:  # type: ignore[type-arg]
    return [s.scenario.name for s in selected]


def test_literal_prefix() -> None:
    assert literal_prefix("src/graph/**") == "src/graph/"
    assert literal_prefix("/src/a*.py") == "src/"
    assert literal_prefix("src/tui/") == "src/tui/"
    assert literal_prefix("*.lock") == ""
    assert literal_prefix("docs") == ""  # no slash: matches at any depth
    assert literal_prefix("a/b/file.txt") == "a/b/file.txt"


def test_paths_with_negation_and_reasons() -> None:
    changes = [
        Change("src/graph/docs/readme.md", "unstaged"),
        Change("src/graph/load.rs", "commit 1a2b3c4 feat: wire-priority (agent-7)"),
        Change("deep/Cargo.lock", "untracked"),
    ]
    found = match_paths(SCENARIOS, changes)
    assert found == {
        "graph": ["path: src/graph/load.rs matches src/graph/** (commit 1a2b3c4 feat: wire-priority (agent-7))"],
        "anywhere": ["path: deep/Cargo.lock matches *.lock"],
    }
    assert match_paths(SCENARIOS, [Change("src/graph/docs/x.md", "staged")]) == {}


def test_directory_pattern() -> None:
    assert match_paths(SCENARIOS, [Change("src/tui/app.rs", "staged")]) == {"tui": ["path: src/tui/app.rs matches src/tui/"]}


def test_task_selects_owned_plus_changed_paths() -> None:
    sel = Selector(owners=("nex",), changes=(Change("src/graph/a.rs", "staged"),))
    chosen = select(SCENARIOS, sel)
    assert names(chosen) == ["graph", "tui", "chat"]
    assert chosen[0].reasons == ["path: src/graph/a.rs matches src/graph/**"]
    assert chosen[1].reasons == ["owner: nex"]


def test_tag_selects_alone_and_filters_otherwise() -> None:
    assert names(select(SCENARIOS, Selector(tags=("live",)))) == ["tui", "chat"]
    assert names(select(SCENARIOS, Selector(owners=("chat",), tags=("live",)))) == ["chat"]
    assert names(select(SCENARIOS, Selector(owners=("wire-priority",), tags=("live",)))) == []


def test_all_and_names_keep_manifest_order() -> None:
    assert names(select(SCENARIOS, Selector(all=True))) == ["graph", "tui", "anywhere", "chat"]
    assert names(select(SCENARIOS, Selector(names=("chat", "graph")))) == ["graph", "chat"]


def test_unknown_name_suggests() -> None:
    with pytest.raises(SmokeError, match="no scenario named 'grap'") as e:
        select(SCENARIOS, Selector(names=("grap",)))
    assert "did you mean 'graph'?" in str(e.value)


def test_empty_changes_select_nothing_by_path() -> None:
    assert select(SCENARIOS, Selector(changes=())) == []


def test_scale_many_scenarios_many_files() -> None:
    many = [sc(f"s{i}", paths=(f"src/m{i}/**",)) for i in range(3000)]
    changes = [Change(f"src/m{i * 3}/f{j}.txt", "untracked") for i in range(1000) for j in range(10)]
    found = match_paths(many, changes)
    assert len(found) == 1000
    assert found["s2997"] == ["path: src/m2997/f0.txt matches src/m2997/**"]
