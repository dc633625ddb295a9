"""The only writer of the audit log: `record` appends one chained event in the caller's
transaction, so the event exists exactly when the change it describes does."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import connection, models

from secretariat.core import clock
from secretariat.core.canonical import canonical_json, digest
from secretariat.core.context import current as current_context
from secretariat.core.ids import uuid7

from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant: the key of the PostgreSQL advisory lock that serializes appends to the chain.
_CHAIN_LOCK_KEY = 0x5EC2E7A2


def event_body(event: AuditEvent) -> dict[str, Any]:
    """The fields the chain hash covers, in a form that reads back identically from any database."""
    return {
        "seq": event.seq,
        "id": str(event.id),
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_username": event.actor_username,
        "unit_id": str(event.unit_id) if event.unit_id else None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before_digest": event.before_digest,
        "after_digest": event.after_digest,
        "client_ip": event.client_ip,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical_json(event_body(event))).hexdigest()


def _lock_chain() -> None:
    # SQLite needs nothing here: every write transaction is IMMEDIATE (settings), so appenders are
    # already serialized by the database's write lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record(
    *,
    actor: Any | None,
    action: str,
    unit: models.Model | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    before: Any = None,
    after: Any = None,
    data: dict[str, Any] | None = None,
    actor_username: str = "",
    client_ip: str | None = None,
) -> AuditEvent:
    """Append an audit event. Must run inside the transaction of the change it describes.

    `before` and `after` are JSON-able snapshots; only their digests are kept. `data` holds the few
    non-sensitive details an auditor reads in the viewer (codes, names, reasons).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    actor_pk = getattr(actor, "pk", None) if actor is not None else None
    if actor is not None and not actor_username:
        actor_username = str(getattr(actor, "username", "") or "")
    if client_ip is None:
        client_ip = current_context().client_ip

    _lock_chain()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    event = AuditEvent(
        seq=seq,
        id=uuid7(),
        at=clock.now(),
        actor_id=actor_pk,
        actor_username=actor_username or "",
        unit_id=getattr(unit, "pk", None),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before_digest=digest(before),
        after_digest=digest(after),
        client_ip=client_ip or "",
        data=data or {},
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event
