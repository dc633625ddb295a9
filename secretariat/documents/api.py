"""Document capture endpoints, mounted at `/api/v1/documents`.

A document outside the caller's scope answers 404 (its existence is not revealed); a write the
caller may not do answers 403; a refused file or invalid metadata answers 400 with the message
and the field errors, and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core.errors import NotFound, PermissionDenied, ValidationFailed

from . import selectors, services
from .models import Confidentiality, Document, DocumentVersion
from .views import download_response

router = Router(tags=["documents"])


class VersionOut(Schema):
    number: int
    original_name: str
    sha256: str
    content_type: str
    size: int
    pdf_sha256: str | None
    ocr_status: str
    ocr_error: str
    text_chars: int
    created_at: dt.datetime


class DocumentOut(Schema):
    id: uuid.UUID
    unit_code: str
    subject: str
    doc_type: str | None
    issuing_body: str
    number: str
    notation: str
    place: str
    issued_on: dt.date | None
    signer_name: str
    signer_title: str
    recipients: str
    urgency: str
    confidentiality: str
    page_count: int | None
    copies: int | None
    due_on: dt.date | None
    suggested: dict[str, Any]
    created_at: dt.datetime


class DocumentDetailOut(DocumentOut):
    versions: list[VersionOut]


class DocumentPageOut(Schema):
    items: list[DocumentOut]
    next_before: uuid.UUID | None


class DocumentPatchIn(Schema):
    subject: str | None = None
    doc_type: str | None = None
    issuing_body: str | None = None
    number: str | None = None
    notation: str | None = None
    place: str | None = None
    issued_on: dt.date | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    recipients: str | None = None
    urgency: str | None = None
    copies: int | None = None
    due_on: dt.date | None = None


def _document_out(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "unit_code": document.unit.code,
        "subject": document.subject,
        "doc_type": document.doc_type_id,
        "issuing_body": document.issuing_body,
        "number": document.number,
        "notation": document.notation,
        "place": document.place,
        "issued_on": document.issued_on,
        "signer_name": document.signer_name,
        "signer_title": document.signer_title,
        "recipients": document.recipients,
        "urgency": document.urgency,
        "confidentiality": document.confidentiality,
        "page_count": document.page_count,
        "copies": document.copies,
        "due_on": document.due_on,
        "suggested": document.suggested,
        "created_at": document.created_at,
    }


def _version_out(version: DocumentVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "original_name": version.original_name,
        "sha256": version.original_id,
        "content_type": version.original.content_type,
        "size": version.original.size,
        "pdf_sha256": version.pdf_id,
        "ocr_status": version.ocr_status,
        "ocr_error": version.ocr_error,
        "text_chars": len(version.text),
        "created_at": version.created_at,
    }


def _detail(user: Any, document: Document) -> dict[str, Any]:
    versions = selectors.document_versions(user=user, document=document)
    return {**_document_out(document), "versions": [_version_out(v) for v in versions]}


def _require_capturer(user: Any) -> None:
    """Callers who may capture nowhere get 403 before anything they sent is looked at."""
    if not policy.can(user, Action.DOCUMENTS_CAPTURE):
        raise PermissionDenied(_("You do not have permission to do this here."))


def _metadata_error() -> ValidationFailed:
    message = _("The metadata must be a JSON object.")
    return ValidationFailed(message, field_errors={"metadata": [message]})


def _incoming(upload: UploadedFile) -> services.IncomingFile:
    return services.IncomingFile(
        name=str(upload.name or ""),
        data=upload.read(),
        content_type=str(upload.content_type or ""),
    )


@router.post(
    "/",
    response={201: list[DocumentDetailOut]},
    summary="Capture files: one document per file, with the details read from them",
)
def create_documents(
    request: HttpRequest,
    files: File[list[UploadedFile]],
    unit: Form[str],
    confidentiality: Form[str] = Confidentiality.NORMAL,
    metadata: Form[str] = "",
) -> Status[list[dict[str, Any]]]:
    _require_capturer(request.user)
    target = selectors.capture_units(user=request.user).filter(code=unit).first()
    if target is None:
        refusal = _("No unit with the code %(code)s where you may capture.") % {"code": unit}
        raise ValidationFailed(refusal, field_errors={"unit": [refusal]})
    try:
        fields = json.loads(metadata) if metadata.strip() else {}
    except json.JSONDecodeError as exc:
        raise _metadata_error() from exc
    if not isinstance(fields, dict):
        raise _metadata_error()
    documents = services.documents_capture(
        actor=request.user,
        unit=target,
        files=[_incoming(f) for f in files],
        confidentiality=confidentiality,
        metadata=fields,
        run_ocr="background",
    )
    return Status(201, [_detail(request.user, d) for d in documents])


@router.get("/", response=DocumentPageOut, summary="Documents in the caller's scope, newest first")
def list_documents(
    request: HttpRequest, before: uuid.UUID | None = None, limit: int = 50
) -> dict[str, Any]:
    if not policy.can(request.user, Action.DOCUMENTS_VIEW):
        raise PermissionDenied(_("You do not have permission to do this here."))
    rows, next_before = selectors.document_page(
        user=request.user, before=before, limit=max(1, min(limit, 200))
    )
    return {"items": [_document_out(d) for d in rows], "next_before": next_before}


@router.get("/{document_id}", response=DocumentDetailOut, summary="A document with its versions")
def get_document(request: HttpRequest, document_id: uuid.UUID) -> dict[str, Any]:
    document = selectors.document_get(user=request.user, document_id=document_id)
    return _detail(request.user, document)


@router.patch("/{document_id}", response=DocumentDetailOut, summary="Confirm or correct metadata")
def update_document(
    request: HttpRequest, document_id: uuid.UUID, payload: DocumentPatchIn
) -> dict[str, Any]:
    document = selectors.document_get(user=request.user, document_id=document_id)
    changes = payload.dict(exclude_unset=True)
    document = services.document_update_metadata(
        actor=request.user, document=document, changes=changes
    )
    return _detail(request.user, document)


@router.post(
    "/{document_id}/versions",
    response={201: DocumentDetailOut},
    summary="Add a new version (earlier ones are kept)",
)
def add_document_version(
    request: HttpRequest, document_id: uuid.UUID, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    document = selectors.document_get(user=request.user, document_id=document_id)
    services.document_add_version(actor=request.user, document=document, file=_incoming(file))
    return Status(201, _detail(request.user, document))


def _version(request: HttpRequest, document_id: uuid.UUID, number: int) -> DocumentVersion:
    return selectors.document_version_get(user=request.user, document_id=document_id, number=number)


@router.get("/{document_id}/versions/{number}/original", summary="The original file, decrypted")
def download_original(request: HttpRequest, document_id: uuid.UUID, number: int) -> HttpResponse:
    return download_response(_version(request, document_id, number), "original")


@router.get("/{document_id}/versions/{number}/pdf", summary="The PDF (converted, OCR'd)")
def download_pdf(request: HttpRequest, document_id: uuid.UUID, number: int) -> HttpResponse:
    version = _version(request, document_id, number)
    if version.pdf_id is None:
        raise NotFound(_("This version has no PDF yet."))
    return download_response(version, "pdf")
