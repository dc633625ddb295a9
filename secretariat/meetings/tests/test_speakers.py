"""The speakers' list (services/speakers.py): requests, points of order ahead of ordinary
requests, withdrawing, one speaker at a time (also in the database), the timer, reordering."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.meetings import selectors_room
from secretariat.meetings.models import (
    Meeting,
    MeetingState,
    Participant,
    SpeakerKind,
    SpeakerRequest,
    SpeakerState,
)
from secretariat.meetings.services import attendance, speakers

from .room_factories import make_meeting


@pytest.fixture
def room(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    secretary = make_user("secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("chair", position=(tree["cell_a"], "Bí thư"))
    members = [make_user(f"member{i}", position=(tree["cell_a"], "Đảng viên")) for i in range(4)]
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=members)
    for user in members:
        attendance.checkin_remote(actor=user, meeting=meeting)
    return {"meeting": meeting, "secretary": secretary, "chair": chair, "members": members}


def _queue(meeting: Meeting) -> list[tuple[str, str]]:
    return [(r.participant.user.username, r.kind) for r in selectors_room.speaker_queue(meeting)]


def test_point_of_order_goes_ahead_of_ordinary_requests(room: dict[str, Any]) -> None:
    meeting, (a, b, c, d) = room["meeting"], room["members"]
    speakers.request_floor(actor=a, meeting=meeting)
    speakers.request_floor(actor=b, meeting=meeting)
    speakers.request_floor(actor=c, meeting=meeting, kind=SpeakerKind.POINT_OF_ORDER)
    speakers.request_floor(actor=d, meeting=meeting, kind=SpeakerKind.POINT_OF_ORDER)
    # The same person may have a request to speak and a point of order pending.
    speakers.request_floor(actor=a, meeting=meeting, kind=SpeakerKind.POINT_OF_ORDER)
    assert _queue(meeting) == [
        ("member2", "point_of_order"),
        ("member3", "point_of_order"),
        ("member0", "point_of_order"),
        ("member0", "speak"),
        ("member1", "speak"),
    ]
    positions = [r.position for r in selectors_room.speaker_queue(meeting)]
    assert positions == [1, 2, 3, 4, 5]


def test_one_pending_request_of_each_kind(room: dict[str, Any]) -> None:
    meeting, a = room["meeting"], room["members"][0]
    speakers.request_floor(actor=a, meeting=meeting)
    with pytest.raises(Conflict, match="already asked"):
        speakers.request_floor(actor=a, meeting=meeting)
    with pytest.raises(ValidationFailed):
        speakers.request_floor(actor=a, meeting=meeting, kind="filibuster")


def test_requests_need_presence_and_a_session(room: dict[str, Any], make_user: Any) -> None:
    meeting = room["meeting"]
    chair = room["chair"]  # invited but not checked in
    with pytest.raises(Conflict, match="Check in"):
        speakers.request_floor(actor=chair, meeting=meeting)
    with pytest.raises(PermissionDenied):
        speakers.request_floor(actor=make_user("outsider"), meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(state=MeetingState.CLOSED)
    with pytest.raises(Conflict, match="not in session"):
        speakers.request_floor(actor=room["members"][0], meeting=meeting)


def test_floor_timer_and_one_speaker_at_a_time(room: dict[str, Any]) -> None:
    meeting, secretary, (a, b, _c, _d) = room["meeting"], room["secretary"], room["members"]
    ra = speakers.request_floor(actor=a, meeting=meeting)
    rb = speakers.request_floor(actor=b, meeting=meeting)
    with pytest.raises(PermissionDenied):
        speakers.give_floor(actor=b, request=ra)
    given = speakers.give_floor(actor=secretary, request=ra, allotted_seconds=120)
    assert given.state == SpeakerState.SPEAKING
    assert given.started_at is not None
    assert selectors_room.turn_ends_at(given) == given.started_at + dt.timedelta(seconds=120)
    data = selectors_room.speakers_data(meeting)
    assert data["speaking"]["id"] == str(ra.pk)
    assert data["speaking"]["allotted_seconds"] == 120
    assert [r["id"] for r in data["queue"]] == [str(rb.pk)]
    with pytest.raises(Conflict, match="end their turn"):
        speakers.give_floor(actor=secretary, request=rb)
    with pytest.raises(ValidationFailed):
        speakers.give_floor_next(actor=secretary, meeting=meeting, allotted_seconds=5)
    # The speaker ends their own turn; then the next one gets the floor.
    speakers.end_turn(actor=a, request=ra)
    with pytest.raises(Conflict):
        speakers.end_turn(actor=secretary, request=ra)
    nxt = speakers.give_floor_next(actor=secretary, meeting=meeting)
    assert nxt.pk == rb.pk
    assert nxt.allotted_seconds == speakers.DEFAULT_SECONDS
    with pytest.raises(PermissionDenied):
        speakers.end_turn(actor=a, request=rb)
    speakers.end_turn(actor=room["chair"], request=rb)
    with pytest.raises(Conflict, match="Nobody"):
        speakers.give_floor_next(actor=secretary, meeting=meeting)
    actions = list(
        AuditEvent.objects.filter(action__startswith="meetings.")
        .exclude(action="meetings.checked_in")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "meetings.floor_requested",
        "meetings.floor_requested",
        "meetings.floor_given",
        "meetings.turn_ended",
        "meetings.floor_given",
        "meetings.turn_ended",
    ]


def test_the_database_refuses_a_second_speaker(room: dict[str, Any]) -> None:
    """`meetings_one_speaker` stands behind the service's check."""
    meeting, (a, b, _c, _d) = room["meeting"], room["members"]
    participants = [Participant.objects.get(meeting=meeting, user=u) for u in (a, b)]
    SpeakerRequest.objects.create(
        meeting=meeting, participant=participants[0], kind="speak", position=1, state="speaking"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SpeakerRequest.objects.create(
            meeting=meeting,
            participant=participants[1],
            kind="speak",
            position=2,
            state="speaking",
        )


def test_withdraw_own_request_or_by_an_organizer(room: dict[str, Any]) -> None:
    meeting, secretary, (a, b, c, _d) = room["meeting"], room["secretary"], room["members"]
    ra = speakers.request_floor(actor=a, meeting=meeting)
    rb = speakers.request_floor(actor=b, meeting=meeting)
    rc = speakers.request_floor(actor=c, meeting=meeting)
    with pytest.raises(PermissionDenied):
        speakers.withdraw(actor=b, request=ra)
    speakers.withdraw(actor=a, request=ra)
    with pytest.raises(Conflict):
        speakers.withdraw(actor=a, request=ra)
    speakers.withdraw(actor=secretary, request=rc)
    queue = selectors_room.speaker_queue(meeting)
    assert [(r.pk, r.position) for r in queue] == [(rb.pk, 1)]
    # Withdrawn, one may ask again.
    speakers.request_floor(actor=a, meeting=meeting)


def test_reorder(room: dict[str, Any]) -> None:
    meeting, secretary, (a, b, c, _d) = room["meeting"], room["secretary"], room["members"]
    ra = speakers.request_floor(actor=a, meeting=meeting)
    rb = speakers.request_floor(actor=b, meeting=meeting)
    rc = speakers.request_floor(actor=c, meeting=meeting)
    with pytest.raises(PermissionDenied):
        speakers.reorder(actor=a, meeting=meeting, order=[rc.pk, ra.pk, rb.pk])
    speakers.reorder(actor=secretary, meeting=meeting, order=[rc.pk, ra.pk, rb.pk])
    assert [r.pk for r in selectors_room.speaker_queue(meeting)] == [rc.pk, ra.pk, rb.pk]
    # A stale list (one missing, one twice, an unknown id) is refused.
    for order in ([rc.pk, ra.pk], [rc.pk, ra.pk, ra.pk], [rc.pk, ra.pk, rb.pk, meeting.pk]):
        with pytest.raises(Conflict, match="changed"):
            speakers.reorder(actor=secretary, meeting=meeting, order=order)


def test_closing_the_session_ends_the_turn_and_lapses_the_queue(room: dict[str, Any]) -> None:
    meeting, secretary, (a, b, _c, _d) = room["meeting"], room["secretary"], room["members"]
    ra = speakers.request_floor(actor=a, meeting=meeting)
    rb = speakers.request_floor(actor=b, meeting=meeting)
    speakers.give_floor(actor=secretary, request=ra)
    attendance.close_session(actor=secretary, meeting=meeting)
    ra.refresh_from_db()
    rb.refresh_from_db()
    assert ra.state == SpeakerState.DONE
    assert rb.state == SpeakerState.WITHDRAWN
    assert selectors_room.speakers_data(meeting) == {"speaking": None, "queue": []}
