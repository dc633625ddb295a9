"""Register endpoints, mounted at `/api/v1/registers`.

A register outside the caller's scope answers 404 (its existence is not revealed). Errors are the
API's JSON errors, raised as `core.errors` exceptions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core.errors import PermissionDenied, ValidationFailed

from . import exports, registers
from .models import DocumentType, Register, RegisterEntry

router = Router(tags=["registers"])

MAX_LIMIT = 200


class RegisterOut(Schema):
    id: UUID
    unit_code: str
    unit_name: str
    year: int
    kind: str
    secret: bool
    name: str
    notation_pattern: str
    last_number: int


class EntryOut(Schema):
    number: int
    registered_on: dt.date
    notation: str
    document_id: UUID
    subject: str
    doc_type: str | None
    issuing_body: str
    issued_on: dt.date | None
    confidentiality: str
    urgency: str


class EntriesOut(Schema):
    entries: list[EntryOut]
    # Pass as `before_number` to read the next (older) page; null on the last page.
    next_before_number: int | None


class EntriesQuery(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    before_number: int | None = Field(None, ge=1)


class ExportQuery(Schema):
    fmt: exports.Format = exports.Format.PDF
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class ConfidentialIn(Schema):
    unit_code: str
    kind: str
    confidentiality: str
    notation: str = ""
    issued_on: dt.date | None = None
    issuing_body: str = ""
    subject: str = ""
    doc_type: str | None = None
    urgency: str = "normal"


class ConfidentialOut(EntryOut):
    register_id: UUID
    register_name: str
    secret: bool


def _register_out(register: Register) -> dict[str, Any]:
    return {
        "id": register.pk,
        "unit_code": register.unit.code,
        "unit_name": register.unit.name,
        "year": register.year,
        "kind": register.kind,
        "secret": register.secret,
        "name": register.name,
        "notation_pattern": register.notation_pattern,
        "last_number": register.last_number,
    }


def _entry_out(entry: RegisterEntry) -> dict[str, Any]:
    document = entry.document
    return {
        "number": entry.number,
        "registered_on": entry.registered_on,
        "notation": entry.notation,
        "document_id": document.pk,
        "subject": registers.display_subject(document),
        "doc_type": document.doc_type_id,
        "issuing_body": document.issuing_body,
        "issued_on": document.issued_on,
        "confidentiality": document.confidentiality,
        "urgency": document.urgency,
    }


def _check_period(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_to < date_from:
        message = _("The end of the period is before its start.")
        raise ValidationFailed(message, field_errors={"date_to": [message]})


@router.get("/", response=list[RegisterOut], summary="The registers in the caller's scope")
def list_registers(request: HttpRequest, year: int | None = None) -> list[dict[str, Any]]:
    if not policy.can(request.user, Action.REGISTERS_VIEW):
        raise PermissionDenied(_("You do not have permission to do this here."))
    return [_register_out(r) for r in registers.registers_visible_to(user=request.user, year=year)]


@router.get(
    "/{register_id}/entries",
    response=EntriesOut,
    summary="A register's entries, newest first (keyset pages on the number)",
)
def list_register_entries(
    request: HttpRequest, register_id: UUID, query: Query[EntriesQuery]
) -> dict[str, Any]:
    register = registers.register_get(user=request.user, register_id=register_id)
    _check_period(query.date_from, query.date_to)
    entries, has_more = registers.register_entries(
        register=register,
        date_from=query.date_from,
        date_to=query.date_to,
        before_number=query.before_number,
        limit=query.limit,
    )
    return {
        "entries": [_entry_out(e) for e in entries],
        "next_before_number": entries[-1].number if has_more and entries else None,
    }


@router.post(
    "/confidential",
    response={201: ConfidentialOut},
    summary="Enter a confidential document (no file) in its unit's secret series",
)
def create_confidential_entry(
    request: HttpRequest, payload: ConfidentialIn
) -> Status[dict[str, Any]]:
    # Refuse callers who keep no register at all before reading what the body names.
    if not policy.can(request.user, Action.REGISTERS_MANAGE):
        raise PermissionDenied(_("You do not have permission to do this here."))
    unit = registers.confidential_units(user=request.user).filter(code=payload.unit_code).first()
    if unit is None:
        message = _("No such unit among those whose registers you keep.")
        raise ValidationFailed(message, field_errors={"unit_code": [message]})
    doc_type = None
    if payload.doc_type:
        doc_type = DocumentType.objects.filter(code=payload.doc_type).first()
        if doc_type is None:
            message = _("Unknown document type.")
            raise ValidationFailed(message, field_errors={"doc_type": [message]})
    entry = registers.register_confidential(
        actor=request.user,
        unit=unit,
        kind=payload.kind,
        metadata=registers.ConfidentialMetadata(
            confidentiality=payload.confidentiality,
            notation=payload.notation,
            issued_on=payload.issued_on,
            issuing_body=payload.issuing_body,
            subject=payload.subject,
            doc_type=doc_type,
            urgency=payload.urgency,
        ),
    )
    return Status(
        201,
        _entry_out(entry)
        | {
            "register_id": entry.register_id,
            "register_name": str(entry.register),
            "secret": entry.register.secret,
        },
    )


@router.get("/{register_id}/export", summary="The register printed for a period (PDF or XLSX)")
def export_register(
    request: HttpRequest, register_id: UUID, query: Query[ExportQuery]
) -> HttpResponse:
    register = registers.register_get(user=request.user, register_id=register_id)
    content, content_type, filename = exports.register_export(
        user=request.user,
        register=register,
        fmt=query.fmt,
        date_from=query.date_from,
        date_to=query.date_to,
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
