"""Grow-only: name every way the current manifest protects less than the base.

`compare` is pure: two parsed TOML documents (as `smoke.tomlread` returns them) and
the script files present on each side, in, a list of violations out. Reading
the two sides from git (a ref, the index, the work tree) is `at_ref` and
`still_there`, through `smoke.git`; which commits a push compares is
`pushed_sides`.
"""
from __future__ import annotations

import dataclasses
import json
import posixpath
from pathlib import Path
from typing import Any

from smoke import git
from smoke.agents.identity import DEFAULT_AGENT_ENV
from smoke.manifest import STREAM_LIST_KEYS

# Assertions that are lists of strings, compared item by item.
LIST_ASSERTIONS = STREAM_LIST_KEYS
# Assertions that are lists of tables, compared check by check.
TABLE_ASSERTIONS = ("json", "files")
SCENARIOS_DIR = "scenarios"


@dataclasses.dataclass(frozen=True)
class Violation:
    scenario: str | None  # None: the manifest as a whole, or a script file
    key: str | None
    message: str
    removed: bool = False  # the scenario itself is gone (its line is at the base)

    def __str__(self) -> str:
        where = f"scenario '{self.scenario}'" if self.scenario else ""
        if self.key:
            where += f" key '{self.key}'" if where else f"key '{self.key}'"
        return f"{where}: {self.message}" if where else self.message


# ---------------------------------------------------------------- the comparison


def compare(
    base: dict[str, Any] | None,
    current: dict[str, Any] | None,
    base_files: set[str] | frozenset[str] = frozenset(),
    current_files: set[str] | frozenset[str] = frozenset(),
) -> list[Violation]:
    """Every removal or weakening from `base` to `current`.

    `base_files` are the scenario scripts (paths relative to the manifest's
    folder) that existed at the base; `current_files` those of them that exist now.
    """
    if base is None:
        return []  # nothing to shrink
    if current is None:
        return [Violation(None, None, "the manifest was deleted (restore it; the smoke suite only grows)")]
    old, new = scenarios_by_name(base), scenarios_by_name(current)
    out: list[Violation] = []
    added = [name for name in new if name not in old]
    for name, sc in old.items():
        if name not in new:
            out.append(_removed(name, sc, added, new))
        else:
            out.extend(_weakened(name, sc, new[name]))
    out.extend(_deleted_files(old, set(base_files) - set(current_files)))
    out.extend(_settings(base, current))
    return out


def scenarios_by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The scenario tables by name (the first one of a duplicated name wins)."""
    raw = doc.get("scenario", [])
    found: dict[str, dict[str, Any]] = {}
    if not isinstance(raw, list):
        return found
    for sc in raw:
        if isinstance(sc, dict) and isinstance(sc.get("name"), str):
            found.setdefault(sc["name"], sc)
    return found


def edited(base: dict[str, Any], current: dict[str, Any] | None, changed_files: set[str], manifest_dir: str) -> list[str]:
    """Scenarios kept but changed in what they run: their `script` or `run`, their `env`, or their script's content.

    A person may (a script may need fixing); an agent may not. Each is one phrase.
    """
    if current is None:
        return []
    now = scenarios_by_name(current)
    found = []
    for name, old in scenarios_by_name(base).items():
        new = now.get(name)
        if new is None:
            continue
        what = []
        for key in ("script", "run", "env"):
            if old.get(key) != new.get(key):
                what.append(f"its {key}")
        script = new.get("script")
        if isinstance(script, str) and "its script" not in what and to_top(script, manifest_dir) in changed_files:
            what.append(f"the content of {script}")
        if what:
            found.append(f"scenario '{name}': {' and '.join(what)} changed")
    return found


def scripts_of(doc: dict[str, Any] | None, manifest_dir: str) -> list[str]:
    """The scripts a manifest's scenarios run, as paths from the top level."""
    found = []
    for sc in scenarios_by_name(doc or {}).values():
        script = sc.get("script")
        top = to_top(script, manifest_dir) if isinstance(script, str) else None
        if top is not None:
            found.append(top)
    return found


def _removed(name: str, sc: dict[str, Any], added: list[str], new: dict[str, dict[str, Any]]) -> Violation:
    same = [a for a in added if _what_runs(new[a]) == _what_runs(sc) and _what_runs(sc) is not None]
    if same:
        return Violation(
            name, None,
            f"was removed (renamed to '{same[0]}'? a rename removes the old name: keep '{name}' and add the new one beside it)",
            removed=True,
        )
    return Violation(name, None, "was removed (put it back; a scenario is permanent once added)", removed=True)


def _what_runs(sc: dict[str, Any]) -> tuple[str, str] | None:
    if isinstance(sc.get("script"), str):
        return "script", posixpath.normpath(sc["script"])
    if isinstance(sc.get("run"), str):
        return "run", sc["run"].strip()
    return None


def _weakened(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    for key, noun, fix in (
        ("owners", "owner", "add owners, never remove them"),
        ("paths", "path", "widen it with another path instead"),
    ):
        kept = set(_strings(new.get(key)))
        for value in _strings(old.get(key)):
            if value not in kept:
                out.append(Violation(name, key, f"{noun} {value!r} was removed (put it back; {fix})"))
    out.extend(_negations(name, old, new))
    old_expect, new_expect = _table(old.get("expect")), _table(new.get("expect"))
    out.extend(_assertions(name, old_expect, new_expect))
    old_code, new_code = _exit_codes(old_expect), _exit_codes(new_expect)
    if old_code != new_code:
        out.append(Violation(
            name, "expect.exit_code",
            f"changed from {_codes(old_code)} to {_codes(new_code)} (restore {_codes(old_code)})",
        ))
    out.extend(_leniency(name, old, new))
    return out


def _negations(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Violation]:
    """A `!` pattern added to `paths`: it keeps every path and still unselects the scenario for what it matches."""
    had = set(_strings(old.get("paths")))
    return [
        Violation(
            name, "paths",
            f"negation {value!r} was added (it unselects the scenario for those files;"
            " remove it, and guard them with a new scenario if they need another one)",
        )
        for value in _strings(new.get("paths"))
        if value.startswith("!") and value not in had
    ]


def _leniency(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Violation]:
    """Keys that let an existing scenario stop blocking without touching its assertions.

    A new requirement can turn it into a permanent SKIP; more retries let a
    flaky failure pass. Dropping a requirement, fewer retries, a lower timeout
    or an edited command only make it stricter or fix it, so they pass.
    """
    out: list[Violation] = []
    had = set(_strings(old.get("requires")))
    for req in _strings(new.get("requires")):
        if req not in had:
            out.append(Violation(
                name, "requires",
                f"requirement {req!r} was added (unmet, it turns the scenario into a SKIP; put it on a new scenario instead)",
            ))
    old_retries, new_retries = _count(old.get("retries")), _count(new.get("retries"))
    if new_retries > old_retries:
        out.append(Violation(
            name, "retries",
            f"raised from {old_retries} to {new_retries} (a retry lets a flaky failure pass; restore {old_retries})",
        ))
    return out


def _settings(base: dict[str, Any], current: dict[str, Any]) -> list[Violation]:
    """Settings that weaken every scenario at once, or the policy that guards them."""
    was, now = _table(base.get("settings")), _table(current.get("settings"))
    out: list[Violation] = []
    if was.get("fail_on_skip") is True and now.get("fail_on_skip") is not True:
        out.append(Violation(
            None, "settings.fail_on_skip",
            "changed from true to false (a SKIP would no longer block; restore true)",
        ))
    kept = set(_strings(now.get("agent_env")))
    for var in _strings(was.get("agent_env")):
        # The default agent variables count whatever agent_env says: dropping one weakens nothing.
        if var not in kept and var not in DEFAULT_AGENT_ENV:
            out.append(Violation(
                None, "settings.agent_env",
                f"agent variable {var!r} was removed (an agent that sets it would pass as a person; put it back)",
            ))
    out.extend(_build(was, now))
    out.extend(_steering(was, now))
    return out


def _steering(was: dict[str, Any], now: dict[str, Any]) -> list[Violation]:
    """Settings that decide what a gate looks at: which base a task's branch is compared
    with, how a task is found from the branch, and what an unguarded change costs."""
    out: list[Violation] = []
    for key, why in (
        ("base_ref", "the commits a task's gate looks at would change"),
        ("task_branch_pattern", "which task a branch belongs to would change"),
    ):
        if key in was and now.get(key) != was.get(key):
            out.append(Violation(
                None, f"settings.{key}",
                f"changed from {_inline(was[key])} to {_inline(now.get(key))} ({why}; restore it)",
            ))
    if was.get("unguarded") in ("block", "all") and now.get("unguarded", "warn") == "warn":
        out.append(Violation(
            None, "settings.unguarded",
            f"changed from {_inline(was['unguarded'])} to \"warn\" (a change no scenario guards would pass; restore it)",
        ))
    return out


def _build(was: dict[str, Any], now: dict[str, Any]) -> list[Violation]:
    """The build step removed or changed: scenarios would run against a stale install, or a build that skips the code."""
    if "build" not in was or now.get("build") == was.get("build"):
        return []
    if "build" not in now:
        what = "was removed (scenarios would test whatever is installed, not this code; restore it)"
    else:
        what = f"changed from {_inline(was['build'])} to {_inline(now['build'])} (scenarios may no longer test this code; restore it)"
    return [Violation(None, "settings.build", what)]


def _assertions(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    for key in LIST_ASSERTIONS:
        kept = set(_strings(new.get(key)))
        for value in _strings(old.get(key)):
            if value not in kept:
                out.append(Violation(
                    name, f"expect.{key}",
                    f"assertion {value!r} was removed or changed (restore it; add new assertions beside it)",
                ))
    if "stdout_equals" in old and old.get("stdout_equals") != new.get("stdout_equals"):
        out.append(Violation(
            name, "expect.stdout_equals", "the expected output was removed or changed (restore it)",
        ))
    for key in TABLE_ASSERTIONS:
        kept_checks = _tables(new.get(key))
        for check in _tables(old.get(key)):
            if check not in kept_checks:
                out.append(Violation(
                    name, f"expect.{key}",
                    f"check {_inline(check)} was removed or changed (restore it; add new checks beside it)",
                ))
    return out


def _deleted_files(old: dict[str, dict[str, Any]], gone: set[str]) -> list[Violation]:
    users: dict[str, list[str]] = {}
    for name, sc in old.items():
        script = sc.get("script")
        if isinstance(script, str):
            users.setdefault(posixpath.normpath(script), []).append(name)
    out = []
    for path in sorted(gone):
        used = users.get(path)
        by = f" (scenario {', '.join(repr(u) for u in used)} runs it)" if used else ""
        out.append(Violation(None, None, f"script {path} was deleted{by} (restore it; edit a script, never delete it)"))
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _count(value: Any) -> int:
    """A whole number of retries; anything else (validation refuses it) as the default, 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tables(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value]
    return list(value) if isinstance(value, list) else []


def _exit_codes(expect: dict[str, Any]) -> list[Any]:
    value = expect.get("exit_code", 0)
    codes = value if isinstance(value, list) else [value]
    return sorted(codes, key=repr)


def _codes(codes: list[Any]) -> str:
    return str(codes[0]) if len(codes) == 1 else "[" + ", ".join(str(c) for c in codes) + "]"


def _inline(check: Any) -> str:
    if not isinstance(check, dict):
        return json.dumps(check, default=str)
    body = ", ".join(f"{k} = {json.dumps(v, default=str)}" for k, v in check.items())
    return "{ " + body + " }"


# ---------------------------------------------------------------- the two sides


def protected_files(doc: dict[str, Any], listed: set[str], manifest_dir: str) -> set[str]:
    """What grow-only keeps from being deleted: everything in the scenarios folder, and every script a scenario names.

    `listed` are the files in the scenarios folder (relative to the top level).
    The result is relative to the manifest's folder.
    """
    # Hidden files (.gitkeep and the like) protect nothing.
    rels = (_from_top(p, manifest_dir) for p in listed)
    found = {r for r in rels if not any(part.startswith(".") for part in r.split("/"))}
    for sc in scenarios_by_name(doc).values():
        script = sc.get("script")
        if isinstance(script, str) and script.strip():
            found.add(posixpath.normpath(script))
    return found


def to_top(rel: str, manifest_dir: str) -> str | None:
    """A path relative to the manifest's folder as one relative to the top level; None if it leaves the repository."""
    joined = posixpath.normpath(posixpath.join(manifest_dir, rel)) if manifest_dir else posixpath.normpath(rel)
    return None if joined == ".." or joined.startswith("../") or joined.startswith("/") else joined


def _from_top(path: str, manifest_dir: str) -> str:
    return posixpath.relpath(path, manifest_dir) if manifest_dir else path


def scenarios_folder(manifest_dir: str) -> str:
    return posixpath.join(manifest_dir, SCENARIOS_DIR) if manifest_dir else SCENARIOS_DIR


def at_ref(root: Path, ref: str, manifest_rel: str, doc: dict[str, Any] | None) -> frozenset[str]:
    """The protected files that exist at `ref` (for the base side)."""
    if doc is None:
        return frozenset()
    mdir = posixpath.dirname(manifest_rel)
    listed = set(git.files_at(root, ref, scenarios_folder(mdir)))
    return _present_at(root, ref, protected_files(doc, listed, mdir), mdir, listed)


def still_there(
    root: Path, wanted: frozenset[str], manifest_rel: str, staged: bool, ref: str | None = None,
) -> frozenset[str]:
    """Which of the base's protected files exist now: at `ref` when given, else in the index with `staged`, else in the work tree."""
    mdir = posixpath.dirname(manifest_rel)
    if ref is not None:
        return _present_at(root, ref, set(wanted), mdir, set(git.files_at(root, ref, scenarios_folder(mdir))))
    listed = set(git.files_staged(root, scenarios_folder(mdir))) if staged else set()
    present = set()
    for rel in wanted:
        top = to_top(rel, mdir)
        if top is None:
            continue
        if staged:
            if top in listed or git.staged_blob(root, top) is not None:
                present.add(rel)
        elif (root / top).is_file():
            present.add(rel)
    return frozenset(present)


def _present_at(root: Path, ref: str, wanted: set[str], mdir: str, listed: set[str]) -> frozenset[str]:
    present = set()
    for rel in wanted:
        top = to_top(rel, mdir)
        if top is not None and (top in listed or git.blob_at(root, ref, top) is not None):
            present.add(rel)
    return frozenset(present)
