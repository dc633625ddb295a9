"""The database itself refuses to change or remove audit rows (raw SQL, bypassing the ORM)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from secretariat.audit import triggers
from secretariat.audit.models import AuditEvent, Checkpoint

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list[Any] | None = None) -> None:
    # A savepoint, so PostgreSQL's aborted statement does not poison the test's transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'forged' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
        "UPDATE audit_checkpoint SET root_hash = 'forged'",
        "DELETE FROM audit_checkpoint",
    ],
)
def test_update_and_delete_are_refused(
    sql: str, record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    record_events(2)
    make_checkpoint()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(sql)
    assert AuditEvent.objects.get(seq=1).action == "test.event"
    assert AuditEvent.objects.count() == 2
    assert Checkpoint.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_truncate_is_refused_on_postgresql(record_events: Callable[..., Any]) -> None:
    record_events(1)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_suspended_lifts_the_triggers_and_puts_them_back(
    record_events: Callable[..., Any],
) -> None:
    record_events(2)
    with triggers.suspended():
        _raw("DELETE FROM audit_auditevent WHERE seq = 2")
    assert AuditEvent.objects.count() == 1
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditevent WHERE seq = 1")
