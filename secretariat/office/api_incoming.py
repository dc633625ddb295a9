"""Incoming processing endpoints, mounted at `/api/v1/office/incoming` (Decree 30 Art. 20–24).

A process outside the caller's scope answers 404; errors are the API's JSON errors (`core.errors`:
403 without the right, 409 for a step the state does not allow, 400 for bad input)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import Field

from secretariat.accounts import policy
from secretariat.accounts.models import User
from secretariat.accounts.policy import Action
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents.registers import display_subject
from secretariat.orgs.models import Unit

from . import selectors_incoming as selectors
from .models import CaseFile, IncomingProcess
from .services import incoming

router = Router(tags=["office"])


class ProcessOut(Schema):
    id: UUID
    state: str
    unit_code: str
    document_id: UUID
    subject: str
    notation: str
    incoming_number: int
    registered_on: dt.date
    urgency: str
    due_on: dt.date | None
    overdue: bool
    presented_to: str | None
    result_note: str
    returned_reason: str


class PresentIn(Schema):
    leader: str = Field(description="username of a leader with the instruct right on the unit")


class InstructIn(Schema):
    text: str
    lead_unit_code: str
    coordinating_unit_codes: list[str] = []
    assignees: list[str] = Field(description="usernames")
    working_days: int = Field(ge=1, le=incoming.MAX_WORKING_DAYS)


class NoteIn(Schema):
    text: str


class CompleteIn(Schema):
    result_note: str


class ReturnIn(Schema):
    reason: str


class FileIn(Schema):
    case_file_id: UUID


def _out(process: IncomingProcess) -> dict[str, Any]:
    return {
        "id": process.pk,
        "state": process.state,
        "unit_code": process.unit.code,
        "document_id": process.document_id,
        "subject": display_subject(process.document),
        "notation": process.entry.notation,
        "incoming_number": process.entry.number,
        "registered_on": process.entry.registered_on,
        "urgency": process.document.urgency,
        "due_on": process.due_on,
        "overdue": incoming.is_overdue(process),
        "presented_to": process.presented_to.username if process.presented_to else None,
        "result_note": process.result_note,
        "returned_reason": process.returned_reason,
    }


def _get(request: HttpRequest, process_id: UUID) -> IncomingProcess:
    return selectors.incoming_get(user=request.user, process_id=process_id)


def _user(username: str, field: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        message = _("No such user: %(name)s.") % {"name": username}
        raise ValidationFailed(message, field_errors={field: [message]})
    return user


def _unit(process: IncomingProcess, code: str, field: str) -> Unit:
    unit = selectors.units_below(unit=process.unit).filter(code=code).first()
    if unit is None:
        message = _("Choose the unit or one of its units.")
        raise ValidationFailed(message, field_errors={field: [message]})
    return unit


def _require(request: HttpRequest, process: IncomingProcess, action: str) -> None:
    policy.require(request.user, action, process.unit)


@router.get("/", response=list[ProcessOut], summary="Incoming processes in scope, urgent first")
def list_incoming_processes(
    request: HttpRequest, state: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise PermissionDenied(_("You do not have permission to do this here."))
    queryset = selectors.incoming_visible_to(user=request.user)
    if state:
        queryset = queryset.filter(state=state)
    return [_out(p) for p in queryset[: max(1, min(limit, 200))]]


@router.get("/{process_id}", response=ProcessOut, summary="One incoming process")
def get_incoming_process(request: HttpRequest, process_id: UUID) -> dict[str, Any]:
    return _out(_get(request, process_id))


@router.post("/{process_id}/present", response=ProcessOut, summary="Present to a leader")
def present_incoming_process(
    request: HttpRequest, process_id: UUID, payload: PresentIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    _require(request, process, Action.OFFICE_CLERK)
    leader = _user(payload.leader, "leader")
    return _out(incoming.incoming_present(actor=request.user, process=process, leader=leader))


@router.post("/{process_id}/instruct", response=ProcessOut, summary="The leader's instruction")
def instruct_incoming_process(
    request: HttpRequest, process_id: UUID, payload: InstructIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    _require(request, process, Action.OFFICE_INSTRUCT)
    incoming.incoming_instruct(
        actor=request.user,
        process=process,
        text=payload.text,
        lead_unit=_unit(process, payload.lead_unit_code, "lead_unit_code"),
        coordinating_units=[
            _unit(process, code, "coordinating_unit_codes")
            for code in payload.coordinating_unit_codes
        ],
        assignees=[_user(name, "assignees") for name in payload.assignees],
        working_days=payload.working_days,
    )
    return _out(_get(request, process_id))


@router.post("/{process_id}/note", response=ProcessOut, summary="A progress note")
def note_incoming_process(
    request: HttpRequest, process_id: UUID, payload: NoteIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    return _out(incoming.incoming_note(actor=request.user, process=process, text=payload.text))


@router.post("/{process_id}/complete", response=ProcessOut, summary="Mark as handled")
def complete_incoming_process(
    request: HttpRequest, process_id: UUID, payload: CompleteIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    return _out(
        incoming.incoming_complete(
            actor=request.user, process=process, result_note=payload.result_note
        )
    )


@router.post("/{process_id}/return", response=ProcessOut, summary="Return to the sender")
def return_incoming_process(
    request: HttpRequest, process_id: UUID, payload: ReturnIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    return _out(
        incoming.incoming_return(actor=request.user, process=process, reason=payload.reason)
    )


@router.post("/{process_id}/file", response=ProcessOut, summary="File in a case file")
def file_incoming_process(
    request: HttpRequest, process_id: UUID, payload: FileIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    _require(request, process, Action.OFFICE_CLERK)
    case_file = (
        CaseFile.objects.select_related("plan", "plan__unit")
        .filter(pk=payload.case_file_id, plan__unit=process.unit)
        .first()
    )
    if case_file is None:
        message = _("No such case file in this unit.")
        raise ValidationFailed(message, field_errors={"case_file_id": [message]})
    return _out(incoming.incoming_file(actor=request.user, process=process, case_file=case_file))
