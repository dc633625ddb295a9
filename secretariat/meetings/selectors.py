"""Read queries of the organizing pages: lists, participants, the agenda with its pack, notes
and read receipts. Each takes the acting user where what it returns depends on who asks;
access to the meeting itself is `access.get_visible`'s."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from secretariat.accounts import policy
from secretariat.accounts.models import Position, User
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.documents.models import Document
from secretariat.documents.selectors import documents_visible_to
from secretariat.orgs.models import Unit

from .access import visible_meetings
from .models import (
    AgendaItem,
    Annotation,
    ItemDocument,
    Meeting,
    MeetingState,
    Participant,
    ParticipantRole,
    ReadReceipt,
)

LIST_LIMIT = 200
# The "all my meetings" calendar feed: from this far back, onwards.
FEED_PAST_DAYS = 92


def meeting_list(*, user: Any, when: str = "upcoming", mine: bool = False) -> QuerySet[Meeting]:
    """Meetings the user sees: upcoming ones (not yet ended) soonest first, or past ones
    latest first; `mine` keeps those the user is invited to."""
    queryset = visible_meetings(user).select_related("unit", "chair")
    if mine:
        queryset = queryset.filter(participants__user=user)
    now = clock.now()
    if when == "past":
        return queryset.filter(ends_at__lt=now).order_by("-starts_at")[:LIST_LIMIT]
    return queryset.filter(ends_at__gte=now).order_by("starts_at")[:LIST_LIMIT]


def my_invitations(*, user: Any, meetings: list[Meeting]) -> dict[Any, Participant]:
    """The user's invitations to `meetings`, by meeting id."""
    rows = Participant.objects.filter(user=user, meeting__in=[m.pk for m in meetings])
    return {p.meeting_id: p for p in rows}


def calendar_feed(*, user: Any) -> QuerySet[Meeting]:
    """Meetings the user is invited to, from three months ago onwards (drafts excluded: they
    are not convened yet)."""
    since = clock.now() - dt.timedelta(days=FEED_PAST_DAYS)
    return (
        Meeting.objects.filter(participants__user=user, ends_at__gte=since)
        .exclude(state=MeetingState.DRAFT)
        .select_related("unit")
        .order_by("starts_at")
    )


def organizer_units(*, user: Any) -> QuerySet[Unit]:
    """Active units where the user may create meetings, in tree order."""
    return (
        policy.units_in_scope(user, Action.MEETINGS_ORGANIZE).filter(active=True).order_by("path")
    )


def people_for(*, units: QuerySet[Unit]) -> QuerySet[User]:
    """Active users holding a position in one of `units` or below them: the choices for chair,
    secretary, presenter and invitations."""
    paths = list(units.values_list("path", flat=True))
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(unit__path__startswith=path)
    holders = Position.objects.filter(ended_on__isnull=True).filter(condition).values("user_id")
    return User.objects.filter(is_active=True, pk__in=holders).order_by("full_name", "username")


def participants(*, meeting: Meeting) -> list[Participant]:
    order: dict[str, int] = {
        ParticipantRole.CHAIR: 0,
        ParticipantRole.SECRETARY: 1,
        ParticipantRole.MEMBER: 2,
        ParticipantRole.GUEST: 3,
    }
    rows = list(Participant.objects.filter(meeting=meeting).select_related("user", "via_unit"))
    rows.sort(key=lambda p: (order.get(p.role, 9), p.user.full_name or p.user.username))
    return rows


def agenda(*, meeting: Meeting) -> list[AgendaItem]:
    """The items in order, each with its pack documents (`item.pack`)."""
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("presenter")
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=ItemDocument.objects.select_related("document").order_by("position"),
                to_attr="pack",
            )
        )
        .order_by("position")
    )


def pack_candidates(*, user: Any, limit: int = 100) -> list[Document]:
    """Recent documents the organizer may put in a pack (readable by them, not classified)."""
    return list(documents_visible_to(user=user).filter(confidentiality="normal")[:limit])


def annotations_for(*, user: Any, item_document: ItemDocument) -> list[Annotation]:
    """The user's own notes on the document and the shared ones, by page."""
    return list(
        Annotation.objects.filter(item_document=item_document)
        .filter(Q(author=user) | Q(shared=True))
        .select_related("author")
        .order_by("page", "created_at")
    )


@dataclass(frozen=True)
class ReadRow:
    participant: Participant
    opened: list[bool]  # per pack document, in the order of `ReadTable.documents`


@dataclass(frozen=True)
class ReadTable:
    documents: list[ItemDocument]
    rows: list[ReadRow]

    @property
    def opened_count(self) -> int:
        return sum(1 for row in self.rows if row.participant.pack_opened_at is not None)


def read_table(*, meeting: Meeting) -> ReadTable:
    """Who has opened the pack, and which of its documents."""
    documents = list(
        ItemDocument.objects.filter(item__meeting=meeting)
        .select_related("document", "item")
        .order_by("item__position", "position")
    )
    people = participants(meeting=meeting)
    read = set(
        ReadReceipt.objects.filter(item_document__item__meeting=meeting).values_list(
            "participant_id", "item_document_id"
        )
    )
    rows = [
        ReadRow(participant=p, opened=[(p.pk, d.pk) in read for d in documents]) for p in people
    ]
    return ReadTable(documents=documents, rows=rows)
