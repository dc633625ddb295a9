"""The exchange's side of the office's and the documents' hooks: dispatches to external
organizations become packages, recalls become revocations, and the steps of a received
document's processing go back to its sender as status messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from secretariat.documents.models import Document, RegisterEntry
from secretariat.office.hooks import TimelineStep
from secretariat.office.models import ExternalDispatch, IncomingProcess, OutgoingProcess

from . import edxml, services, timeline
from .models import InboxPackage, PackageKind

# The office's incoming steps, as the national status codes say them.
_INCOMING_STATUS = {
    "instructed": edxml.STATUS_ASSIGNED,
    "in_progress": edxml.STATUS_PROCESSING,
    "completed": edxml.STATUS_DONE,
    "returned": edxml.STATUS_REJECTED,
}


class Sender:
    def problems(self, codes: Sequence[str]) -> dict[str, str]:
        return services.check_recipients(codes)

    def dispatch(
        self,
        *,
        actor: Any,
        process: OutgoingProcess,
        dispatches: Sequence[ExternalDispatch],
        replaces: OutgoingProcess | None,
    ) -> None:
        replaced = (
            [services.edxml_document_id(replaces.unit, replaces.document)]
            if replaces is not None
            else []
        )
        services.send_document_nondurable(
            actor=actor,
            document=process.document,
            unit=process.unit,
            to_codes=[dispatch.recipient_code for dispatch in dispatches],
            business="replace" if replaced else "new",
            replaces=replaced,
            dispatch_ids={dispatch.recipient_code: dispatch.pk for dispatch in dispatches},
        )

    def recall(
        self,
        *,
        actor: Any,
        process: OutgoingProcess,
        dispatches: Sequence[ExternalDispatch],
        reason: str,
    ) -> None:
        services.send_document_nondurable(
            actor=actor,
            document=process.document,
            unit=process.unit,
            to_codes=[dispatch.recipient_code for dispatch in dispatches],
            business="revoke",
            reason=reason,
            replaces=[services.edxml_document_id(process.unit, process.document)],
            dispatch_ids={dispatch.recipient_code: dispatch.pk for dispatch in dispatches},
        )

    def timeline(self, process: OutgoingProcess) -> list[TimelineStep]:
        ids = list(process.external_dispatches.values_list("pk", flat=True))
        return timeline.for_dispatches(ids) if ids else []


def _received(document: Document) -> InboxPackage | None:
    return InboxPackage.objects.filter(document=document, kind=PackageKind.DOCUMENT).first()


def _staff(actor: Any) -> str:
    """Who acted, as the status message's StaffInfo names them (nobody for the system)."""
    return str(actor) if actor is not None else ""


class Observer:
    def on_incoming(self, *, actor: Any, process: IncomingProcess, event: str, note: str) -> None:
        code = _INCOMING_STATUS.get(event)
        inbox = _received(process.document) if code else None
        if inbox is not None and code is not None:
            services.send_status_nondurable(
                actor=actor,
                inbox=inbox,
                code=code,
                description=note,
                staff=_staff(actor),
            )


class Registration:
    def on_registered(
        self, *, actor: Any | None, document: Document, entry: RegisterEntry, kind: str
    ) -> None:
        if kind != "incoming":
            return
        inbox = _received(document)
        if inbox is not None:
            services.send_status_nondurable(
                actor=actor,
                inbox=inbox,
                code=edxml.STATUS_ACCEPTED,
                description=f"{entry.number}" if getattr(entry, "number", None) else "",
                staff=_staff(actor),
            )


SENDER = Sender()
OBSERVER = Observer()
REGISTRATION = Registration()
