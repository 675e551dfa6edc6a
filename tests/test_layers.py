"""The package's layers: no import cycle inside smoke/ (imports inside functions included),
and commands are doors that import nothing from each other but their shared module."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "smoke"
# The one module the commands may share; everything else they need lives below them.
SHARED_COMMAND_MODULES = {"smoke.commands.common"}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every smoke module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from smoke import git` imports the module smoke.git; `from smoke.git import Change` imports smoke.git.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "smoke":
                found.add(target)
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:`, which never run."""
    found: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the chain of modules; None when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_sees_function_level_imports() -> None:
    graph = _graph()
    assert "smoke.git" in graph["smoke.commands.gate"]
    # manifest.py imports git only inside functions
    assert "smoke.git" in graph["smoke.manifest"]


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_inside_smoke() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_commands_import_no_other_command() -> None:
    graph = _graph()
    crossing = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("smoke.commands.")
        for target in targets
        if target.startswith("smoke.commands.") and target not in SHARED_COMMAND_MODULES
    }
    assert not crossing, f"commands importing other commands: {sorted(crossing)}"


def test_nothing_below_the_commands_imports_them() -> None:
    graph = _graph()
    upward = {
        (name, target)
        for name, targets in graph.items()
        if not name.startswith("smoke.commands") and name not in {"smoke.main", "smoke.__main__"}
        for target in targets
        if target.startswith("smoke.commands")
    }
    assert not upward, f"modules below the commands importing them: {sorted(upward)}"


def test_the_manifest_cache_key_covers_every_module_that_decides_validity() -> None:
    from smoke.cache import VALIDITY_FILES

    graph = _graph()
    seen: set[str] = set()
    todo = ["smoke.manifest"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(graph[name])
    modules = _modules()
    files = {modules[name].relative_to(PACKAGE).as_posix() for name in seen if name != "smoke.agents"}
    assert files <= set(VALIDITY_FILES), f"validation reads modules the cache key leaves out: {sorted(files - set(VALIDITY_FILES))}"
