"""The node's write lock, and the only way to lock rows.

Every audited change appends to the one audit chain, so write transactions are serialized at the
chain's head anyway (`audit.services.record`). Taking that same lock *first*, before any row
lock, gives every transaction the same lock order — write lock, then rows — so two transactions
can never wait on each other in a cycle (a clerk registering a document while an ingest captures
one would otherwise deadlock on PostgreSQL: register row → chain against chain → register row).

On SQLite every write transaction is `IMMEDIATE` (settings), which already serializes writers at
BEGIN; nothing more is needed there.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import Manager, Model, QuerySet

# Any constant: the key of the PostgreSQL advisory lock held until the transaction ends.
WRITE_LOCK_KEY = 0x5EC2E7A2

_M = TypeVar("_M", bound=Model)


def advisory_lock(key: int) -> None:
    """Hold the PostgreSQL advisory lock `key` until the current transaction ends
    (re-entrant). Nothing on SQLite, whose IMMEDIATE write transactions already serialize."""
    if not connection.in_atomic_block:
        raise RuntimeError("an advisory lock must be taken inside a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def serialize_writes() -> None:
    """Hold the node's write lock until the current transaction ends (re-entrant)."""
    advisory_lock(WRITE_LOCK_KEY)


def for_update(queryset: QuerySet[_M] | Manager[_M], **options: Any) -> QuerySet[_M]:
    """`queryset.select_for_update(**options)`, after the write lock (see the module's note)."""
    serialize_writes()
    locked: QuerySet[_M] = queryset.select_for_update(**options)
    return locked
