"""What happened to a sent document at each external recipient (the sender's timeline), and
what a replacement or revocation does to a received one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy

from secretariat.audit.services import record
from secretariat.documents.models import Document
from secretariat.office import hooks as office_hooks
from secretariat.office.services.outgoing import external_dispatch_mark_nondurable

from . import bulk, edxml, hooks
from .models import InboxPackage, OutboxPackage, PackageKind, StatusEvent

TRANSPORT_LABELS = {
    "queued": gettext_lazy("queued for sending"),
    "delivered": gettext_lazy("delivered to the recipient's node"),
    "rejected": gettext_lazy("refused by the recipient's node"),
}
# The office's dispatch states, from the latest status.
_DISPATCH_STATE = {
    "delivered": "delivered",
    "rejected": "failed",
    edxml.STATUS_RECEIVED: "received",
    edxml.STATUS_REJECTED: "returned",
    edxml.STATUS_ACCEPTED: "accepted",
    edxml.STATUS_ASSIGNED: "assigned",
    edxml.STATUS_PROCESSING: "processing",
    edxml.STATUS_DONE: "done",
}


def label(code: str) -> str:
    if code in TRANSPORT_LABELS:
        return str(TRANSPORT_LABELS[code])
    return str(edxml.STATUS_LABELS.get(code, code))


def _event(sent: OutboxPackage, code: str, description: str, staff: str, at: dt.datetime) -> None:
    StatusEvent.objects.create(
        sent=sent, code=code, description=description[:1000], staff=staff[:150], at=at
    )
    if sent.dispatch_id is not None and code in _DISPATCH_STATE:
        external_dispatch_mark_nondurable(dispatch_id=sent.dispatch_id, state=_DISPATCH_STATE[code])


def status_received(
    *, sent: OutboxPackage, code: str, description: str, staff: str, at: dt.datetime
) -> None:
    _event(sent, code, description, staff, at)
    for observer in hooks.status_observers():
        observer.on_status(package_id=sent.pk, code=code, description=description)


def delivery_recorded(*, sent: OutboxPackage, accepted: bool, detail: str, at: dt.datetime) -> None:
    deliveries_recorded([(sent, accepted, detail, at)])


def deliveries_recorded(deliveries: Sequence[tuple[OutboxPackage, bool, str, dt.datetime]]) -> None:
    """The receipts of a batch (sent, accepted, detail, time), their events written together."""
    events = [
        StatusEvent(
            sent=sent,
            code="delivered" if accepted else "rejected",
            description=detail[:1000],
            staff="",
            at=at,
        )
        for sent, accepted, detail, at in deliveries
        if not sent.relayed and sent.kind == PackageKind.DOCUMENT
    ]
    bulk.insert(events)
    for event in events:
        if event.sent.dispatch_id is not None:
            external_dispatch_mark_nondurable(
                dispatch_id=event.sent.dispatch_id, state=_DISPATCH_STATE[event.code]
            )


def for_dispatches(dispatch_ids: Sequence[Any]) -> list[office_hooks.TimelineStep]:
    events = (
        StatusEvent.objects.filter(sent__dispatch_id__in=dispatch_ids)
        .select_related("sent")
        .order_by("created_at")
    )
    return [
        office_hooks.TimelineStep(
            recipient=event.sent.to_org,
            code=event.code,
            label=label(event.code),
            description=event.description,
            at=event.at,
        )
        for event in events
    ]


def earlier_superseded(
    *, inbox: InboxPackage, replaced_document_id: str, document: Document | None, revoked: bool
) -> InboxPackage | None:
    """Mark the earlier package of the same sender as replaced (by `inbox`) or revoked, and
    tell the unit's clerks: they decide what becomes of its processing (Art. 18)."""
    from secretariat.office.services.outgoing import notify_clerks

    earlier = (
        InboxPackage.objects.filter(
            edxml_document_id=replaced_document_id,
            from_org=inbox.from_org,
            kind=PackageKind.DOCUMENT,
        )
        .exclude(pk=inbox.pk)
        .order_by("created_at")
        .first()
    )
    if earlier is None:
        return None
    earlier.superseded_by = inbox
    earlier.revoked = revoked
    earlier.save(update_fields=["superseded_by", "revoked", "updated_at"])
    record(
        actor=None,
        action="exchange.document_revoked" if revoked else "exchange.document_replaced",
        obj=earlier,
        data={
            "package": str(earlier.package_id),
            "by": str(inbox.package_id),
            "from": inbox.from_org,
        },
    )
    if earlier.document is not None:
        subject = earlier.document.notation or earlier.document.subject[:80]
        message = (
            gettext_lazy("%(org)s revoked its document %(subject)s: delete it from the work lists.")
            if revoked
            else gettext_lazy("%(org)s replaced its document %(subject)s by a new one.")
        )
        notify_clerks(
            earlier.document.unit,
            str(message) % {"org": inbox.from_org, "subject": subject},
            "",
        )
    return earlier
