"""Read queries of the exchange: the node's state and its message log."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from . import directory, identity
from .models import InboxPackage, OutboxPackage, Quarantine


def _counts(queryset: Any) -> dict[str, int]:
    return {
        row["state"]: row["n"]
        for row in queryset.values("state").annotate(n=Count("pk")).order_by("state")
    }


def outbox_row(row: OutboxPackage) -> dict[str, Any]:
    return {
        "package_id": str(row.package_id),
        "kind": row.kind,
        "from_org": row.from_org,
        "to_org": row.to_org,
        "to_node": row.to_node,
        "next_hop": row.next_hop,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "relayed": row.relayed,
        "business": row.business,
        "status_code": row.status_code,
        "document_id": row.edxml_document_id,
        "digest": row.digest,
        "created_at": row.created_at.isoformat(),
        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
        "events": [event.code for event in row.events.all()],
    }


def inbox_row(row: InboxPackage) -> dict[str, Any]:
    return {
        "package_id": str(row.package_id),
        "kind": row.kind,
        "from_node": row.from_node,
        "from_org": row.from_org,
        "to_org": row.to_org,
        "state": row.state,
        "business": row.business,
        "status_code": row.status_code,
        "document_id": row.edxml_document_id,
        "document": str(row.document_id) if row.document_id else None,
        "revoked": row.revoked,
        "superseded_by": str(row.superseded_by_id) if row.superseded_by_id else None,
        "trace": [hop["node"] for hop in row.trace],
        "digest": row.digest,
        "import_error": row.import_error,
        "created_at": row.created_at.isoformat(),
    }


def quarantine_row(row: Quarantine) -> dict[str, Any]:
    return {
        "id": str(row.pk),
        "package_id": row.package_id,
        "from_node": row.from_node,
        "from_org": row.from_org,
        "reason": row.reason,
        "detail": row.detail,
        "digest": row.digest,
        "released": row.released_at is not None,
        "created_at": row.created_at.isoformat(),
    }


def status(*, limit: int = 1000) -> dict[str, Any]:
    node = identity.identity()
    snap = directory.snapshot()
    return {
        "node": None
        if node is None
        else {"node_id": node.node_id, "name": node.name, "address": node.address},
        "directory_version": snap.version if snap else None,
        "outbox": _counts(OutboxPackage.objects.all()),
        "inbox": _counts(InboxPackage.objects.all()),
        "quarantine": {
            "waiting": Quarantine.objects.filter(released_at__isnull=True).count(),
            "reasons": {
                row["reason"]: row["n"]
                for row in Quarantine.objects.values("reason").annotate(n=Count("pk")).order_by()
            },
        },
        "outbox_packages": [
            outbox_row(row)
            for row in OutboxPackage.objects.defer("receipt").prefetch_related("events")[:limit]
        ],
        "inbox_packages": [
            inbox_row(row)
            for row in InboxPackage.objects.defer("content_sealed", "receipt")[:limit]
        ],
        "quarantined": [quarantine_row(row) for row in Quarantine.objects.defer("frame")[:limit]],
    }
