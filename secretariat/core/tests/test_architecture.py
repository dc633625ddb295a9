"""Architecture rules as tests (DESIGN.md): layers, and one way to lock rows."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
# Dependency order: an app imports only apps to its left.
LAYERS = [
    "core",
    "orgs",
    "accounts",
    "audit",
    "signing",
    "documents",
    "office",
    "exchange",
    "meetings",
    "members",
    "procedures",
    "analytics",
    "security",
    "web",
    "api",
    "demo",
]
# The audit log's writer depends on `core` alone and every service must call it inside its own
# transaction, so it is the one upward import the lower layers make (docs/architecture.md).
ALLOWED_UPWARD = {"secretariat.audit.services"}


def _sources(app: str) -> list[Path]:
    return [
        p
        for p in (PACKAGE / app).rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    ]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.startswith("secretariat.")}


def test_apps_import_only_lower_layers() -> None:
    problems = []
    for position, app in enumerate(LAYERS):
        if not (PACKAGE / app).is_dir():
            continue
        for path in _sources(app):
            for name in _imports(path):
                parts = name.split(".")
                target = parts[1]
                if target not in LAYERS or target == "config":
                    continue
                upward = LAYERS.index(target) > position
                allowed = any(name == a or name.startswith(a + ".") for a in ALLOWED_UPWARD)
                if upward and not allowed:
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert problems == []


def test_rows_are_locked_only_through_core_locks() -> None:
    """`select_for_update` without the write lock first could deadlock (see core/locks.py)."""
    offenders = [
        str(p.relative_to(PACKAGE))
        for app in LAYERS
        if (PACKAGE / app).is_dir()
        for p in _sources(app)
        if "select_for_update(" in p.read_text(encoding="utf-8") and p.name != "locks.py"
    ]
    assert offenders == []
