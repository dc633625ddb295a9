"""The hashed and signed forms of events and checkpoints, shared by the writer and the verifier."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from secretariat.core.canonical import canonical_json

from . import merkle
from .models import AuditEvent, Checkpoint

# prev_hash of event 1.
GENESIS_HASH = "0" * 64


# The columns an event's hash covers, in the order `body_from_values` takes them.
BODY_FIELDS = (
    "seq",
    "id",
    "at",
    "actor_id",
    "actor_username",
    "unit_id",
    "action",
    "object_type",
    "object_id",
    "before_digest",
    "after_digest",
    "client_ip",
    "data",
    "prev_hash",
)


def body_from_values(values: tuple[Any, ...]) -> dict[str, Any]:
    """The hashed body from column values in `BODY_FIELDS` order.

    Verification reads millions of rows as plain tuples (no model instances); the writer goes
    through the same function, so the two cannot drift apart.
    """
    (
        seq,
        event_id,
        at,
        actor_id,
        actor_username,
        unit_id,
        action,
        object_type,
        object_id,
        before_digest,
        after_digest,
        client_ip,
        data,
        prev_hash,
    ) = values
    return {
        "seq": seq,
        "id": str(event_id),
        # UTC with microseconds: what every database returns for the stored instant.
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": str(actor_id) if actor_id else None,
        "actor_username": actor_username,
        "unit_id": str(unit_id) if unit_id else None,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before_digest": before_digest,
        "after_digest": after_digest,
        "client_ip": client_ip,
        "data": data,
        "prev_hash": prev_hash,
    }


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def event_body(event: AuditEvent) -> dict[str, Any]:
    """The fields the chain hash covers, in a form that reads back identically from any database."""
    return body_from_values(tuple(getattr(event, name) for name in BODY_FIELDS))


def event_hash(event: AuditEvent) -> str:
    return body_hash(event_body(event))


def checkpoint_signed_text(checkpoint: Checkpoint) -> str:
    """The exact text the node key signs for a checkpoint (see `merkle.checkpoint_text`)."""
    return merkle.checkpoint_text(
        node=checkpoint.node,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        last_event_id=str(checkpoint.last_event_id or ""),
        last_event_hash=checkpoint.last_event_hash,
        signed_at=checkpoint.signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    )


def checkpoint_as_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint as one self-contained JSON object (file line, proofs, API)."""
    return {
        "id": str(checkpoint.id),
        "node": checkpoint.node,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "last_event_id": str(checkpoint.last_event_id or ""),
        "last_event_hash": checkpoint.last_event_hash,
        "signed_at": checkpoint.signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }
