"""Services of document capture: the only code that creates documents and versions and changes
their metadata.

Every service takes keyword-only arguments, the acting user first (`actor=None` is the system:
the `ingest` command and background tasks), checks `documents.capture` on the unit, validates,
writes in one durable transaction and appends an audit event in it.

Slow work — type checks, LibreOffice conversion, OCR — runs *before* the transaction opens: a
database transaction held open for seconds would block every other writer (SQLite has one write
lock). If a file is refused, nothing has been written.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core.errors import ValidationFailed
from secretariat.core.locks import for_update
from secretariat.orgs.models import Unit

from . import convert, detect, ocr, storage
from .models import (
    Confidentiality,
    Document,
    DocumentType,
    DocumentVersion,
    OcrStatus,
    StoredFile,
    Urgency,
)
from .signatures import check_signatures, report_xml
from .suggest import suggest

log = logging.getLogger(__name__)

RunOcr = Literal["background", "now"]
FieldErrors = dict[str, list[str | Promise]]

# Metadata of Decree 30 Art. 8 that a clerk may set, with the longest value each column holds.
TEXT_FIELDS: dict[str, int | None] = {
    "subject": None,
    "issuing_body": 255,
    "number": 20,
    "notation": 60,
    "place": 100,
    "signer_name": 150,
    "signer_title": 150,
    "recipients": None,
}
DATE_FIELDS = ("issued_on", "due_on")
METADATA_FIELDS = frozenset({*TEXT_FIELDS, *DATE_FIELDS, "doc_type", "urgency", "copies"})
# Suggestions fill only these, and only while they are empty: a clerk's entry is never replaced.
SUGGESTED_FIELDS = ("issuing_body", "number", "notation", "place", "issued_on", "subject")


@dataclass(frozen=True)
class IncomingFile:
    """An uploaded file: its name as sent, its bytes, and the type the sender declared."""

    name: str
    data: bytes
    content_type: str = ""


@dataclass
class _Prepared:
    """A file checked, converted and (maybe) read, ready to be written."""

    incoming: IncomingFile
    detected: detect.Detected
    pdf: bytes
    text: str
    ocr_status: str
    ocr_error: str = ""
    pages: int | None = None
    suggested: dict[str, Any] = field(default_factory=dict)
    signature_check: dict[str, Any] = field(default_factory=dict)


# --- Validation ---------------------------------------------------------------------------


def _invalid(errors: FieldErrors) -> ValidationFailed:
    first = next(iter(errors.values()))[0]
    return ValidationFailed(first, field_errors=errors)


def refuse_confidential(confidentiality: str) -> None:
    """Documents classified Mật, Tối mật or Tuyệt mật never enter a networked system (Law on
    the Protection of State Secrets 2018; DOMAIN.md §7): their files are refused here, and only
    a register entry without content may be recorded (`registers.register_confidential`)."""
    if confidentiality not in Confidentiality.values:
        raise ValidationFailed(
            _("Unknown confidentiality level “%(level)s”.") % {"level": confidentiality},
            field_errors={"confidentiality": [_("Choose a confidentiality level.")]},
        )
    if confidentiality != Confidentiality.NORMAL:
        label = Confidentiality(confidentiality).label
        message = _(
            "A document marked %(level)s must not be uploaded: confidential documents never "
            "enter this system. Record it in the confidential register without its content."
        ) % {"level": label}
        raise ValidationFailed(message, field_errors={"confidentiality": [message]})


def _parse_date(value: Any, name: str, errors: FieldErrors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.setdefault(name, []).append(_("Enter a date as YYYY-MM-DD."))
        return None


def clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Model values for the given metadata, or ValidationFailed naming each wrong field."""
    errors: FieldErrors = {}
    clean: dict[str, Any] = {}
    for name, value in metadata.items():
        if name not in METADATA_FIELDS:
            errors.setdefault(name, []).append(_("Unknown field."))
            continue
        if name in TEXT_FIELDS:
            text = "" if value is None else str(value).strip()
            limit = TEXT_FIELDS[name]
            if limit is not None and len(text) > limit:
                errors.setdefault(name, []).append(
                    _("At most %(limit)s characters.") % {"limit": limit}
                )
            clean[name] = text
        elif name in DATE_FIELDS:
            clean[name] = _parse_date(value, name, errors)
        elif name == "doc_type":
            if value in (None, ""):
                clean[name] = None
            else:
                found = DocumentType.objects.filter(code=str(value)).first()
                if found is None:
                    errors.setdefault(name, []).append(
                        _("Unknown document type “%(code)s”.") % {"code": value}
                    )
                clean[name] = found
        elif name == "urgency":
            if value not in Urgency.values:
                errors.setdefault(name, []).append(_("Choose an urgency."))
            clean[name] = value
        elif name == "copies":
            if value in (None, ""):
                clean[name] = None
            else:
                try:
                    copies = int(value)
                except (TypeError, ValueError):
                    copies = -1
                if copies < 0 or copies > 100_000:
                    errors.setdefault(name, []).append(_("Enter a number of copies."))
                clean[name] = copies
    if errors:
        raise _invalid(errors)
    return clean


def snapshot(document: Document) -> dict[str, Any]:
    """The metadata of a document as the audit log digests it."""
    return {
        "unit": document.unit.code,
        "subject": document.subject,
        "doc_type": document.doc_type_id,
        "issuing_body": document.issuing_body,
        "number": document.number,
        "notation": document.notation,
        "place": document.place,
        "issued_on": document.issued_on.isoformat() if document.issued_on else None,
        "signer_name": document.signer_name,
        "signer_title": document.signer_title,
        "recipients": document.recipients,
        "urgency": document.urgency,
        "confidentiality": document.confidentiality,
        "copies": document.copies,
        "due_on": document.due_on.isoformat() if document.due_on else None,
    }


# --- The pipeline (outside any transaction) -----------------------------------------------


def _display_name(name: str) -> str:
    return (PurePosixPath(name.replace("\\", "/")).name or "document")[:255]


def _prepare(file: IncomingFile, *, run_ocr: RunOcr) -> _Prepared:
    """Check, convert and read one file. Raises FileRefused (nothing stored yet)."""
    name = _display_name(file.name)
    detected = detect.detect(file.data, name=name, declared_type=file.content_type)
    pdf = convert.to_pdf(file.data, kind=detected.kind, name=name)
    # A scan has no text to read; a PDF may be a scan too (no text layer).
    text = "" if detected.kind in detect.IMAGES else ocr.extract_text(pdf)
    needs_ocr = len("".join(text.split())) < ocr.MIN_TEXT_CHARS_PER_DOCUMENT
    prepared = _Prepared(
        incoming=IncomingFile(name=name, data=file.data, content_type=file.content_type),
        detected=detected,
        pdf=pdf,
        text=text if not needs_ocr else "",
        ocr_status=OcrStatus.PENDING if needs_ocr else OcrStatus.NOT_NEEDED,
        pages=ocr.page_count(pdf),
        # Checked on the file as received, before OCR rewrites the PDF (Art. 21.2).
        signature_check=check_signatures(pdf),
    )
    if needs_ocr and run_ocr == "now":
        try:
            prepared.pdf = ocr.ocr_pdf(pdf)
            prepared.text = ocr.extract_text(prepared.pdf)
            prepared.ocr_status = OcrStatus.DONE
        except ocr.OcrFailed as exc:
            # The document is kept (the clerk still has the scan); the error is shown on it.
            prepared.ocr_status = OcrStatus.FAILED
            prepared.ocr_error = str(exc.message)
    if prepared.text:
        prepared.suggested = suggest(prepared.text)
    return prepared


def _fill_from_suggestions(document: Document, suggested: dict[str, Any]) -> None:
    """Fill empty metadata from the suggestions; the clerk confirms them on the form."""
    for name in SUGGESTED_FIELDS:
        value = suggested.get(name)
        if not value or getattr(document, name):
            continue
        if name == "issued_on":
            try:
                document.issued_on = dt.date.fromisoformat(str(value))
            except ValueError:
                continue
        else:
            limit = TEXT_FIELDS.get(name)
            setattr(document, name, str(value)[:limit] if limit else str(value))
    if document.doc_type_id is None and suggested.get("doc_type"):
        document.doc_type = DocumentType.objects.filter(code=suggested["doc_type"]).first()


def _index(document: Document) -> None:
    """Hand the document to search in the same transaction, so the index never runs ahead of
    or behind the rows."""
    from .search import index_document

    index_document(document)


def _schedule_ocr(version: DocumentVersion) -> None:
    from . import tasks

    version_id = str(version.id)
    # After commit: the worker must find the row, and must not run for a rolled-back capture.
    transaction.on_commit(lambda: tasks.ocr_version(version_id))


def _store_version(
    *, actor: Any | None, document: Document, prepared: _Prepared, number: int
) -> DocumentVersion:
    original = storage.store(prepared.incoming.data, content_type=prepared.detected.content_type)
    pdf: StoredFile = (
        original
        if prepared.pdf is prepared.incoming.data
        else storage.store(prepared.pdf, content_type="application/pdf")
    )
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        original=original,
        original_name=prepared.incoming.name,
        pdf=pdf,
        text=prepared.text,
        ocr_status=prepared.ocr_status,
        ocr_error=prepared.ocr_error,
        signature_check=prepared.signature_check,
        signature_report_xml=report_xml(prepared.signature_check),
        created_by=actor,
    )


def _require_capture(actor: Any | None, unit: Unit) -> None:
    if actor is not None:
        policy.require(actor, Action.DOCUMENTS_CAPTURE, unit)


# --- Services -----------------------------------------------------------------------------


def documents_capture(
    *,
    actor: Any | None,
    unit: Unit,
    files: list[IncomingFile],
    confidentiality: str = Confidentiality.NORMAL,
    metadata: dict[str, Any] | None = None,
    run_ocr: RunOcr = "background",
    register_kind: str | None = None,
) -> list[Document]:
    """Capture several files, one Document each, all or nothing: every file is checked first,
    and one refused file stores none of them. `metadata` applies to each document.

    With `register_kind` ("incoming", …) each document is also registered, in the same
    transaction (Decree 30 Art. 22: an incoming document exists for the office once it has its
    number), by the registers part: `registers.register_document`."""
    _require_capture(actor, unit)
    refuse_confidential(confidentiality)
    if not files:
        raise ValidationFailed(
            _("Choose at least one file."), field_errors={"files": [_("Choose at least one file.")]}
        )
    if not unit.active:
        raise ValidationFailed(
            _("The unit %(code)s is no longer active.") % {"code": unit.code},
            field_errors={"unit": [_("This unit is no longer active.")]},
        )
    clean = clean_metadata(metadata or {})
    prepared = capture_prepare(files, run_ocr=run_ocr)
    with transaction.atomic(durable=True):
        return documents_capture_prepared_nondurable(
            actor=actor, unit=unit, prepared=prepared, metadata=clean, register_kind=register_kind
        )


def capture_prepare(
    files: list[IncomingFile], *, run_ocr: RunOcr = "background"
) -> list[_Prepared]:
    """Check, convert and read files before any transaction opens (the slow part of a
    capture). Raises FileRefused for the first refused file."""
    return [_prepare(file, run_ocr=run_ocr) for file in files]


def documents_capture_prepared_nondurable(
    *,
    actor: Any | None,
    unit: Unit,
    prepared: list[_Prepared],
    metadata: dict[str, Any],
    register_kind: str | None = None,
) -> list[Document]:
    """Write prepared files as documents of `unit`, inside the caller's transaction (the
    exchange imports a received package and records it in one). `metadata` is already clean
    (`clean_metadata`)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("documents_capture_prepared_nondurable runs inside a transaction")
    documents = []
    for item in prepared:
        document = Document(
            unit=unit,
            confidentiality=Confidentiality.NORMAL,
            created_by=actor,
            suggested=item.suggested,
            page_count=item.pages,
            **({"subject": ""} | metadata),
        )
        _fill_from_suggestions(document, item.suggested)
        document.save()
        version = _store_version(actor=actor, document=document, prepared=item, number=1)
        audit.record(
            actor=actor,
            action="documents.captured",
            unit=unit,
            obj=document,
            after=snapshot(document),
            data={
                "name": item.incoming.name,
                "sha256": version.original_id,
                "type": item.detected.kind.value,
                "ocr": item.ocr_status,
            },
        )
        if register_kind is not None:
            from . import registers

            registers.register_document(actor=actor, document=document, kind=register_kind)
        _index(document)
        if version.ocr_status == OcrStatus.PENDING:
            _schedule_ocr(version)
        documents.append(document)
    return documents


def document_capture(
    *,
    actor: Any | None,
    unit: Unit,
    file: IncomingFile,
    confidentiality: str = Confidentiality.NORMAL,
    metadata: dict[str, Any] | None = None,
    run_ocr: RunOcr = "background",
    register_kind: str | None = None,
) -> Document:
    """Capture one file as a new document (version 1) of `unit`.

    The file is checked (type from its content, size, integrity, password), converted to PDF
    when it is a word-processor document or an image, read (text layer, or OCR now or in the
    background), and stored encrypted; suggestions read from the first page fill the metadata
    left empty. Refused files raise FileRefused / ValidationFailed and store nothing."""
    return documents_capture(
        actor=actor,
        unit=unit,
        files=[file],
        confidentiality=confidentiality,
        metadata=metadata,
        run_ocr=run_ocr,
        register_kind=register_kind,
    )[0]


def document_add_version(
    *,
    actor: Any | None,
    document: Document,
    file: IncomingFile,
    run_ocr: RunOcr = "background",
) -> DocumentVersion:
    """A new version of a document's content; earlier versions stay as they were (files are
    immutable, Decree 30 Art. 18: a corrected document is a new document, never an edit)."""
    _require_capture(actor, document.unit)
    refuse_confidential(document.confidentiality)
    prepared = _prepare(file, run_ocr=run_ocr)
    with transaction.atomic(durable=True):
        locked = for_update(Document.objects).select_related("unit").get(pk=document.pk)
        last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = _store_version(actor=actor, document=locked, prepared=prepared, number=last + 1)
        if prepared.suggested:
            locked.suggested = prepared.suggested
        locked.page_count = prepared.pages
        locked.save(update_fields=["suggested", "page_count", "updated_at"])
        audit.record(
            actor=actor,
            action="documents.version_added",
            unit=locked.unit,
            obj=locked,
            after={"version": version.number, "sha256": version.original_id},
            data={"name": prepared.incoming.name, "version": version.number},
        )
        _index(locked)
        if version.ocr_status == OcrStatus.PENDING:
            _schedule_ocr(version)
    return version


def document_update_metadata(
    *, actor: Any | None, document: Document, changes: dict[str, Any]
) -> Document:
    """Confirm or correct a document's metadata (Decree 30 Art. 8). The confidentiality of a
    document with content cannot be raised here: such a document must not be in the system."""
    _require_capture(actor, document.unit)
    clean = clean_metadata(changes)
    if "subject" in clean and not clean["subject"]:
        raise _invalid({"subject": [_("The subject (trích yếu) must not be empty.")]})
    with transaction.atomic(durable=True):
        locked = for_update(Document.objects).select_related("unit").get(pk=document.pk)
        before = snapshot(locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        after = snapshot(locked)
        if after == before:
            return locked
        locked.save()
        audit.record(
            actor=actor,
            action="documents.metadata_updated",
            unit=locked.unit,
            obj=locked,
            before=before,
            after=after,
            data={"fields": sorted(k for k in after if after[k] != before[k])},
        )
        _index(locked)
    return locked


def version_run_ocr(*, version_id: Any) -> DocumentVersion | None:
    """Recognise the text of a version waiting for OCR (the background task's work). A
    failure keeps the version and records the error for the clerk. None if nothing to do."""
    version = (
        DocumentVersion.objects.select_related("pdf", "original", "document")
        .filter(pk=version_id, ocr_status=OcrStatus.PENDING)
        .first()
    )
    if version is None:
        return None
    source = version.pdf or version.original
    ocr_pdf: bytes | None = None
    text, error = "", ""
    try:
        ocr_pdf = ocr.ocr_pdf(storage.open_plaintext(source))
        text = ocr.extract_text(ocr_pdf)
    except ocr.OcrFailed as exc:
        error = str(exc.message)
    except storage.FileIntegrityError as exc:
        log.error("OCR of version %s: %s", version_id, exc)
        error = str(_("The stored file failed its integrity check."))
    with transaction.atomic(durable=True):
        locked = for_update(DocumentVersion.objects).get(pk=version.pk)
        if locked.ocr_status != OcrStatus.PENDING:
            return locked
        document = for_update(Document.objects).select_related("unit").get(pk=locked.document_id)
        if ocr_pdf is not None:
            locked.pdf = storage.store(ocr_pdf, content_type="application/pdf")
            locked.text = text
            locked.ocr_status = OcrStatus.DONE
            locked.ocr_error = ""
        else:
            locked.ocr_status = OcrStatus.FAILED
            locked.ocr_error = error
        locked.save(update_fields=["pdf", "text", "ocr_status", "ocr_error", "updated_at"])
        latest = document.versions.order_by("-number").values_list("pk", flat=True).first()
        if text and latest == locked.pk:
            document.suggested = suggest(text)
            _fill_from_suggestions(document, document.suggested)
            document.save()
        audit.record(
            actor=None,
            action="documents.ocr_done" if ocr_pdf is not None else "documents.ocr_failed",
            unit=document.unit,
            obj=document,
            after={"version": locked.number, "chars": len(text), "error": locked.ocr_error},
            data={"version": locked.number},
        )
        _index(document)
    return locked


def document_copy_to_unit(*, actor: Any | None, document: Document, unit: Unit) -> Document:
    """The receiving unit's own document for an internal delivery: the same metadata and the same
    stored files (content-addressed, so only rows are written). Each unit keeps its own registers
    (Decree 30 Art. 22) and a document is registered once per kind, hence a document per unit.

    Non-durable: runs inside the delivering service's transaction; audited there."""
    copy = Document.objects.create(
        unit=unit,
        subject=document.subject,
        doc_type=document.doc_type,
        issuing_body=document.issuing_body or document.unit.name,
        number=document.number,
        notation=document.notation,
        place=document.place,
        issued_on=document.issued_on,
        signer_name=document.signer_name,
        signer_title=document.signer_title,
        recipients=document.recipients,
        urgency=document.urgency,
        confidentiality=document.confidentiality,
        page_count=document.page_count,
        copies=document.copies,
        due_on=document.due_on,
        created_by=actor,
    )
    DocumentVersion.objects.bulk_create(
        DocumentVersion(
            document=copy,
            number=version.number,
            original_id=version.original_id,
            original_name=version.original_name,
            pdf_id=version.pdf_id,
            text=version.text,
            ocr_status=version.ocr_status,
            ocr_error=version.ocr_error,
            # The receiving unit sees the signatures as they were checked on arrival.
            signature_check=version.signature_check,
            signature_report_xml=version.signature_report_xml,
            created_by=version.created_by,
        )
        for version in DocumentVersion.objects.filter(document=document).order_by("number")
    )
    _index(copy)
    return copy


def document_record_signer(*, document: Document, name: str, title: str) -> Document:
    """Write who signed the document (Decree 30 Art. 8: the signer's title and name), as the
    signing step of outgoing processing decides it. Non-durable: runs inside that step's
    transaction, whose audit event names the signer."""
    document.signer_name = name[:150]
    document.signer_title = title[:150]
    document.save(update_fields=["signer_name", "signer_title", "updated_at"])
    _index(document)
    return document


def document_add_signed_version(
    *, actor: Any | None, document: Document, pdf: bytes, note: str
) -> DocumentVersion:
    """Keep a PDF that a signature step produced from the document's current version (personal
    signature, organization seal) as the next version. Its text is the current version's (a
    signature adds no words); its signatures are validated as any PDF that enters (Art. 21.2).
    Non-durable: runs inside the signing step's transaction, whose audit event says who signed;
    this one records the new file."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("document_add_signed_version runs inside the signing transaction")
    locked = for_update(Document.objects).select_related("unit").get(pk=document.pk)
    current = locked.versions.order_by("-number").first()
    if current is None:
        raise ValidationFailed(_("The document has no content to sign."))
    stored = storage.store(pdf, content_type="application/pdf")
    check = check_signatures(pdf)
    version = DocumentVersion.objects.create(
        document=locked,
        number=current.number + 1,
        original=stored,
        original_name=_signed_name(current.original_name),
        pdf=stored,
        text=current.text,
        ocr_status=OcrStatus.NOT_NEEDED,
        signature_check=check,
        signature_report_xml=report_xml(check),
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="documents.version_signed",
        unit=locked.unit,
        obj=locked,
        after={"version": version.number, "sha256": stored.sha256},
        data={"version": version.number, "note": note[:200]},
    )
    return version


def _signed_name(name: str) -> str:
    stem = PurePosixPath(name).stem or "document"
    suffix = ".signed" if not stem.endswith(".signed") else ""
    return f"{stem}{suffix}.pdf"[:255]
