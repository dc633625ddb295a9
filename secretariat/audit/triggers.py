"""Database triggers that make the audit tables append-only, on SQLite and PostgreSQL.

Both the events and the signed checkpoints refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL).
A database administrator can still drop the triggers; the hash chain, the signed checkpoints and
the checkpoint file shipped elsewhere are what catch such an edit (`manage.py audit_verify`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"
CHECKPOINT_TABLE = "audit_checkpoint"
# (table, trigger name prefix): the prefix keeps the event triggers' historical names.
_TABLES = [(TABLE, "audit"), (CHECKPOINT_TABLE, "audit_checkpoint")]


def _sqlite_create(table: str, prefix: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {prefix}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {prefix}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
    ]


def _sqlite_drop(table: str, prefix: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {prefix}_no_update",
        f"DROP TRIGGER IF EXISTS {prefix}_no_delete",
    ]


_POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP; END;
       $$ LANGUAGE plpgsql"""


def _postgres_create(table: str, prefix: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {prefix}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
        f"""CREATE TRIGGER {prefix}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    ]


def _postgres_drop(table: str, prefix: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {prefix}_no_update_delete ON {table}",
        f"DROP TRIGGER IF EXISTS {prefix}_no_truncate ON {table}",
    ]


def create_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_POSTGRES_FUNCTION] + [s for t, p in _TABLES for s in _postgres_create(t, p)]
    return [s for t, p in _TABLES for s in _sqlite_create(t, p)]


def drop_statements(vendor: str) -> list[str]:
    make = _postgres_drop if vendor == "postgresql" else _sqlite_drop
    return [s for t, p in _TABLES for s in make(t, p)]


def install(conn: BaseDatabaseWrapper | None = None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        for statement in create_statements(conn.vendor):
            cursor.execute(statement)


def remove(conn: BaseDatabaseWrapper | None = None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        for statement in drop_statements(conn.vendor):
            cursor.execute(statement)


@contextmanager
def suspended(conn: BaseDatabaseWrapper | None = None) -> Iterator[None]:
    """Drop the triggers for the block, then put them back: what a database administrator with
    full rights can do. Used by the tampering tests and by test database flushes, nowhere else."""
    remove(conn)
    try:
        yield
    finally:
        install(conn)
