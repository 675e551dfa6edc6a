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
