"""Keeping the index current: one SearchEntry row per document. The engine-specific parts follow
by themselves (SQLite triggers fill the FTS5 tables; PostgreSQL computes generated columns)."""

from __future__ import annotations

from ..models import Confidentiality, Document, DocumentVersion, SearchEntry
from .text import clean


def _title(document: Document) -> str:
    parts = [document.subject, document.notation]
    if document.number and document.number not in document.notation:
        parts.append(document.number)
    parts.append(document.issuing_body)
    if document.doc_type_id and document.doc_type is not None:
        parts.append(document.doc_type.name)
    parts.append(document.signer_name)
    return clean("\n".join(part for part in parts if part))


def _body(document: Document) -> str:
    text = (
        DocumentVersion.objects.filter(document=document)
        .order_by("-number")
        .values_list("text", flat=True)
        .first()
    )
    return clean(text or "")


def index_document(document: Document) -> None:
    """(Re)index a document: its subject, notation/number, issuing body, type name and signer,
    and the text of its latest version. Call after the text is known and after metadata changes;
    calling it again changes nothing. A confidential document (above Thường) is not indexed: it
    holds no content and is found through its register entry."""
    if document.confidentiality != Confidentiality.NORMAL:
        remove_document(document)
        return
    created = document.created_at
    SearchEntry.objects.update_or_create(
        document=document,
        defaults={
            "unit_id": document.unit_id,
            "doc_type_id": document.doc_type_id,
            "created_at": created,
            "doc_date": document.issued_on or created.date(),
            "title": _title(document),
            "body": _body(document),
        },
    )


def remove_document(document: Document) -> None:
    """Take a document out of the index (it can no longer be found)."""
    SearchEntry.objects.filter(document=document).delete()


def reindex_all(*, batch: int = 500) -> int:
    """Index every document again (after a restore or a change of what is indexed)."""
    count = 0
    documents = Document.objects.select_related("doc_type").order_by("created_at", "id")
    for document in documents.iterator(chunk_size=batch):
        index_document(document)
        count += 1
    return count
