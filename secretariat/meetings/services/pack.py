"""Services of the board pack: documents per agenda item taken from the document store, their
reading by the invitees (read receipts), and the notes written on their pages.

* An organizer adds a document they may read themselves (`documents.view` on its unit), that
  has a PDF to read, and that is not classified: documents marked Mật, Tối mật or Tuyệt mật
  never enter the system, and a pack never carries one (DOMAIN.md §7).
* Only invitees read the pack. An organizer who is not invited sees the titles, not the
  content: preparing a meeting is not a right to read what it discusses.
* The first time a participant opens a document is kept (`ReadReceipt`, and
  `Participant.pack_opened_at` for the pack as a whole); every read is audited.
* A note is private to its author unless shared; shared notes are seen by every participant.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.documents.models import Confidentiality, Document, DocumentVersion
from secretariat.documents.selectors import document_versions, documents_visible_to

from .. import live
from ..access import require_organizer, require_participant
from ..models import AgendaItem, Annotation, ItemDocument, Meeting, ReadReceipt
from .meetings import lock_meeting, require_not_finished

AUDIT_LABELS: dict[str, Promise] = {
    "meetings.pack_document_added": _("Document added to the board pack"),
    "meetings.pack_document_removed": _("Document removed from the board pack"),
    "meetings.pack_document_read": _("Board pack document read"),
    "meetings.annotation_added": _("Note added to a board pack document"),
    "meetings.annotation_deleted": _("Note deleted from a board pack document"),
}

MAX_NOTE = 4000

__all__ = [
    "AUDIT_LABELS",
    "annotation_add",
    "annotation_delete",
    "item_document_get",
    "pack_document_add",
    "pack_document_open",
    "pack_document_remove",
    "pdf_version",
]


def _invalid(field: str, message: str | Promise) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def pdf_version(document: Document) -> DocumentVersion | None:
    """The newest version of `document` that has a PDF to read."""
    return document_versions(user=None, document=document).filter(pdf__isnull=False).first()


def item_document_get(*, meeting: Meeting, item_document_id: Any) -> ItemDocument:
    """A document of this meeting's pack (NotFound otherwise); no access check."""
    found = (
        ItemDocument.objects.select_related("item", "document")
        .filter(item__meeting=meeting, pk=item_document_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such document in this meeting's pack."))
    return found


# --- The pack ------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def pack_document_add(
    *, actor: Any, meeting: Meeting, item_id: Any, document_id: Any
) -> ItemDocument:
    """Add a document of the store to an agenda item's pack."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    item = AgendaItem.objects.filter(meeting=locked, pk=item_id).first()
    if item is None:
        raise NotFound(_("No such agenda item."))
    document = documents_visible_to(user=actor).filter(pk=document_id).first()
    if document is None:
        raise _invalid("document", _("No such document, or you may not read it."))
    if document.confidentiality != Confidentiality.NORMAL:
        raise _invalid(
            "document",
            _(
                "“%(subject)s” is marked %(level)s: classified documents never go into a "
                "board pack. Only documents marked Thường (normal) can be added."
            )
            % {
                "subject": document.subject[:80],
                "level": Confidentiality(document.confidentiality).label,
            },
        )
    if pdf_version(document) is None:
        raise _invalid(
            "document", _("This document has no PDF version to read yet: try again later.")
        )
    if ItemDocument.objects.filter(item=item, document=document).exists():
        raise Conflict(_("This document is already in the item's pack."))
    last = ItemDocument.objects.filter(item=item).aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            entry = ItemDocument.objects.create(
                item=item,
                document=document,
                added_by=actor,
                position=(last or 0) + 1,
            )
    except IntegrityError as exc:
        raise Conflict(_("This document is already in the item's pack.")) from exc
    audit.record(
        actor=actor,
        action="meetings.pack_document_added",
        unit=locked.unit,
        obj=entry,
        after={"item": str(item.pk), "document": str(document.pk)},
        data={
            "meeting": locked.title[:120],
            "item": item.title[:120],
            "document": document.subject[:120],
        },
    )
    live.changed(locked, topic="pack", data={"item": str(item.pk)})
    return entry


@transaction.atomic(durable=True)
def pack_document_remove(*, actor: Any, meeting: Meeting, item_document_id: Any) -> None:
    """Take a document out of the pack (with its notes and read receipts); the document
    itself stays in the store."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    entry = item_document_get(meeting=locked, item_document_id=item_document_id)
    audit.record(
        actor=actor,
        action="meetings.pack_document_removed",
        unit=locked.unit,
        obj=entry,
        before={"item": str(entry.item_id), "document": str(entry.document_id)},
        data={"meeting": locked.title[:120], "document": entry.document.subject[:120]},
    )
    entry.delete()
    live.changed(locked, topic="pack", data={"item": str(entry.item_id)})


@transaction.atomic(durable=True)
def pack_document_open(
    *, actor: Any, meeting: Meeting, item_document_id: Any
) -> tuple[ItemDocument, DocumentVersion]:
    """An invitee reads a pack document: the version whose PDF they get. The first read of
    each document, and of the pack, is kept; every read is audited."""
    participant = require_participant(actor, meeting)
    entry = item_document_get(meeting=meeting, item_document_id=item_document_id)
    if entry.document.confidentiality != Confidentiality.NORMAL:
        # Reclassified after it was added: it is no longer served.
        raise PermissionDenied(_("This document is classified and can no longer be read here."))
    version = pdf_version(entry.document)
    if version is None:
        raise NotFound(_("This document has no PDF version to read."))
    now = clock.now()
    first = False
    if not ReadReceipt.objects.filter(participant=participant, item_document=entry).exists():
        try:
            with transaction.atomic():
                ReadReceipt.objects.create(participant=participant, item_document=entry)
            first = True
        except IntegrityError:
            first = False  # the same reader's other tab was first
    if participant.pack_opened_at is None:
        type(participant).objects.filter(pk=participant.pk, pack_opened_at__isnull=True).update(
            pack_opened_at=now, updated_at=now
        )
    audit.record(
        actor=actor,
        action="meetings.pack_document_read",
        unit=meeting.unit,
        obj=entry,
        data={
            "meeting": meeting.title[:120],
            "document": entry.document.subject[:120],
            "version": version.number,
            "first": first,
        },
    )
    if first:
        live.changed(meeting, topic="pack", data={"read": str(entry.pk)})
    return entry, version


# --- Notes on pages ------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def annotation_add(
    *,
    actor: Any,
    meeting: Meeting,
    item_document_id: Any,
    page: Any,
    text: str,
    shared: bool = False,
) -> Annotation:
    """A note on one page of a pack document, private unless `shared`."""
    require_participant(actor, meeting)
    require_not_finished(meeting)
    entry = item_document_get(meeting=meeting, item_document_id=item_document_id)
    text = (text or "").strip()
    if not text:
        raise _invalid("text", _("Write the note."))
    if len(text) > MAX_NOTE:
        raise _invalid("text", _("The note is too long (4,000 characters at most)."))
    pages = entry.document.page_count
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise _invalid("page", _("Give the page the note is about."))
    if pages and page > pages:
        raise _invalid("page", _("The document has %(pages)s pages only.") % {"pages": pages})
    note = Annotation.objects.create(
        item_document=entry, author=actor, page=page, text=text, shared=bool(shared)
    )
    audit.record(
        actor=actor,
        action="meetings.annotation_added",
        unit=meeting.unit,
        obj=note,
        # The text of a private note is the author's: the log keeps its digest only.
        after={"page": page, "shared": note.shared, "text": text},
        data={"meeting": meeting.title[:120], "page": page, "shared": note.shared},
    )
    if note.shared:
        live.changed(meeting, topic="pack", data={"notes": str(entry.pk), "page": page})
    return note


@transaction.atomic(durable=True)
def annotation_delete(*, actor: Any, meeting: Meeting, annotation_id: Any) -> None:
    """Delete one's own note."""
    require_participant(actor, meeting)
    require_not_finished(meeting)
    note = (
        for_update(Annotation.objects, of=("self",))
        .select_related("item_document")
        .filter(item_document__item__meeting=meeting, pk=annotation_id)
        .first()
    )
    if note is None or (note.author_id != actor.pk and not note.shared):
        raise NotFound(_("No such note."))
    if note.author_id != actor.pk:
        raise PermissionDenied(_("Only its author may delete a note."))
    audit.record(
        actor=actor,
        action="meetings.annotation_deleted",
        unit=meeting.unit,
        obj=note,
        before={"page": note.page, "shared": note.shared, "text": note.text},
        data={"meeting": meeting.title[:120], "page": note.page, "shared": note.shared},
    )
    shared, page, entry_id = note.shared, note.page, note.item_document_id
    note.delete()
    if shared:
        live.changed(meeting, topic="pack", data={"notes": str(entry_id), "page": page})
