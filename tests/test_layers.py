"""Persistence owns every SQL statement: a module of queue_server outside persistence/ holds none, so a second
database adapter (PostgreSQL) replaces persistence/ alone. The import rules between the layers are lint-imports'
(pyproject.toml); this checks what an import rule cannot see."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import queue_server

PACKAGE = Path(queue_server.__file__).parent

# A string that starts like a statement, whatever its case. Each keyword must be followed by the shape of its
# statement, so prose that merely begins with one of these words ("Delete the records ...", "create an account")
# is not a statement.
_STATEMENT = re.compile(
    r"""
    SELECT\s+(?:DISTINCT\s+)?(?:\d|\*|\S.*?\bFROM\s)
    | INSERT\s+(?:OR\s+\w+\s+)?INTO\s
    | UPDATE\s+\S+\s+SET\s
    | DELETE\s+FROM\s
    | CREATE\s+(?:UNIQUE\s+|TEMP\s+|TEMPORARY\s+|VIRTUAL\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\s
    | WITH\s+(?:RECURSIVE\s+)?\w+\s*(?:\([^)]*\)\s*)?AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\(
    | PRAGMA\s+\w+
    """,
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)


def is_statement(text: str) -> bool:
    return _STATEMENT.match(text.strip() + " ") is not None


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants: prose about the database may name a statement ("its INSERT would fail")."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _text(node: ast.expr) -> str:
    """A string expression's text, with `{}` for what is only known when it runs (f-strings, `+`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(part) if isinstance(part, ast.Constant) else "{}" for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return "{}"


def statements(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string in the source that is an SQL statement."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp):
            text = _text(node)
            if text != "{}" and is_statement(text):
                yield node.lineno, " ".join(text.split())[:80]


def test_no_sql_outside_persistence() -> None:
    modules = [p for p in sorted(PACKAGE.rglob("*.py")) if p.relative_to(PACKAGE).parts[0] != "persistence"]
    assert len(modules) > 30  # the package was found
    found = [
        f"queue_server/{path.relative_to(PACKAGE).as_posix()}:{line}: {text}"
        for path in modules
        for line, text in statements(path.read_text(encoding="utf-8"))
    ]
    assert not found, "SQL outside queue_server/persistence/ (give it a named method there):\n" + "\n".join(found)


def test_persistence_is_scanned_the_same_way() -> None:
    """The check sees the statements where they belong: it would not pass by seeing none anywhere."""
    found = [hit for path in (PACKAGE / "persistence").glob("*.py") for hit in statements(path.read_text("utf-8"))]
    kinds = {text.split()[0].upper() for _, text in found}
    assert {"SELECT", "INSERT", "UPDATE", "DELETE", "PRAGMA"} <= kinds


@pytest.mark.parametrize(
    "source",
    [
        'x = "SELECT 1 FROM users WHERE username = ?"',
        'x = "  select id, doc from tickets"',
        'x = """\nSELECT t.id\nFROM tickets t\n"""',
        'x = "SELECT COUNT(*) FROM events"',
        'x = f"SELECT {cols} FROM tickets WHERE id IN ({marks})"',
        'x = "SELECT " + cols + " FROM tickets"',
        'x = "INSERT INTO users (a) VALUES (?)"',
        'x = "insert or replace into closed_days (site) values (?)"',
        'x = "UPDATE devices SET revoked_at = ? WHERE id = ?"',
        'x = "DELETE FROM sessions WHERE user_id = ?"',
        'x = "CREATE TABLE notes (ticket TEXT)"',
        'x = "create unique index tickets_number on tickets (series)"',
        'x = "WITH recent AS (SELECT 1) SELECT * FROM recent"',
        'x = "PRAGMA query_only=1"',
        'f(sql="SELECT 1")',
    ],
)
def test_statements_are_found(source: str) -> None:
    assert [line for line, _ in statements(source)] == [1]


@pytest.mark.parametrize(
    "source",
    [
        '"""Delete the idempotency records older than RETENTION."""',
        'def f():\n    """SELECT 1 FROM users: a docstring may quote a statement."""',
        'x = "create an account"',
        'x = "Delete the records of keys older than before"',
        'x = "update the running text"',
        'x = "With `audit`, the entry is written in the same transaction"',
        'x = "selected"',
        'x = "Pragmatic"',
    ],
)
def test_prose_is_not_a_statement(source: str) -> None:
    assert list(statements(source)) == []


def test_no_import_cycles_between_any_two_modules() -> None:
    """The layers contract (pyproject.toml, lint-imports) forbids cycles between packages; this finds one between
    any modules at all, inside a package too, counting imports inside functions (grimp sees every import)."""
    import grimp

    graph = grimp.build_graph("queue_server", "display", "citizen", "supervisor", "counter_client", "sounds")
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_the_domain_imports_only_the_standard_library() -> None:
    """What the pure-domain contract (pyproject.toml) cannot say: it forbids a list of packages, and a dependency
    added later would not be on it. Any import outside the standard library and the domain itself fails here."""
    import sys

    import grimp

    graph = grimp.build_graph("queue_server", include_external_packages=True)
    outside = {
        f"{module} -> {imported}"
        for module in graph.find_descendants("queue_server.domain") | {"queue_server.domain"}
        for imported in graph.find_modules_directly_imported_by(module)
        if not imported.startswith("queue_server.domain") and imported.split(".")[0] not in sys.stdlib_module_names
    }
    assert not outside, f"the domain imports outside the standard library: {sorted(outside)}"
