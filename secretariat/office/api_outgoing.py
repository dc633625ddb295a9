"""Outgoing documents, mounted at `/api/v1/office/outgoing` (Decree 30 Art. 14, 18).

A process outside the caller's scope answers 404; an action the caller may not take 403; a
transition the state does not allow 409; bad input 400 — each with its message.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from secretariat.accounts import policy
from secretariat.accounts.models import User
from secretariat.accounts.policy import Action
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents.services import IncomingFile
from secretariat.orgs.models import Unit

from . import selectors_outgoing as selectors
from .models import OutgoingProcess
from .services import outgoing as services
from .services import outgoing_signatures as signatures

router = Router(tags=["office"])


class StepOut(Schema):
    round: int
    order: int
    reviewer: str
    decision: str
    comment: str
    decided_at: dt.datetime | None


class OutgoingOut(Schema):
    id: uuid.UUID
    unit_code: str
    document_id: uuid.UUID
    subject: str
    notation: str
    state: str
    kind: str
    corrects: uuid.UUID | None
    drafter: str
    signer: str | None
    internal_recipients: list[str]
    external_recipients: list[str]
    created_at: dt.datetime


class OutgoingDetailOut(OutgoingOut):
    reviews: list[StepOut]


class ReviewersIn(Schema):
    reviewers: list[str]


class ReviewIn(Schema):
    decision: str
    comment: str = ""


class DispatchIn(Schema):
    internal_units: list[str] = []
    external_codes: list[str] = []


class ConfirmationIn(Schema):
    # The current code of the user's authenticator app (step-up); checked after the user's
    # right and the document's state.
    confirmation: str = ""


class ReturnSignatureIn(Schema):
    reason: str


class RecallIn(Schema):
    reason: str


def _out(process: OutgoingProcess) -> dict[str, Any]:
    return {
        "id": process.id,
        "unit_code": process.unit.code,
        "document_id": process.document_id,
        "subject": process.document.subject,
        "notation": process.document.notation,
        "state": process.state,
        "kind": process.kind,
        "corrects": process.corrects_id,
        "drafter": process.drafter.username,
        "signer": process.signer.username if process.signer else None,
        "internal_recipients": [d.unit.code for d in selectors.deliveries(process=process)],
        "external_recipients": list(process.external_recipients),
        "created_at": process.created_at,
    }


def _detail(request: HttpRequest, process_id: uuid.UUID) -> dict[str, Any]:
    process = selectors.outgoing_get(user=request.user, process_id=process_id)
    steps = [
        {
            "round": s.round,
            "order": s.order,
            "reviewer": s.reviewer.username,
            "decision": s.decision,
            "comment": s.comment,
            "decided_at": s.decided_at,
        }
        for s in selectors.review_circuit(process=process)
    ]
    return {**_out(process), "reviews": steps}


def _get(request: HttpRequest, process_id: uuid.UUID) -> OutgoingProcess:
    return selectors.outgoing_get(user=request.user, process_id=process_id)


def _users(usernames: list[str], field: str) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames)}
    missing = [name for name in usernames if name not in found]
    if missing:
        message = _("Unknown user: %(name)s.") % {"name": missing[0]}
        raise ValidationFailed(message, field_errors={field: [message]})
    return [found[name] for name in usernames]


def _file(upload: UploadedFile) -> IncomingFile:
    return IncomingFile(
        name=str(upload.name or ""), data=upload.read(), content_type=str(upload.content_type or "")
    )


@router.get("/", response=list[OutgoingOut], summary="Outgoing documents of the caller's units")
def list_outgoing(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise PermissionDenied(_("You do not have permission to do this here."))
    rows = selectors.outgoing_visible_to(user=request.user, state=state)[:200]
    return [_out(p) for p in rows]


@router.post("/", response={201: OutgoingDetailOut}, summary="Upload a draft")
def create_outgoing(
    request: HttpRequest,
    file: File[UploadedFile],
    unit: Form[str],
    signer: Form[str],
    metadata: Form[str],
    reviewers: Form[str] = "",
) -> Status[dict[str, Any]]:
    units = selectors.drafting_units(user=request.user)
    if not units.exists():
        raise PermissionDenied(_("You do not have permission to do this here."))
    target = units.filter(code=unit).first()
    if target is None:
        refusal = _("No unit with the code %(code)s where you may draft.") % {"code": unit}
        raise ValidationFailed(refusal, field_errors={"unit": [refusal]})
    try:
        fields = json.loads(metadata)
    except json.JSONDecodeError:
        fields = None
    if not isinstance(fields, dict):
        message = _("The metadata must be a JSON object.")
        raise ValidationFailed(message, field_errors={"metadata": [message]})
    names = [n.strip() for n in reviewers.split(",") if n.strip()]
    process = services.outgoing_draft(
        actor=request.user,
        unit=target,
        file=_file(file),
        metadata=fields,
        signer=_users([signer], "signer")[0],
        reviewers=_users(names, "reviewers"),
    )
    return Status(201, _detail(request, process.pk))


@router.get("/{process_id}", response=OutgoingDetailOut, summary="An outgoing document")
def get_outgoing(request: HttpRequest, process_id: uuid.UUID) -> dict[str, Any]:
    return _detail(request, process_id)


@router.post("/{process_id}/versions", response=OutgoingDetailOut, summary="A new draft version")
def add_outgoing_version(
    request: HttpRequest, process_id: uuid.UUID, file: File[UploadedFile]
) -> dict[str, Any]:
    services.outgoing_new_version(
        actor=request.user, process=_get(request, process_id), file=_file(file)
    )
    return _detail(request, process_id)


@router.put("/{process_id}/reviewers", response=OutgoingDetailOut, summary="The review circuit")
def set_outgoing_reviewers(
    request: HttpRequest, process_id: uuid.UUID, payload: ReviewersIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    services.outgoing_set_reviewers(
        actor=request.user, process=process, reviewers=_users(payload.reviewers, "reviewers")
    )
    return _detail(request, process_id)


@router.post("/{process_id}/submit", response=OutgoingDetailOut, summary="Submit for review")
def submit_outgoing(request: HttpRequest, process_id: uuid.UUID) -> dict[str, Any]:
    services.outgoing_submit(actor=request.user, process=_get(request, process_id))
    return _detail(request, process_id)


@router.post("/{process_id}/review", response=OutgoingDetailOut, summary="The reviewer's opinion")
def review_outgoing(
    request: HttpRequest, process_id: uuid.UUID, payload: ReviewIn
) -> dict[str, Any]:
    services.outgoing_review(
        actor=request.user,
        process=_get(request, process_id),
        decision=payload.decision,
        comment=payload.comment,
    )
    return _detail(request, process_id)


@router.post("/{process_id}/approve", response=OutgoingDetailOut, summary="The signer approves")
def approve_outgoing(request: HttpRequest, process_id: uuid.UUID) -> dict[str, Any]:
    services.outgoing_approve(actor=request.user, process=_get(request, process_id))
    return _detail(request, process_id)


@router.post("/{process_id}/sign", response=OutgoingDetailOut, summary="Personal signature")
def sign_outgoing(
    request: HttpRequest, process_id: uuid.UUID, payload: ConfirmationIn
) -> dict[str, Any]:
    signatures.outgoing_sign(
        actor=request.user, process=_get(request, process_id), confirmation=payload.confirmation
    )
    return _detail(request, process_id)


@router.post(
    "/{process_id}/return-signature",
    response=OutgoingDetailOut,
    summary="Refuse the personal signature and return the draft",
)
def return_signature_outgoing(
    request: HttpRequest, process_id: uuid.UUID, payload: ReturnSignatureIn
) -> dict[str, Any]:
    signatures.outgoing_return_signature(
        actor=request.user, process=_get(request, process_id), reason=payload.reason
    )
    return _detail(request, process_id)


@router.post("/{process_id}/number", response=OutgoingDetailOut, summary="Number and register")
def number_outgoing(request: HttpRequest, process_id: uuid.UUID) -> dict[str, Any]:
    services.outgoing_number(actor=request.user, process=_get(request, process_id))
    return _detail(request, process_id)


@router.post("/{process_id}/seal", response=OutgoingDetailOut, summary="Organization signature")
def seal_outgoing(
    request: HttpRequest, process_id: uuid.UUID, payload: ConfirmationIn
) -> dict[str, Any]:
    signatures.outgoing_seal(
        actor=request.user, process=_get(request, process_id), confirmation=payload.confirmation
    )
    return _detail(request, process_id)


@router.post("/{process_id}/dispatch", response=OutgoingDetailOut, summary="Send")
def dispatch_outgoing(
    request: HttpRequest, process_id: uuid.UUID, payload: DispatchIn
) -> dict[str, Any]:
    process = _get(request, process_id)
    units = {u.code: u for u in Unit.objects.filter(code__in=payload.internal_units)}
    missing = [code for code in payload.internal_units if code not in units]
    if missing:
        message = _("No unit with the code %(code)s.") % {"code": missing[0]}
        raise ValidationFailed(message, field_errors={"internal_units": [message]})
    services.outgoing_dispatch(
        actor=request.user,
        process=process,
        internal_units=[units[c] for c in payload.internal_units],
        external_codes=payload.external_codes,
    )
    return _detail(request, process_id)


@router.post("/{process_id}/replace", response={201: OutgoingDetailOut}, summary="Replacement")
def replace_outgoing(
    request: HttpRequest, process_id: uuid.UUID, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    new = services.outgoing_replace(
        actor=request.user, process=_get(request, process_id), file=_file(file)
    )
    return Status(201, _detail(request, new.pk))


@router.post("/{process_id}/errata", response={201: OutgoingDetailOut}, summary="Errata letter")
def errata_outgoing(
    request: HttpRequest, process_id: uuid.UUID, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    new = services.outgoing_errata(
        actor=request.user, process=_get(request, process_id), file=_file(file)
    )
    return Status(201, _detail(request, new.pk))


@router.post("/{process_id}/recall", response=OutgoingDetailOut, summary="Recall")
def recall_outgoing(
    request: HttpRequest, process_id: uuid.UUID, payload: RecallIn
) -> dict[str, Any]:
    services.outgoing_recall(
        actor=request.user, process=_get(request, process_id), reason=payload.reason
    )
    return _detail(request, process_id)


@router.post(
    "/{process_id}/recall/{unit_code}/confirm", response={204: None}, summary="Confirm deletion"
)
def confirm_outgoing_recall(
    request: HttpRequest, process_id: uuid.UUID, unit_code: str
) -> Status[None]:
    process = selectors.outgoing_received_get(user=request.user, process_id=process_id)
    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise ValidationFailed(_("No unit with the code %(code)s.") % {"code": unit_code})
    services.outgoing_recall_confirm(actor=request.user, process=process, unit=unit)
    return Status(204, None)
