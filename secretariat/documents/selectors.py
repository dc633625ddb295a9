"""Read queries of documents. Each takes the acting user and applies the scope
(`documents.view` on the document's unit); `user=None` is the system and sees everything."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core.errors import NotFound
from secretariat.orgs.models import Unit

from .models import Document, DocumentVersion


def documents_visible_to(*, user: Any | None) -> QuerySet[Document]:
    """The documents the user may read, newest first (UUIDv7 ids grow with time, so `-id` is
    the creation order and a keyset cursor for pages without count(*))."""
    queryset = Document.objects.select_related("unit", "doc_type").order_by("-id")
    if user is None:
        return queryset
    return policy.scoped(queryset, user, Action.DOCUMENTS_VIEW)


def document_page(
    *, user: Any | None, before: Any = None, limit: int = 50
) -> tuple[list[Document], Any]:
    """One page of `documents_visible_to`, older than the document id `before`; and the cursor
    of the next page (None on the last one)."""
    queryset = documents_visible_to(user=user)
    if before:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def document_get(*, user: Any | None, document_id: Any) -> Document:
    """A document the user may read. NotFound when it does not exist *or* is outside the
    user's scope: the answer must not tell which."""
    document = documents_visible_to(user=user).filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("No such document."))
    return document


def document_versions(*, user: Any | None, document: Document) -> QuerySet[DocumentVersion]:
    """The versions of a document the user may read, newest first."""
    document_get(user=user, document_id=document.pk)
    return (
        DocumentVersion.objects.filter(document=document)
        .select_related("original", "pdf", "created_by")
        .order_by("-number")
    )


def document_version_get(*, user: Any | None, document_id: Any, number: int) -> DocumentVersion:
    document = document_get(user=user, document_id=document_id)
    version = (
        DocumentVersion.objects.select_related("original", "pdf", "document")
        .filter(document=document, number=number)
        .first()
    )
    if version is None:
        raise NotFound(_("No such version."))
    return version


def capture_units(*, user: Any | None) -> QuerySet[Unit]:
    """The active units where the user may capture documents, in tree order."""
    units = (
        Unit.objects.all()
        if user is None
        else policy.units_in_scope(user, Action.DOCUMENTS_CAPTURE)
    )
    return units.filter(active=True).order_by("path")


def can_capture(user: Any | None, unit: Unit) -> bool:
    return user is None or policy.can(user, Action.DOCUMENTS_CAPTURE, unit)
