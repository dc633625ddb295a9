"""Attendance and the session (services/attendance.py, selectors_room.py): check-in with the
room's QR token, remotely, or recorded by the secretary; no proxies; leaving; quorum live;
opening and closing the session; the agenda item taken up; the live events."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers, get_channel_layer

from secretariat.accounts.models import Role, User
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core import live as core_live
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.meetings import live, selectors_room
from secretariat.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingState,
    Participant,
    ParticipantRole,
    Presence,
    VoteKind,
    VoteMethod,
)
from secretariat.meetings.services import attendance, votes

from .room_factories import make_meeting


@pytest.fixture
def room(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A cell meeting in session: chair, secretary, four members, one guest; nobody checked in.
    Body of 6 (chair, secretary, members); quorum: more than half of the members."""
    secretary = make_user("secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("chair", position=(tree["cell_a"], "Bí thư"))
    members = [make_user(f"member{i}", position=(tree["cell_a"], "Đảng viên")) for i in range(4)]
    guest = make_user("guest")
    stranger = make_user("stranger", position=(tree["cell_b"], "Đảng viên"))
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=members)
    Participant.objects.create(
        meeting=meeting, user=guest, role=ParticipantRole.GUEST, voting=False
    )
    return {
        "meeting": meeting,
        "chair": chair,
        "secretary": secretary,
        "members": members,
        "guest": guest,
        "stranger": stranger,
    }


def _participant(meeting: Meeting, user: Any) -> Participant:
    return Participant.objects.get(meeting=meeting, user=user)


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


# --- Check-in ---------------------------------------------------------------------------------


def test_check_in_with_the_rooms_qr_token(room: dict[str, Any]) -> None:
    meeting, member = room["meeting"], room["members"][0]
    seq = Meeting.objects.get(pk=meeting.pk).live_seq
    participant = attendance.check_in(actor=member, meeting=meeting, token=meeting.checkin_token)
    assert participant.presence == Presence.ROOM
    assert participant.checked_in_by_id == member.pk
    assert selectors_room.is_present(participant)
    assert _actions() == ["meetings.checked_in"]
    assert Meeting.objects.get(pk=meeting.pk).live_seq == seq + 1
    # Scanning again changes nothing and records nothing.
    attendance.check_in(actor=member, meeting=meeting, token=meeting.checkin_token)
    assert _actions() == ["meetings.checked_in"]


@pytest.mark.parametrize("token", ["", "wrong", "x" * 200])
def test_check_in_with_a_wrong_token_is_refused(room: dict[str, Any], token: str) -> None:
    meeting, member = room["meeting"], room["members"][0]
    with pytest.raises(ValidationFailed, match="not valid"):
        attendance.check_in(actor=member, meeting=meeting, token=token)
    assert _participant(meeting, member).presence == Presence.ABSENT
    assert _actions() == []


def test_token_of_another_meeting_is_refused(room: dict[str, Any]) -> None:
    other = make_meeting(
        unit=room["meeting"].unit,
        chair=room["chair"],
        secretary=room["secretary"],
        members=room["members"],
        title="Another",
    )
    with pytest.raises(ValidationFailed):
        attendance.check_in(
            actor=room["members"][0], meeting=room["meeting"], token=other.checkin_token
        )


def test_only_participants_check_in(room: dict[str, Any]) -> None:
    meeting = room["meeting"]
    with pytest.raises(PermissionDenied):
        attendance.check_in(actor=room["stranger"], meeting=meeting, token=meeting.checkin_token)
    with pytest.raises(PermissionDenied):
        attendance.checkin_remote(actor=room["stranger"], meeting=meeting)


@pytest.mark.parametrize(
    ("state", "starts_in", "allowed"),
    [
        (MeetingState.CONVENED, dt.timedelta(minutes=30), True),
        (MeetingState.CONVENED, dt.timedelta(hours=2), False),
        (MeetingState.IN_SESSION, dt.timedelta(hours=-5), True),
        (MeetingState.CLOSED, dt.timedelta(minutes=-30), False),
        (MeetingState.DRAFT, dt.timedelta(minutes=10), False),
        (MeetingState.CANCELLED, dt.timedelta(minutes=10), False),
    ],
)
def test_check_in_window(
    room: dict[str, Any], state: str, starts_in: dt.timedelta, allowed: bool
) -> None:
    meeting = room["meeting"]
    now = clock.now()
    Meeting.objects.filter(pk=meeting.pk).update(
        state=state, starts_at=now + starts_in, ends_at=now + starts_in + dt.timedelta(hours=8)
    )
    meeting.refresh_from_db()
    member = room["members"][0]
    if allowed:
        attendance.check_in(actor=member, meeting=meeting, token=meeting.checkin_token)
        assert _participant(meeting, member).presence == Presence.ROOM
    else:
        with pytest.raises(Conflict):
            attendance.check_in(actor=member, meeting=meeting, token=meeting.checkin_token)
        with pytest.raises(Conflict):
            attendance.checkin_remote(actor=member, meeting=meeting)


def test_remote_check_in_and_someone_in_the_room_stays_there(room: dict[str, Any]) -> None:
    meeting, a, b = room["meeting"], room["members"][0], room["members"][1]
    assert attendance.checkin_remote(actor=a, meeting=meeting).presence == Presence.REMOTE
    attendance.check_in(actor=b, meeting=meeting, token=meeting.checkin_token)
    # b opens the video room too: still counted in the room, no new event.
    events = AuditEvent.objects.count()
    assert attendance.checkin_remote(actor=b, meeting=meeting).presence == Presence.ROOM
    assert AuditEvent.objects.count() == events
    # a walks in and scans the code: now in the room.
    attendance.check_in(actor=a, meeting=meeting, token=meeting.checkin_token)
    assert _participant(meeting, a).presence == Presence.ROOM


def test_leaving_and_coming_back(room: dict[str, Any]) -> None:
    meeting, member = room["meeting"], room["members"][0]
    with pytest.raises(Conflict):
        attendance.leave(actor=member, meeting=meeting)
    attendance.checkin_remote(actor=member, meeting=meeting)
    left = attendance.leave(actor=member, meeting=meeting)
    assert left.left_at is not None
    assert not selectors_room.is_present(left)
    back = attendance.checkin_remote(actor=member, meeting=meeting)
    assert back.left_at is None
    assert selectors_room.is_present(back)
    assert _actions() == ["meetings.checked_in", "meetings.left", "meetings.checked_in"]


# --- Proxies refused; the secretary records presence ------------------------------------------


def test_proxies_are_refused(room: dict[str, Any]) -> None:
    """A member cannot record anyone's presence; checking in only ever touches the actor's own
    row; nobody votes for someone else (see test_votes.py)."""
    meeting, a, b = room["meeting"], room["members"][0], room["members"][1]
    with pytest.raises(PermissionDenied):
        attendance.record_presence(
            actor=a, participant=_participant(meeting, b), presence=Presence.ROOM
        )
    attendance.check_in(actor=a, meeting=meeting, token=meeting.checkin_token)
    assert _participant(meeting, b).presence == Presence.ABSENT
    # The guest (invited, not an organizer) cannot either.
    with pytest.raises(PermissionDenied):
        attendance.record_presence(
            actor=room["guest"], participant=_participant(meeting, b), presence=Presence.REMOTE
        )
    assert _participant(meeting, b).presence == Presence.ABSENT


def test_secretary_records_presence_and_departure(room: dict[str, Any]) -> None:
    meeting, secretary, member = room["meeting"], room["secretary"], room["members"][2]
    p = attendance.record_presence(
        actor=secretary, participant=_participant(meeting, member), presence=Presence.ROOM
    )
    assert p.presence == Presence.ROOM
    assert p.checked_in_by_id == secretary.pk
    rows = {r.participant.user_id: r for r in selectors_room.presence_list(meeting)}
    assert rows[member.pk].checked_in_by_other is True
    gone = attendance.record_presence(
        actor=secretary, participant=_participant(meeting, member), presence=Presence.ABSENT
    )
    assert not selectors_room.is_present(gone)
    with pytest.raises(ValidationFailed):
        attendance.record_presence(
            actor=secretary, participant=_participant(meeting, member), presence="sleeping"
        )
    event = AuditEvent.objects.filter(action="meetings.presence_recorded").order_by("seq").first()
    assert event is not None
    assert event.actor_id == secretary.pk


def test_secretary_of_another_meeting_cannot_record_here(
    room: dict[str, Any], tree: dict[str, Any], make_user: Any
) -> None:
    outsider = make_user("outsider", role=Role.MEETING_SECRETARY, unit=tree["cell_b"])
    meeting, member = room["meeting"], room["members"][0]
    with pytest.raises(PermissionDenied):
        attendance.record_presence(
            actor=outsider, participant=_participant(meeting, member), presence=Presence.ROOM
        )


# --- Quorum now -------------------------------------------------------------------------------


def test_quorum_counts_voting_members_present_only(room: dict[str, Any]) -> None:
    """Body of 6, more than half: 4 needed. Guests do not count; an excluded member present
    does not count; someone who left does not count."""
    meeting, members = room["meeting"], room["members"]
    q = selectors_room.quorum_now(meeting)
    assert (q.base_size, q.present, q.required, q.met) == (6, 0, 4, False)
    attendance.checkin_remote(actor=room["guest"], meeting=meeting)
    for user in [room["chair"], members[0], members[1]]:
        attendance.check_in(actor=user, meeting=meeting, token=meeting.checkin_token)
    assert selectors_room.quorum_now(meeting).present == 3  # the guest is not counted
    assert selectors_room.quorum_now(meeting).met is False  # exactly half of 6
    Participant.objects.filter(meeting=meeting, user=members[2]).update(
        excluded_reason="Đang bị kỷ luật"
    )
    attendance.check_in(actor=members[2], meeting=meeting, token=meeting.checkin_token)
    assert selectors_room.quorum_now(meeting).present == 3  # excluded
    attendance.checkin_remote(actor=members[3], meeting=meeting)
    assert selectors_room.quorum_now(meeting).met is True
    attendance.leave(actor=members[3], meeting=meeting)
    assert selectors_room.quorum_now(meeting).met is False
    counts = selectors_room.counts(meeting)
    assert (counts.members, counts.summoned, counts.excluded, counts.present) == (6, 6, 1, 3)
    data = selectors_room.presence_data(meeting)
    assert data["quorum"]["met"] is False
    assert len(data["participants"]) == 7


def test_quorum_two_thirds_of_summoned_less_exclusions(room: dict[str, Any]) -> None:
    meeting, members = room["meeting"], room["members"]
    Meeting.objects.filter(pk=meeting.pk).update(
        quorum_base="summoned_not_excluded", quorum_threshold="two_thirds"
    )
    meeting.refresh_from_db()
    Participant.objects.filter(meeting=meeting, user=members[3]).update(excluded_reason="x")
    # 6 summoned, 1 excluded: base 5, two thirds = 4 (10/3 rounded up).
    for user in [room["chair"], members[0], members[1]]:
        attendance.checkin_remote(actor=user, meeting=meeting)
    q = selectors_room.quorum_now(meeting)
    assert (q.base_size, q.required, q.met) == (5, 4, False)
    attendance.checkin_remote(actor=room["secretary"], meeting=meeting)
    assert selectors_room.quorum_now(meeting).met is True


# --- The session ------------------------------------------------------------------------------


def test_open_and_close_the_session(room: dict[str, Any]) -> None:
    meeting, secretary = room["meeting"], room["secretary"]
    Meeting.objects.filter(pk=meeting.pk).update(state=MeetingState.CONVENED, opened_at=None)
    meeting.refresh_from_db()
    with pytest.raises(PermissionDenied):
        attendance.open_session(actor=room["members"][0], meeting=meeting)
    opened = attendance.open_session(actor=secretary, meeting=meeting)
    assert opened.state == MeetingState.IN_SESSION
    assert opened.opened_at is not None
    with pytest.raises(Conflict):
        attendance.open_session(actor=secretary, meeting=meeting)
    closed = attendance.close_session(actor=room["chair"], meeting=meeting)
    assert closed.state == MeetingState.CLOSED
    assert closed.closed_at is not None
    with pytest.raises(Conflict):
        attendance.close_session(actor=secretary, meeting=meeting)
    # Nobody checks in to a closed meeting.
    with pytest.raises(Conflict):
        attendance.checkin_remote(actor=room["members"][0], meeting=meeting)
    assert _actions() == ["meetings.session_opened", "meetings.session_closed"]


def test_session_does_not_close_while_a_vote_is_open(room: dict[str, Any]) -> None:
    meeting, secretary = room["meeting"], room["secretary"]
    attendance.checkin_remote(actor=room["members"][0], meeting=meeting)
    vote = votes.create_vote(
        actor=secretary,
        meeting=meeting,
        kind=VoteKind.PROCEDURAL,
        method=VoteMethod.SHOW_OF_HANDS,
        question="Thông qua chương trình",
    )
    votes.open_vote(actor=secretary, vote=vote)
    with pytest.raises(Conflict, match="open vote"):
        attendance.close_session(actor=secretary, meeting=meeting)
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.IN_SESSION


def test_current_agenda_item(room: dict[str, Any]) -> None:
    meeting, secretary = room["meeting"], room["secretary"]
    first, second = AgendaItem.objects.filter(meeting=meeting).order_by("position")
    with pytest.raises(PermissionDenied):
        attendance.set_current_item(actor=room["members"][0], meeting=meeting, item=first)
    attendance.set_current_item(actor=secretary, meeting=meeting, item=first)
    first.refresh_from_db()
    assert first.started_at is not None
    assert first.ended_at is None
    attendance.set_current_item(actor=secretary, meeting=meeting, item=second)
    first.refresh_from_db()
    assert first.ended_at is not None
    assert Meeting.objects.get(pk=meeting.pk).current_item_id == second.pk
    other = make_meeting(unit=meeting.unit, chair=room["chair"], secretary=secretary, title="Other")
    foreign = AgendaItem.objects.filter(meeting=other).first()
    with pytest.raises(ValidationFailed):
        attendance.set_current_item(actor=secretary, meeting=meeting, item=foreign)
    attendance.set_current_item(actor=secretary, meeting=meeting, item=None)
    assert Meeting.objects.get(pk=meeting.pk).current_item_id is None


# --- Live -------------------------------------------------------------------------------------


@pytest.fixture
def memory_layer(settings: Any) -> Iterator[Any]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends = {}
    yield get_channel_layer()
    channel_layers.backends = {}


def test_changes_are_pushed_live_after_commit(
    room: dict[str, Any], memory_layer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A participant's check-in reaches the meeting's group as a "presence" event with the
    list and the quorum; opening an agenda item as an "agenda" event."""
    meeting, member, secretary = room["meeting"], room["members"][0], room["secretary"]
    item = AgendaItem.objects.filter(meeting=meeting).order_by("position").first()

    def act() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            attendance.check_in(actor=member, meeting=meeting, token=meeting.checkin_token)
        with django_capture_on_commit_callbacks(execute=True):
            attendance.set_current_item(actor=secretary, meeting=meeting, item=item)
        core_live.flush()

    async def scenario() -> list[Any]:
        channel = await memory_layer.new_channel()
        await memory_layer.group_add(live.group(meeting.pk), channel)
        try:
            await sync_to_async(act)()
            return [
                await asyncio.wait_for(memory_layer.receive(channel), timeout=5) for _ in range(2)
            ]
        finally:
            await memory_layer.group_discard(live.group(meeting.pk), channel)

    presence, agenda = async_to_sync(scenario)()
    assert presence["type"] == "meeting.event"
    assert presence["topic"] == "presence"
    assert agenda["topic"] == "agenda"
    assert agenda["seq"] == presence["seq"] + 1
    # Only the row that changed travels, with the counts and the quorum (not the whole list).
    assert "participants" not in presence["data"]
    row = presence["data"]["participant"]
    assert row["user"] == str(member.pk)
    assert row["presence"] == Presence.ROOM
    assert presence["data"]["quorum"]["present"] == 1
    assert presence["data"]["counts"]["present"] == 1
    assert agenda["data"]["current_item"] == str(item.pk)  # type: ignore[union-attr]


def test_a_presence_event_carries_one_row_whatever_the_size(
    tree: dict[str, Any], make_user: Any
) -> None:
    """The live payload of a check-in does not grow with the meeting: counts, quorum and the
    row of who changed (the snapshot alone has the whole list)."""
    secretary = make_user("big_secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("big_chair", position=(tree["cell_a"], "Bí thư"))
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, body_size=300)
    crowd = User.objects.bulk_create(
        [User(username=f"big{i}", full_name=f"Đảng viên số {i:03d}") for i in range(300)]
    )
    Participant.objects.bulk_create(
        [Participant(meeting=meeting, user=u, role="member") for u in crowd]
    )
    attendance.check_in(actor=chair, meeting=meeting, token=meeting.checkin_token)
    # What the service publishes (the socket test above shows it travels as is).
    data = selectors_room.presence_change_data(
        meeting, Participant.objects.get(meeting=meeting, user=chair)
    )
    assert data["participant"]["user"] == str(chair.pk)
    assert data["participant"]["present"]
    assert data["counts"] == {"members": 300, "summoned": 302, "excluded": 0, "present": 1}
    assert data["quorum"]["present"] == 1
    assert data["quorum"]["base_size"] == 300
    assert len(json.dumps(data)) < 1000
    assert len(selectors_room.presence_data(meeting)["participants"]) == 302
