"""Case file endpoints, mounted at `/api/v1/office/files` (Decree 30 Art. 28–31).

A case file outside the caller's scope answers 404; changes need the clerk right on its unit."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from pydantic import Field

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed

from . import selectors_incoming as selectors
from .models import CaseFile
from .services import casefiles

router = Router(tags=["office"])


class CaseFileOut(Schema):
    id: UUID
    unit_code: str
    year: int
    code: str
    title: str
    retention_years: int | None
    state: str
    opened_on: dt.date
    closed_on: dt.date | None
    document_ids: list[UUID]


class OpenIn(Schema):
    unit_code: str
    year: int | None = None
    code: str
    title: str
    retention_years: int | None = Field(None, ge=1, le=casefiles.MAX_RETENTION_YEARS)


class AddIn(Schema):
    document_id: UUID


def _out(case_file: CaseFile) -> dict[str, Any]:
    return {
        "id": case_file.pk,
        "unit_code": case_file.plan.unit.code,
        "year": case_file.plan.year,
        "code": case_file.code,
        "title": case_file.title,
        "retention_years": case_file.retention_years,
        "state": case_file.state,
        "opened_on": case_file.opened_on,
        "closed_on": case_file.closed_on,
        "document_ids": [d.pk for d in case_file.documents.order_by("created_at")],
    }


def _get(request: HttpRequest, case_file_id: UUID) -> CaseFile:
    return selectors.case_file_get(user=request.user, case_file_id=case_file_id)


def _require_clerk(request: HttpRequest, case_file: CaseFile) -> None:
    policy.require(request.user, Action.OFFICE_CLERK, case_file.plan.unit)


@router.get("/", response=list[CaseFileOut], summary="Case files in scope")
def list_case_files(
    request: HttpRequest, year: int | None = None, unit_code: str | None = None
) -> list[dict[str, Any]]:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise PermissionDenied(_("You do not have permission to do this here."))
    queryset = selectors.case_files_visible_to(user=request.user).prefetch_related("documents")
    if year is not None:
        queryset = queryset.filter(plan__year=year)
    if unit_code:
        queryset = queryset.filter(plan__unit__code=unit_code)
    return [_out(f) for f in queryset[:500]]


@router.post("/", response={201: CaseFileOut}, summary="Open a case file")
def open_case_file(request: HttpRequest, payload: OpenIn) -> Status[dict[str, Any]]:
    if not policy.can(request.user, Action.OFFICE_CLERK):
        raise PermissionDenied(_("You do not have permission to do this here."))
    unit = (
        policy.units_in_scope(request.user, Action.OFFICE_CLERK)
        .filter(code=payload.unit_code, active=True)
        .first()
    )
    if unit is None:
        message = _("No such unit among those whose case files you keep.")
        raise ValidationFailed(message, field_errors={"unit_code": [message]})
    case_file = casefiles.case_file_open(
        actor=request.user,
        unit=unit,
        year=payload.year or clock.today().year,
        code=payload.code,
        title=payload.title,
        retention_years=payload.retention_years,
    )
    return Status(201, _out(case_file))


@router.get("/{case_file_id}", response=CaseFileOut, summary="One case file")
def get_case_file(request: HttpRequest, case_file_id: UUID) -> dict[str, Any]:
    return _out(_get(request, case_file_id))


@router.post("/{case_file_id}/documents", response=CaseFileOut, summary="Add a document")
def add_case_file_document(
    request: HttpRequest, case_file_id: UUID, payload: AddIn
) -> dict[str, Any]:
    case_file = _get(request, case_file_id)
    _require_clerk(request, case_file)
    document = selectors.unit_document(case_file=case_file, document_id=payload.document_id)
    return _out(
        casefiles.case_file_add_document(actor=request.user, case_file=case_file, document=document)
    )


@router.post("/{case_file_id}/close", response=CaseFileOut, summary="Close the case file")
def close_case_file(request: HttpRequest, case_file_id: UUID) -> dict[str, Any]:
    case_file = _get(request, case_file_id)
    return _out(casefiles.case_file_close(actor=request.user, case_file=case_file))


@router.get("/{case_file_id}/export", summary="The archive package (zip) of a closed case file")
def export_case_file(request: HttpRequest, case_file_id: UUID) -> HttpResponse:
    case_file = _get(request, case_file_id)
    package = casefiles.case_file_export(actor=request.user, case_file=case_file)
    response = HttpResponse(package, content_type="application/zip")
    name = f"hoso-{case_file.plan.year}-{case_file.code}.zip".replace("/", "-")
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response
