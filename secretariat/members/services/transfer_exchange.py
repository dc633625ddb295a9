"""A transfer of Party activity out of the node, sent through the secure exchange.

When the receiving organization's electronic code is in the exchange directory,
`transfer_out_via_exchange` records the `TRANSFER_OUT` event (pending), produces the
introduction letter (giấy giới thiệu sinh hoạt đảng, `transfer_letter_pdf`) as a document of
the member's unit in the document store, and queues it through the exchange to that
organization — one transaction: the event, the document, the package and the audit event, or
nothing. The event keeps the code, the letter and the package id.

The transfer stays pending until the receiving organization answers: `on_exchange_status` is
the observer the exchange must call with each status message of a sent package (see
docs/members.md: the exchange has no such hook yet); "03 accepted" or a later step (04 assigned,
05 processing, 06 done) confirms the transfer, "02 returned" tells the records officers. Until
the hook exists the sending unit's officer confirms by hand as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock
from secretariat.core.errors import ValidationFailed
from secretariat.documents.services import (
    IncomingFile,
    capture_prepare,
    clean_metadata,
    documents_capture_prepared_nondurable,
)
from secretariat.exchange import directory
from secretariat.exchange import services as exchange
from secretariat.office.services.notifications import notify

from ..choices import EventKind
from ..models import Member, MemberEvent
from ..transfer_letter_pdf import render_letter_pdf
from ._common import lock_member, record, require_manage
from .events import member_event_record_nondurable, member_transfer_confirm_nondurable
from .probation import member_link, records_officers

# Status codes of the receiving organization that mean the transfer is accepted (edXML status:
# 03 accepted, 04 assigned, 05 processing, 06 done). "01 received" only says the package
# arrived; "02 returned" is a refusal.
ACCEPTING_CODES = frozenset({"03", "04", "05", "06"})
RETURNED_CODE = "02"


def _check_code(to_code: str) -> str:
    to_code = (to_code or "").strip()
    if not to_code:
        message = _("Enter the receiving organization's electronic code.")
        raise ValidationFailed(message, field_errors={"external_code": [message]})
    problems = exchange.check_recipients([to_code])
    if problems:
        problem = problems[to_code]
        raise ValidationFailed(problem, field_errors={"external_code": [problem]})
    return to_code


def _letter_number(decision_number: str) -> tuple[str, str]:
    """The letter's number and notation, from the transfer decision's ("123-QĐ/ĐU" → "123",
    "QĐ/ĐU"): a document sent through the exchange must have one."""
    value = (decision_number or "").strip()
    if not value:
        message = _(
            "Enter the decision number: the introduction letter sent through the exchange "
            "carries it."
        )
        raise ValidationFailed(message, field_errors={"decision_number": [message]})
    number, _dash, notation = value.partition("-")
    number, notation = number.strip(), notation.strip()
    if len(number) > 20 or len(notation) > 60:
        message = _("The decision number is too long for the letter (like 123-QĐ/ĐU).")
        raise ValidationFailed(message, field_errors={"decision_number": [message]})
    return number, notation


def transfer_out_via_exchange(
    *,
    actor: Any | None,
    member: Member,
    to_code: str,
    effective_on: dt.date,
    destination: str = "",
    decision_number: str = "",
    decision_date: dt.date | None = None,
    issuing_unit: Any = None,
    issuing_body: str = "",
    reason: str = "",
) -> MemberEvent:
    """Record a transfer out of the node to the organization `to_code` (in the exchange
    directory) and send it the introduction letter. Refused, with nothing written, when the
    code cannot be reached, the event cannot follow the member's history, or the actor is not
    a records officer of the member's unit."""
    require_manage(actor, member.unit)
    to_code = _check_code(to_code)
    number, notation = _letter_number(decision_number)
    destination = (destination or "").strip()[:255]
    if not destination:
        snap = directory.snapshot()
        destination = (snap.organization_names.get(to_code, "") if snap else "")[:255]
    # The letter is rendered and read before the transaction (the slow part).
    fresh = Member.objects.select_related("unit").get(pk=member.pk)
    pdf = render_letter_pdf(
        member=fresh,
        to_code=to_code,
        destination=destination,
        effective_on=effective_on,
        decision_number=(decision_number or "").strip(),
        issued_on=clock.today(),
    )
    prepared = capture_prepare(
        [IncomingFile(f"gioi-thieu-sinh-hoat-dang-{to_code}.pdf", pdf, "application/pdf")]
    )
    subject = f"Giấy giới thiệu sinh hoạt đảng — {fresh.full_name}"
    with transaction.atomic(durable=True):
        event = member_event_record_nondurable(
            actor=actor,
            member=member,
            kind=EventKind.TRANSFER_OUT,
            effective_on=effective_on,
            decision_number=decision_number,
            decision_date=decision_date,
            issuing_unit=issuing_unit,
            issuing_body=issuing_body,
            reason=reason,
            external_destination=destination or to_code,
        )
        locked = lock_member(member)
        [letter] = documents_capture_prepared_nondurable(
            actor=actor,
            unit=locked.unit,
            prepared=prepared,
            metadata=clean_metadata(
                {
                    "subject": subject,
                    "number": number,
                    "notation": notation,
                    "issued_on": clock.today(),
                    "issuing_body": (locked.unit.name or "")[:255],
                    "recipients": destination or to_code,
                }
            ),
        )
        [package] = exchange.send_document_nondurable(
            actor=actor, document=letter, unit=locked.unit, to_codes=[to_code]
        )
        event.external_code = to_code
        event.introduction_letter = letter
        event.exchange_package = str(package.pk)
        event.save(
            update_fields=["external_code", "introduction_letter", "exchange_package", "updated_at"]
        )
        record(
            actor,
            "members.transfer_sent",
            locked,
            obj=event,
            data={
                "to_code": to_code,
                "document": str(letter.pk),
                "package": str(package.pk),
            },
        )
    return event


def on_exchange_status(*, package_id: str, code: str, description: str = "") -> bool:
    """The exchange's news about a sent package (inside its transaction). Confirms the
    transfer out of the node it carried when the receiving organization accepted it; tells
    the records officers when it was returned. Whether a transfer was confirmed."""
    event = (
        MemberEvent.objects.select_related("member")
        .filter(exchange_package=str(package_id), kind=EventKind.TRANSFER_OUT)
        .first()
    )
    if event is None or event.confirmed_at is not None:
        return False
    member = lock_member(event.member_id)
    if member.pending_transfer_id != event.pk:
        return False
    if code in ACCEPTING_CODES:
        member_transfer_confirm_nondurable(
            actor=None,
            event=event,
            data={"exchange_status": code, "package": event.exchange_package},
        )
        return True
    if code == RETURNED_CODE:
        link = member_link(member)
        for officer in records_officers(unit=member.unit):
            with translation.override(officer.language or settings.LANGUAGE_CODE):
                notify(
                    user=officer,
                    message=str(
                        _(
                            "%(org)s returned the introduction letter of %(name)s: the transfer "
                            "out of the node is not accepted. %(note)s"
                        )
                        % {
                            "org": event.external_code,
                            "name": member.full_name,
                            "note": description[:300],
                        }
                    ),
                    link=link,
                )
        record(
            None,
            "members.transfer_returned",
            member,
            obj=event,
            data={"package": event.exchange_package, "code": code},
        )
    return False


class TransferStatusObserver:
    """What the exchange's status hook calls (see the module docstring)."""

    def on_status(self, *, package_id: Any, code: str, description: str = "") -> None:
        on_exchange_status(package_id=str(package_id), code=code, description=description)


STATUS_OBSERVER = TransferStatusObserver()

__all__ = [
    "ACCEPTING_CODES",
    "STATUS_OBSERVER",
    "on_exchange_status",
    "transfer_out_via_exchange",
]
