"""Inclusion proofs of one event against a signed checkpoint (what `audit_proof` prints)."""

from __future__ import annotations

from typing import Any

from secretariat.core import keys

from . import merkle
from .chain import checkpoint_as_dict, checkpoint_signed_text, event_body
from .models import AuditEvent, Checkpoint


class NoCoveringCheckpoint(Exception):
    """No checkpoint covers the event yet: run `manage.py audit_checkpoint` first."""


def latest_covering_checkpoint(event: AuditEvent) -> Checkpoint | None:
    """The latest checkpoint whose tree contains `event`."""
    return (
        Checkpoint.objects.filter(tree_size__gte=event.seq)
        .order_by("-tree_size", "-signed_at")
        .first()
    )


def proof_document(event: AuditEvent) -> dict[str, Any]:
    """A self-contained proof that `event` is in the log a signed checkpoint commits to.

    `merkle.verify_proof_document` checks it without the database or Django.
    """
    checkpoint = latest_covering_checkpoint(event)
    if checkpoint is None:
        raise NoCoveringCheckpoint(event.seq)
    # The proof needs every leaf of the signed tree; 32 bytes each, so tens of MB at a million.
    leaves = [
        merkle.leaf_hash(bytes.fromhex(h))
        for h in AuditEvent.objects.filter(seq__lte=checkpoint.tree_size)
        .order_by("seq")
        .values_list("hash", flat=True)
        .iterator(chunk_size=5000)
    ]
    index = event.seq - 1
    path = merkle.inclusion_proof(index, leaves)
    public_key = keys.public_key_hex(keys.node_public_key())
    return {
        "format": merkle.PROOF_FORMAT,
        "event": event_body(event),
        "event_hash": event.hash,
        "leaf_hash": leaves[index].hex(),
        "leaf_index": index,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "audit_path": [p.hex() for p in path],
        "checkpoint": checkpoint_as_dict(checkpoint)
        | {"signed_text": checkpoint_signed_text(checkpoint)},
        "public_key": public_key,
    }
