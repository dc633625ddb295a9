"""The only writer of the audit log.

`record` appends one chained event in the caller's transaction, so the event exists exactly when
the change it describes does. `checkpoint_create` signs the Merkle tree head over the log and
ships it to an append-only file. `verify_log` (in `verification.py`) checks all of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from secretariat.core import clock, keys, locks
from secretariat.core.canonical import canonical_json, digest
from secretariat.core.context import current as current_context
from secretariat.core.ids import uuid7

from . import live, merkle
from .chain import (
    GENESIS_HASH,
    checkpoint_as_dict,
    checkpoint_signed_text,
    event_body,
    event_hash,
)
from .models import AuditEvent, Checkpoint
from .verification import VerifyResult, verify_log

__all__ = [
    "GENESIS_HASH",
    "VerifyResult",
    "checkpoint_as_dict",
    "checkpoint_create",
    "checkpoint_signed_text",
    "event_body",
    "event_hash",
    "record",
    "verify_log",
]

# Appends are serialized by the node's write lock (core.locks), which every row-locking write
# takes first too, so lock order is the same everywhere. Checkpoints use a separate key: two
# checkpoint writers must not sign two different heads at once, but they need not block
# appenders.
_CHECKPOINT_LOCK_KEY = 0x5EC2E7A3


def _chain_head() -> tuple[int, str] | None:
    """(seq, hash) of the last event; one probe of the primary key index however long the log."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _insert(event: AuditEvent) -> None:
    """INSERT the event with one prepared statement.

    Why not `event.save()`: on the append path the ORM's query building cost as much as the
    database work (see bench/audit_append.py). The columns and their conversions are still the
    model's (`get_db_prep_save`), so the row is exactly what `save()` would write.
    """
    fields = AuditEvent._meta.concrete_fields
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
            params,
        )
    event._state.adding = False
    event._state.db = connection.alias


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
    # Store exactly what is hashed: a UUID or date in `data` would hash as its str() but the
    # JSON column would refuse it or read back differently.
    stored_data = json.loads(canonical_json(data)) if data else {}

    locks.serialize_writes()
    head = _chain_head()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
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
        data=stored_data,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    _insert(event)
    # Live activity only once the event is real: a rolled-back change must not flash by.
    transaction.on_commit(lambda: live.publish_event(seq=seq, action=action))
    return event


# --- Checkpoints ----------------------------------------------------------------------------


def _frontier_from(previous: Checkpoint | None) -> merkle.CompactRange:
    if previous is not None:
        try:
            return merkle.CompactRange(
                previous.tree_size, [bytes.fromhex(h) for h in previous.frontier]
            )
        except (ValueError, TypeError):
            pass  # an older or damaged row: hash the whole log instead
    return merkle.CompactRange()


@transaction.atomic(durable=True)
def checkpoint_create() -> Checkpoint | None:
    """Sign the tree head over every event so far; the latest checkpoint when nothing is new,
    None while the log is empty.

    Not itself an audit event: it would add an event to the log it seals, so there would always
    be a new event and every run would sign a new head.
    """
    locks.advisory_lock(_CHECKPOINT_LOCK_KEY)
    previous = Checkpoint.objects.order_by("-tree_size", "-signed_at").first()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "id", "hash").first()
    if last is None:
        return previous
    tree_size, last_id, last_hash = last
    if previous is not None and previous.tree_size >= tree_size:
        return previous

    frontier = _frontier_from(previous)
    # Appenders commit in seq order (chain lock), so every snapshot holds a gap-free prefix.
    new_hashes = (
        AuditEvent.objects.filter(seq__gt=frontier.size, seq__lte=tree_size)
        .order_by("seq")
        .values_list("hash", flat=True)
        .iterator(chunk_size=5000)
    )
    for h in new_hashes:
        frontier.append(merkle.leaf_hash(bytes.fromhex(h)))
    if frontier.size != tree_size:
        raise RuntimeError(
            f"audit log has {frontier.size} events up to seq {tree_size}: run audit_verify"
        )

    private_key = keys.node_signing_key()
    checkpoint = Checkpoint(
        id=uuid7(),
        tree_size=tree_size,
        root_hash=frontier.root().hex(),
        last_event_id=last_id,
        last_event_hash=last_hash,
        signed_at=clock.now(),
        node=settings.NODE_NAME,
        key_id=keys.key_id(private_key.public_key()),
        frontier=[h.hex() for h in frontier.subtrees],
    )
    checkpoint.signature = private_key.sign(
        checkpoint_signed_text(checkpoint).encode("utf-8")
    ).hex()
    checkpoint.save(force_insert=True)
    line = checkpoint_as_dict(checkpoint) | {
        "public_key": keys.public_key_hex(private_key.public_key())
    }
    # After commit only: a line in the file for a checkpoint the database rolled back would read
    # as a deleted checkpoint. A crash between the two leaves the row without its line, which
    # verification tolerates (the file may also be rotated or shipped away).
    transaction.on_commit(lambda: _append_checkpoint_line(line))
    return checkpoint


def _append_checkpoint_line(line: dict[str, Any]) -> None:
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = (json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    # O_APPEND: each line lands whole at the end even with several writers; fsync so a signed
    # head we told the world about survives a power cut.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
