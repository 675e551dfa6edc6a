"""The records are declared twice: NamedTuples the type checker reads, and
collections.namedtuple at run time (importing `typing` would cost the gate
more than everything else it does). This keeps the two declarations equal."""
from __future__ import annotations

import ast
import inspect
from types import ModuleType
from typing import Any

import pytest

from smoke import git
from smoke import manifest
from smoke import selection
from smoke.records import Problem

RECORDS = [
    (manifest, "Settings"), (manifest, "Scenario"), (git, "Change"), (git, "PushedRef"),
    (selection, "Selected"), (selection, "Selector"),
]


def _declared(module: ModuleType, name: str) -> list[tuple[str, Any]]:
    """(field, default or ...) as the type checker's NamedTuple declares them."""
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == name and any(
            isinstance(b, ast.Name) and b.id == "NamedTuple" for b in node.bases
        ):
            fields = []
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    default = ... if stmt.value is None else eval(compile(ast.Expression(stmt.value), "<default>", "eval"), vars(module))
                    fields.append((stmt.target.id, default))
            return fields
    raise AssertionError(f"no NamedTuple declaration of {name} in {module.__name__}")


@pytest.mark.parametrize(("module", "name"), RECORDS, ids=[n for _, n in RECORDS])
def test_runtime_record_matches_its_declaration(module: ModuleType, name: str) -> None:
    runtime = getattr(module, name)
    declared = _declared(module, name)
    assert list(runtime._fields) == [f for f, _ in declared]
    assert runtime._field_defaults == {f: d for f, d in declared if d is not ...}


def test_a_problem_renders_its_place_apart_from_what_it_is() -> None:
    script = Problem("m.toml", 12, "x.sh does not exist", scenario="login", key="script", hint="looked for /r/x.sh")
    assert str(script) == "m.toml:12: scenario 'login' key 'script': x.sh does not exist (looked for /r/x.sh)"
    assert script.what() == "scenario 'login' key 'script': x.sh does not exist (looked for /r/x.sh)"
    assert str(Problem("m.toml", 4, "missing 'name'", scenario=2)) == "m.toml:4: scenario #2: missing 'name'"
    assert str(Problem("m.toml", 3, "unknown key", key="jobz")) == "m.toml:3: settings key 'jobz': unknown key"
    assert str(Problem("m.toml", 7, "TOML syntax error: x", column=9)) == "m.toml:7:9: TOML syntax error: x"
    assert str(Problem(None, None, "fix them first")) == "fix them first"
