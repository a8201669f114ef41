"""Architecture rules as tests: who may import whom, and where SQL may run.

Imports are read from the source (module level and inside functions alike), so a cycle held apart
by a function-level import is still a cycle. `server/__init__.py` (create_app, the one module that
wires every package) and `server/cli.py` are left out of the graph: they see everything by design.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "sync", "forms")
WIRING = {"server", "server.cli"}
#: names that mean "this module runs SQL itself"
SQL_NAMES = {"session", "select", "update", "delete", "insert", "text", "execute"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if not MODULES[module].name == "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> set[str]:
    """Our modules this one imports, wherever in the file the import statement is."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    ours = set()
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            ours.add(name)
    return ours


GRAPH = {m: _imports(m) - WIRING for m in MODULES if m not in WIRING}


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        result.append(sorted(component))
    return result


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_forms_imports_nothing_of_ours_and_no_web_or_database_library():
    for module, path in MODULES.items():
        if not module.startswith("forms"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    assert name.split(".")[0] not in ("flask", "sqlalchemy", "flask_sqlalchemy", "server", "sync"), \
                        f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("server") and m not in WIRING))
def test_server_does_not_import_sync(module):
    assert not {m for m in GRAPH[module] if m.split(".")[0] == "sync"}, f"{module} imports sync"


def _runs_sql(path: Path) -> list[str]:
    """`db.session...`, `db.select(...)` and the like in a module: SQL run from there."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in SQL_NAMES:
            base = node.value
            if isinstance(base, ast.Name) and base.id == "db":
                if not (node.attr == "session" and _is_commit_or_rollback(tree, node)):
                    found.append(f"line {node.lineno}: db.{node.attr}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if (module or "").split(".")[0] == "sqlalchemy":
                found.append(f"line {node.lineno}: imports {module}")
    return found


def _is_commit_or_rollback(tree, session_node) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.value is session_node:
            return node.attr in ("commit", "rollback", "remove")
    return False


ROUTE_MODULES = sorted(m for m, p in MODULES.items() if p.name in ("routes.py", "pages.py", "api_routes.py"))
#: pages whose queries are being moved into their services; remove an entry once moved (issue 14 moved
#: those of cases/ and satisfaction/)
PENDING: set[str] = set()


@pytest.mark.parametrize("module", ROUTE_MODULES)
def test_route_modules_run_no_sql(module):
    if module in PENDING:
        pytest.xfail("queries still in the page module")
    assert _runs_sql(MODULES[module]) == []


def test_sql_finder_sees_sql(tmp_path):
    path = tmp_path / "routes.py"
    path.write_text("def get():\n    db.session.commit()\n    return db.session.scalar(db.select(X))\n")
    assert len(_runs_sql(path)) == 2
