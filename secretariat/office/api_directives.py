"""Directive endpoints, mounted at `/api/v1/office/directives`.

A directive or receiving unit outside the caller's scope answers 404 (its existence is not
revealed). Errors are the API's JSON errors, raised as `core.errors` exceptions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from pydantic import Field

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents import selectors as document_selectors
from secretariat.orgs.models import Unit

from . import selectors_directives as selectors
from .models import Directive, DirectiveRecipient
from .services import directives as services

router = Router(tags=["office"])


class DirectiveIn(Schema):
    unit_code: str = Field(description="The sending unit (the caller leads it)")
    title: str
    body: str
    target_code: str = Field(description="The sending unit or a unit below it")
    include_subtree: bool = True
    acknowledge_within_hours: int = Field(24, ge=1, le=services.MAX_ACKNOWLEDGE_HOURS)
    report_by: dt.date | None = None
    document_id: UUID | None = None


class DirectiveOut(Schema):
    id: UUID
    title: str
    body: str
    unit_code: str
    target_code: str
    include_subtree: bool
    sent_at: dt.datetime
    acknowledge_by: dt.datetime
    report_by: dt.date | None
    document_id: UUID | None


class RecipientOut(Schema):
    id: UUID
    unit_code: str
    unit_name: str
    received_at: dt.datetime | None
    read_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    reported_at: dt.datetime | None
    report: str
    escalated_at: dt.datetime | None


class CountsOut(Schema):
    total: int
    read: int
    acknowledged: int
    reported: int
    escalated: int


class DirectiveDetailOut(DirectiveOut):
    # False when the caller is on a receiving side: the matrix then holds only their units.
    complete: bool
    counts: CountsOut
    matrix: list[RecipientOut]


class ReportIn(Schema):
    text: str = Field(max_length=services.REPORT_MAX)


def _directive_out(directive: Directive) -> dict[str, Any]:
    return {
        "id": directive.pk,
        "title": directive.title,
        "body": directive.body,
        "unit_code": directive.unit.code,
        "target_code": directive.target.code,
        "include_subtree": directive.include_subtree,
        "sent_at": directive.created_at,
        "acknowledge_by": directive.acknowledge_by,
        "report_by": directive.report_by,
        "document_id": directive.document_id,
    }


def _recipient_out(recipient: DirectiveRecipient) -> dict[str, Any]:
    return {
        "id": recipient.pk,
        "unit_code": recipient.unit.code,
        "unit_name": recipient.unit.name,
        "received_at": recipient.received_at,
        "read_at": recipient.read_at,
        "acknowledged_at": recipient.acknowledged_at,
        "reported_at": recipient.reported_at,
        "report": recipient.report,
        "escalated_at": recipient.escalated_at,
    }


def _unit(code: str, field: str) -> Unit:
    unit = Unit.objects.filter(code=code.strip()).first() if code.strip() else None
    if unit is None:
        message = _("No such unit.")
        raise ValidationFailed(message, field_errors={field: [message]})
    return unit


@router.post("/", response={201: DirectiveOut}, summary="Send a directive to a unit or subtree")
def send_directive(request: HttpRequest, payload: DirectiveIn) -> Status[dict[str, Any]]:
    # Refuse callers who lead no unit at all before reading what the body names.
    if not policy.can(request.user, Action.OFFICE_INSTRUCT):
        raise PermissionDenied(_("You do not have permission to do this here."))
    document = None
    if payload.document_id is not None:
        document = (
            document_selectors.documents_visible_to(user=request.user)
            .filter(pk=payload.document_id)
            .first()
        )
        if document is None:
            message = _("No such document.")
            raise ValidationFailed(message, field_errors={"document_id": [message]})
    directive = services.directive_send(
        actor=request.user,
        unit=_unit(payload.unit_code, "unit_code"),
        title=payload.title,
        body=payload.body,
        target=_unit(payload.target_code, "target_code"),
        include_subtree=payload.include_subtree,
        acknowledge_within_hours=payload.acknowledge_within_hours,
        report_by=payload.report_by,
        document=document,
    )
    return Status(201, _directive_out(directive))


@router.get("/", response=list[DirectiveOut], summary="Directives sent or received by my units")
def list_directives(
    request: HttpRequest, box: Literal["all", "sent", "received"] = "all"
) -> list[dict[str, Any]]:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if box == "sent":
        items = selectors.directives_sent(user=request.user)
    elif box == "received":
        seen: dict[Any, Directive] = {}
        for row in selectors.recipients_received(user=request.user):
            seen.setdefault(row.directive_id, row.directive)
        items = list(seen.values())
    else:
        items = list(selectors.directives_visible_to(user=request.user)[:100])
    return [_directive_out(d) for d in items]


@router.get("/{directive_id}", response=DirectiveDetailOut, summary="A directive with its matrix")
def get_directive(request: HttpRequest, directive_id: UUID) -> dict[str, Any]:
    directive = selectors.directive_get(user=request.user, directive_id=directive_id)
    matrix = selectors.directive_matrix(user=request.user, directive=directive)
    return _directive_out(directive) | {
        "complete": matrix.complete,
        "counts": vars(matrix.counts),
        "matrix": [_recipient_out(r) for r in matrix.rows],
    }


@router.post(
    "/recipients/{recipient_id}/read",
    response=RecipientOut,
    summary="Record that the receiving unit opened the directive (first time only)",
)
def read_directive(request: HttpRequest, recipient_id: UUID) -> dict[str, Any]:
    recipient = selectors.recipient_get(user=request.user, recipient_id=recipient_id)
    return _recipient_out(services.directive_mark_read(actor=request.user, recipient=recipient))


@router.post(
    "/recipients/{recipient_id}/acknowledge",
    response=RecipientOut,
    summary="Acknowledge receipt for the receiving unit (a leader or records clerk of it)",
)
def acknowledge_directive(request: HttpRequest, recipient_id: UUID) -> dict[str, Any]:
    recipient = selectors.recipient_get(user=request.user, recipient_id=recipient_id)
    return _recipient_out(services.directive_acknowledge(actor=request.user, recipient=recipient))


@router.post(
    "/recipients/{recipient_id}/report",
    response=RecipientOut,
    summary="Report on the directive, after acknowledging it",
)
def report_directive(request: HttpRequest, recipient_id: UUID, payload: ReportIn) -> dict[str, Any]:
    recipient = selectors.recipient_get(user=request.user, recipient_id=recipient_id)
    updated = services.directive_report(actor=request.user, recipient=recipient, text=payload.text)
    return _recipient_out(updated)
