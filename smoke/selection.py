"""Which scenarios protect a piece of work, and why, and `--shard`'s part of them. Pure: data in, data out."""
from __future__ import annotations

import bisect
import collections
from collections.abc import Iterable
from collections.abc import Sequence

from smoke.errors import SmokeError
from smoke.git import Change
from smoke.manifest import Scenario

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any



def _glob_char(text: str) -> int:
    """Where the first of * ? [ \\ is in `text`, or -1: re.search(r"[*?\\[\\\\]", text) without `re`."""
    found = [i for i in (text.find("*"), text.find("?"), text.find("["), text.find("\\")) if i >= 0]
    return min(found) if found else -1


# NamedTuples for the type checker, collections.namedtuple at run time: see
# the note in smoke/manifest.py.
if TYPE_CHECKING:
    from typing import NamedTuple

    class Selected(NamedTuple):
        scenario: Scenario
        reasons: list[str]

    class Selector(NamedTuple):
        names: tuple[str, ...] = ()
        all: bool = False
        owners: tuple[str, ...] = ()  # task ids whose owned scenarios are selected
        tags: tuple[str, ...] = ()
        changes: tuple[Change, ...] | None = None  # None: no path-based selection

        @property
        def empty(self) -> bool: ...
else:
    Selected = collections.namedtuple("Selected", "scenario reasons")

    class Selector(collections.namedtuple("Selector", "names all owners tags changes", defaults=((), False, (), (), None))):
        __slots__ = ()

        @property
        def empty(self) -> bool:
            return not (self.names or self.all or self.owners or self.tags or self.changes is not None)


def select(scenarios: Sequence[Scenario], sel: Selector) -> list[Selected]:
    """Union of names, --all, owners and changed paths; --tag filters that union
    when anything else selects, and selects on its own otherwise."""
    reasons: dict[str, list[str]] = {}
    known = {s.name for s in scenarios}
    for name in sel.names:
        if name not in known:
            raise SmokeError(f"no scenario named '{name}'", hint=_close(name, known, "scenario"))
        reasons.setdefault(name, []).append("named")
    if sel.tags:
        # A tag no scenario has selects nothing: a typo, never "all clear".
        tags = {t for s in scenarios for t in s.tags}
        for tag in sel.tags:
            if tag not in tags:
                raise SmokeError(f"no scenario has the tag '{tag}'", hint=_close(tag, tags, "tag"))
    for s in scenarios:
        if sel.all:
            reasons.setdefault(s.name, []).append("all")
        for owner in sel.owners:
            if owner in s.owners:
                reasons.setdefault(s.name, []).append(f"owner: {owner}")
    if sel.changes:
        for name, why in match_paths(scenarios, sel.changes).items():
            reasons.setdefault(name, []).extend(why)
    others = bool(sel.names or sel.all or sel.owners or sel.changes is not None)
    chosen: list[Selected] = []
    for s in scenarios:
        if sel.tags:
            hit = [t for t in sel.tags if t in s.tags]
            if not hit or (others and s.name not in reasons):
                continue
            reasons.setdefault(s.name, []).append(f"tag: {hit[0]}")
        if s.name in reasons:
            chosen.append(Selected(s, reasons[s.name]))
    return chosen


def _close(word: str, known: Iterable[str], what: str) -> str:
    """'did you mean' with the closest few; never the whole list."""
    import difflib

    known = sorted(known)
    if not known:
        return f"the manifest has no {what}s" if what == "scenario" else "no scenario has any tag"
    close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    close += [k for k in known if word.lower() in k.lower() and k not in close][: 3 - len(close)]
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    if what == "scenario":
        return f"'smoke list' shows the {len(known)} scenario(s)"
    more = f", +{len(known) - 10} more" if len(known) > 10 else ""
    return f"tags in use: {', '.join(known[:10])}{more}"


def match_paths(scenarios: Iterable[Scenario], changes: Sequence[Change]) -> dict[str, list[str]]:
    """For each scenario whose `paths` match a changed file, the first match as a reason.

    Each scenario's patterns compile once, and only files under a pattern's
    literal prefix are tried, so thousands of scenarios against tens of
    thousands of files stay fast.
    """
    if not changes:
        return {}
    origin: dict[str, str] = {}
    for c in changes:
        origin.setdefault(c.path, c.origin)
    files = sorted(origin)
    # Only scenarios with a file under one of their patterns' prefixes need
    # pathspec at all; a gate where nothing is at stake never imports it.
    todo = [(s, cands) for s in scenarios if s.paths for cands in [_candidates(files, s.paths)] if cands]
    found: dict[str, list[str]] = {}
    for s, cands in todo:
        hit = _first_match(s.paths, cands)
        if hit is not None:
            f, pattern = hit
            why = f"path: {f} matches {pattern}"
            if origin[f].startswith("commit "):
                why += f" ({origin[f]})"
            found[s.name] = [why]
    return found


def guarded(scenarios: Iterable[Scenario], files: Sequence[str]) -> set[str]:
    """Those of `files` that some scenario's `paths` match (literal prefixes first, as match_paths)."""
    ordered = sorted(set(files))
    found: set[str] = set()
    for s in scenarios:
        if not s.paths:
            continue
        rest = [f for f in _candidates(ordered, s.paths) if f not in found]
        while rest:
            hit = _first_match(s.paths, rest)
            if hit is None:
                break
            found.add(hit[0])
            rest = rest[rest.index(hit[0]) + 1:]
    return found


def _first_match(patterns: Sequence[str], files: Iterable[str]) -> tuple[str, str] | None:
    """The first file the patterns select, with the pattern that decided it."""
    rules = _plain_rules(patterns)
    if rules is not None:
        for f in files:
            decided = _decide(rules, f)
            if decided is not None and rules[decided][0]:
                return f, patterns[decided]
        return None
    # Anything beyond plain paths goes to pathspec's gitignore matching (it
    # compiles a regex per pattern: fine for a few, slow for tens of thousands).
    from pathspec import GitIgnoreSpec

    spec = GitIgnoreSpec.from_lines(patterns)
    for f in files:
        result = spec.check_file(f)
        if result.include and result.index is not None:
            return f, patterns[result.index]
    return None


def _plain_rules(patterns: Sequence[str]) -> list[tuple[bool, str]] | None:
    """(include, folder) for patterns that each name everything inside a folder
    from the root (`src/graph/**`, `!src/graph/docs/**`); None for any other
    list, which pathspec decides.

    Such patterns all match a file directly, so gitignore's rule is simply
    that the last match wins. Other forms (`dir/`, `a/b`) match through a
    parent folder, where gitignore's priorities are subtler: left to pathspec.
    """
    rules = []
    for p in patterns:
        include = not p.startswith("!")
        body = p if include else p[1:]
        if body.startswith("/"):
            body = body[1:]
        if not body.endswith("/**"):
            return None
        base = body[:-3]
        plain = base and base == base.strip() and not base.startswith(("#", "/")) and _glob_char(base) < 0
        if not plain or "//" in base or any(part in (".", "..") for part in base.split("/")):
            return None
        rules.append((include, base))
    return rules


def _decide(rules: list[tuple[bool, str]], path: str) -> int | None:
    """Index of the last rule matching `path` (gitignore: the last match wins)."""
    decided = None
    for i, (_, base) in enumerate(rules):
        if path.startswith(base + "/"):
            decided = i
    return decided


def _candidates(files: list[str], patterns: Sequence[str]) -> list[str]:
    prefixes: set[str] = set()
    for p in patterns:
        if p.startswith("!"):
            continue
        prefix = literal_prefix(p)
        if prefix == "":
            return files
        prefixes.add(prefix)
    out: list[str] = []
    for prefix in sorted(prefixes):
        i = bisect.bisect_left(files, prefix)
        while i < len(files) and files[i].startswith(prefix):
            out.append(files[i])
            i += 1
    return sorted(set(out))


def literal_prefix(pattern: str) -> str:
    """The directory part a file must start with to match; '' if it may be anywhere."""
    body = pattern.lstrip("/") if pattern.startswith("/") else pattern
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    if not anchored:
        return ""
    at = _glob_char(body)
    head = body[:at] if at >= 0 else body
    if at < 0:
        return head  # a plain path: the file itself or everything under it
    return head[: head.rfind("/") + 1]


def shard(selected: list[Selected], spec: str, durations: dict[str, float]) -> list[Selected]:
    """The K-th of N parts: balanced by recorded durations when known, by name otherwise."""
    import re

    m = re.fullmatch(r"(\d+)/(\d+)", spec or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise SmokeError(f"--shard {spec!r} is not K/N with 1 <= K <= N", hint="e.g. --shard 2/4")
    k, n = int(m.group(1)), int(m.group(2))
    known = [s for s in selected if s.scenario.name in durations]
    if not known:
        ordered = sorted(selected, key=lambda s: s.scenario.name)
        mine = {s.scenario.name for i, s in enumerate(ordered) if i % n == k - 1}
    else:
        default = sum(durations[s.scenario.name] for s in known) / len(known)
        loads = [0.0] * n
        owner: dict[str, int] = {}
        # Longest first onto the least loaded shard; ties broken by name so it is deterministic.
        for s in sorted(selected, key=lambda s: (-durations.get(s.scenario.name, default), s.scenario.name)):
            i = min(range(n), key=lambda j: (loads[j], j))
            loads[i] += durations.get(s.scenario.name, default)
            owner[s.scenario.name] = i
        mine = {name for name, i in owner.items() if i == k - 1}
    return [s for s in selected if s.scenario.name in mine]


def selection_json(selected: Sequence[Selected], last: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = []
    for item in selected:
        row: dict[str, Any] = {"name": item.scenario.name, "reasons": item.reasons}
        if last is not None and item.scenario.name in last:
            row["last"] = last[item.scenario.name]
        rows.append(row)
    return {"version": 1, "scenarios": rows}
