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


# ------------------------------------------------------------ plain paths without pathspec

from hypothesis import example  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from smoke.selection import _first_match  # noqa: E402
from smoke.selection import _plain_rules  # noqa: E402

_SEGMENT = st.sampled_from(["a", "b", "x", "x.py", "docs"])
_PATTERN = st.builds(
    lambda neg, lead, segs, tail: ("!" if neg else "") + ("/" if lead else "") + "/".join(segs) + tail,
    st.booleans(), st.booleans(), st.lists(_SEGMENT, min_size=1, max_size=3),
    st.sampled_from(["/**", "/**", "/", "", "/**/"]),
)
_FILE = st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join)


def _by_pathspec(patterns: list[str], files: list[str]) -> tuple[str, str] | None:
    from pathspec import GitIgnoreSpec

    spec = GitIgnoreSpec.from_lines(patterns)
    for f in files:
        result = spec.check_file(f)
        if result.include and result.index is not None:
            return f, patterns[result.index]
    return None


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(_PATTERN, min_size=1, max_size=4), st.lists(_FILE, min_size=1, max_size=6))
# Cases found in review, where folder and file forms take gitignore's subtler priorities.
@example(["src/graph/**", "!src/graph/docs/"], ["src/graph/docs/intro.md"])
@example(["src/graph/**", "!src/graph/docs"], ["src/graph/docs/intro.md"])
@example(["src/a.py", "!/src"], ["src/a.py"])
@example(["a/a", "/a"], ["a/a"])
@example(["//src/**"], ["src/a.py"])
@example(["src/graph/**", "!src/graph/docs/**", "src/graph/docs/keep/**"], ["src/graph/docs/keep/x", "src/graph/docs/y"])
def test_plain_paths_select_exactly_as_gitignore_matching_does(patterns: list[str], files: list[str]) -> None:
    # Whatever the fast path decides must be what pathspec decides; lists it
    # does not take go to pathspec itself, so they agree trivially.
    assert _first_match(patterns, files) == _by_pathspec(patterns, files)


def test_only_whole_folder_patterns_take_the_fast_path() -> None:
    assert _plain_rules(["src/**", "!src/docs/**"]) is not None
    assert _plain_rules(["/src/**"]) is not None
    for pattern in ("*.py", "src/*.rs", "docs", "docs/", "src/", "src/a.py", "!src/docs/", "src/**/x",
                    "#x/**", "a/b /**", "//src/**", "./src/**", "src/../x/**"):
        assert _plain_rules([pattern]) is None, pattern
