"""Database triggers that make the audit table append-only, on SQLite and PostgreSQL.

A database administrator can still drop them; the hash chain and the signed checkpoints are what
catch such an edit (`manage.py audit_verify`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update",
    "DROP TRIGGER IF EXISTS audit_no_delete",
]

POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP; END;
       $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    f"""CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
]


def create_statements(vendor: str) -> list[str]:
    return POSTGRES_CREATE if vendor == "postgresql" else SQLITE_CREATE


def drop_statements(vendor: str) -> list[str]:
    return POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP


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
