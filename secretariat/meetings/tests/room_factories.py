"""Meetings for the room's tests (consumers, pages, browser, matrix, benchmark): written straight
to the tables, so that these tests do not depend on how meetings are scheduled."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from secretariat.core import clock
from secretariat.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingKind,
    MeetingState,
    Participant,
    ParticipantRole,
)
from secretariat.meetings.rules_defaults import DEFAULTS


def make_meeting(
    *,
    unit: Any,
    chair: Any,
    secretary: Any,
    members: list[Any] = (),  # type: ignore[assignment]
    title: str = "Họp Chi bộ tháng 5",
    state: str = MeetingState.IN_SESSION,
    kind: str = MeetingKind.CELL,
    items: int = 2,
    body_size: int | None = None,
) -> Meeting:
    rules = DEFAULTS[kind]
    now = clock.now()
    meeting = Meeting.objects.create(
        unit=unit,
        kind=kind,
        title=title,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=2),
        place="Hội trường",
        state=state,
        chair=chair,
        secretary=secretary,
        created_by=secretary,
        body_size=body_size if body_size is not None else len(members) + 2,
        checkin_token=secrets.token_urlsafe(24),
        opened_at=now if state == MeetingState.IN_SESSION else None,
        **rules._asdict(),
    )
    Participant.objects.create(meeting=meeting, user=chair, role=ParticipantRole.CHAIR)
    Participant.objects.create(meeting=meeting, user=secretary, role=ParticipantRole.SECRETARY)
    for member in members:
        Participant.objects.create(meeting=meeting, user=member, role=ParticipantRole.MEMBER)
    for position in range(1, items + 1):
        AgendaItem.objects.create(
            meeting=meeting, position=position, title=f"Nội dung {position}", planned_minutes=10
        )
    return meeting
