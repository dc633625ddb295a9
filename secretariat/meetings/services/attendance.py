"""Attendance and the session: check-in (QR in the room, remote, or recorded by the secretary),
leaving, opening and closing the session, the agenda item under discussion.

* A participant checks *themselves* in: by scanning the QR code shown on the room's screen
  (`check_in`, the meeting's secret token compared in constant time) or remotely
  (`checkin_remote`, also called when they join the video room). No one checks in for someone
  else — proxies are refused — except the secretary recording presence (`record_presence`),
  which the presence list shows as such (`checked_in_by`).
* Check-in is open while the meeting is in session, or convened and starting within
  `CHECKIN_EARLY`.
* Present = checked in (room or remote) and not left since; see `selectors_room`.
* Every change is audited and pushed live (topics "presence", "meeting", "agenda").

Lock order (as everywhere): the node's write lock (`core.locks.for_update`), then the row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update

from .. import access, live
from .. import selectors_room as room
from ..models import (
    AgendaItem,
    Meeting,
    MeetingState,
    Participant,
    Presence,
    SpeakerRequest,
    SpeakerState,
    Vote,
    VoteState,
)

AUDIT_LABELS = {
    "meetings.checked_in": gettext_lazy("Checked in to a meeting"),
    "meetings.left": gettext_lazy("Left a meeting"),
    "meetings.presence_recorded": gettext_lazy("Presence recorded by the secretary"),
    "meetings.session_opened": gettext_lazy("Meeting session opened"),
    "meetings.session_closed": gettext_lazy("Meeting session closed"),
    "meetings.item_taken_up": gettext_lazy("Agenda item taken up"),
}

# How long before the start participants may check in.
CHECKIN_EARLY = dt.timedelta(hours=1)


def _lock_meeting(meeting: Meeting) -> Meeting:
    """The meeting row, locked and re-read (decisions on the committed state)."""
    return for_update(Meeting.objects.select_related("unit"), of=("self",)).get(pk=meeting.pk)


def _lock_participant(participant: Participant) -> Participant:
    return for_update(Participant.objects.select_related("user"), of=("self",)).get(
        pk=participant.pk
    )


def _snapshot(p: Participant) -> dict[str, Any]:
    return {
        "presence": p.presence,
        "checked_in_at": p.checked_in_at,
        "checked_in_by": p.checked_in_by_id,
        "left_at": p.left_at,
    }


def _require_checkin_open(meeting: Meeting) -> None:
    if meeting.state == MeetingState.IN_SESSION:
        return
    if meeting.state == MeetingState.CONVENED:
        now = clock.now()
        if meeting.starts_at - CHECKIN_EARLY <= now <= meeting.ends_at:
            return
        raise Conflict(_("Check-in opens one hour before the meeting starts."))
    raise Conflict(_("Check-in is closed: the meeting is not in session."))


def _mark_present(
    participant: Participant, *, presence: str, by: Any, keep_room: bool = False
) -> bool:
    """Set the participant present; False when nothing changed."""
    if keep_room and room.is_present(participant) and participant.presence == Presence.ROOM:
        return False
    if room.is_present(participant) and participant.presence == presence:
        return False
    participant.presence = presence
    participant.checked_in_at = clock.now()
    participant.checked_in_by = by
    participant.left_at = None
    participant.save(update_fields=["presence", "checked_in_at", "checked_in_by", "left_at"])
    return True


def _audit_presence(
    *, actor: Any, action: str, participant: Participant, before: dict[str, Any], **data: Any
) -> None:
    meeting = participant.meeting
    audit.record(
        actor=actor,
        action=action,
        unit=meeting.unit,
        obj=participant,
        before=before,
        after=_snapshot(participant),
        data={
            "meeting": str(meeting.pk),
            "participant": str(participant.user),
            "presence": participant.presence,
            **data,
        },
    )
    live.changed(meeting, topic="presence", data=room.presence_change_data(meeting, participant))


def _own_participant(actor: Any, meeting: Meeting) -> Participant:
    found = access.require_participant(actor, meeting)
    return _lock_participant(found)


# --- Checking in and out ----------------------------------------------------------------------


@transaction.atomic(durable=True)
def check_in(*, actor: Any, meeting: Meeting, token: str) -> Participant:
    """The actor checks themselves in, in the room, with the token of the QR code shown there.
    Scanning again changes nothing."""
    meeting = _lock_meeting(meeting)
    participant = _own_participant(actor, meeting)
    expected = meeting.checkin_token or ""
    given = (token or "").strip()
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise ValidationFailed(_("This check-in code is not valid for this meeting."))
    _require_checkin_open(meeting)
    participant.meeting = meeting
    before = _snapshot(participant)
    if _mark_present(participant, presence=Presence.ROOM, by=actor):
        _audit_presence(
            actor=actor, action="meetings.checked_in", participant=participant, before=before
        )
    return participant


def checkin_remote_nondurable(*, actor: Any, meeting: Meeting) -> Participant:
    """`checkin_remote` inside the caller's transaction (e.g. joining the video room)."""
    meeting = _lock_meeting(meeting)
    participant = _own_participant(actor, meeting)
    _require_checkin_open(meeting)
    participant.meeting = meeting
    before = _snapshot(participant)
    # Someone already checked in in the room who also opens the video stays "in the room".
    if _mark_present(participant, presence=Presence.REMOTE, by=actor, keep_room=True):
        _audit_presence(
            actor=actor, action="meetings.checked_in", participant=participant, before=before
        )
    return participant


@transaction.atomic(durable=True)
def checkin_remote(*, actor: Any, meeting: Meeting) -> Participant:
    """The actor checks themselves in as taking part remotely (also when joining the video
    room). A participant already present in the room stays so."""
    return checkin_remote_nondurable(actor=actor, meeting=meeting)


@transaction.atomic(durable=True)
def leave(*, actor: Any, meeting: Meeting) -> Participant:
    """The actor leaves the meeting: no longer present (and so no longer counted or voting)
    until they check in again."""
    meeting = _lock_meeting(meeting)
    participant = _own_participant(actor, meeting)
    if not room.is_present(participant):
        raise Conflict(_("You are not checked in."))
    participant.meeting = meeting
    before = _snapshot(participant)
    participant.left_at = clock.now()
    participant.save(update_fields=["left_at"])
    _audit_presence(actor=actor, action="meetings.left", participant=participant, before=before)
    return participant


@transaction.atomic(durable=True)
def record_presence(*, actor: Any, participant: Participant, presence: str) -> Participant:
    """The secretary (an organizer) records someone's presence: "room", "remote", or "" for
    gone (checked out)."""
    meeting = _lock_meeting(participant.meeting)
    access.require_organizer(actor, meeting)
    if presence not in (Presence.ROOM, Presence.REMOTE, Presence.ABSENT):
        raise ValidationFailed(_("Choose in the room, remote or gone."))
    if meeting.state not in (MeetingState.CONVENED, MeetingState.IN_SESSION):
        raise Conflict(_("Presence can only be recorded for a convened meeting or in session."))
    locked = _lock_participant(participant)
    if locked.meeting_id != meeting.pk:
        raise PermissionDenied(_("This person is not a participant of this meeting."))
    locked.meeting = meeting
    before = _snapshot(locked)
    if presence == Presence.ABSENT:
        if not room.is_present(locked):
            return locked
        locked.left_at = clock.now()
        locked.save(update_fields=["left_at"])
    elif not _mark_present(locked, presence=presence, by=actor):
        return locked
    _audit_presence(
        actor=actor,
        action="meetings.presence_recorded",
        participant=locked,
        before=before,
        gone=presence == Presence.ABSENT,
    )
    return locked


# --- The session ------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def open_session(*, actor: Any, meeting: Meeting) -> Meeting:
    """An organizer opens the session of a convened meeting (convened → in session)."""
    access.require_organizer(actor, meeting)
    locked = _lock_meeting(meeting)
    if locked.state != MeetingState.CONVENED:
        raise Conflict(_("Only a convened meeting can be opened."))
    locked.state = MeetingState.IN_SESSION
    locked.opened_at = clock.now()
    locked.save(update_fields=["state", "opened_at", "updated_at"])
    quorum = room.quorum_now(locked)
    audit.record(
        actor=actor,
        action="meetings.session_opened",
        unit=locked.unit,
        obj=locked,
        before={"state": MeetingState.CONVENED},
        after={"state": locked.state, "opened_at": locked.opened_at},
        data={"title": locked.title[:120], "quorum": quorum.as_dict()},
    )
    live.changed(locked, topic="meeting", data=room.meeting_data(locked))
    return locked


@transaction.atomic(durable=True)
def close_session(*, actor: Any, meeting: Meeting) -> Meeting:
    """An organizer closes the session (in session → closed). Refused while a vote is open;
    the current turn ends and waiting requests to speak lapse."""
    access.require_organizer(actor, meeting)
    locked = _lock_meeting(meeting)
    if locked.state != MeetingState.IN_SESSION:
        raise Conflict(_("Only a meeting in session can be closed."))
    if Vote.objects.filter(meeting=locked, state=VoteState.OPEN).exists():
        raise Conflict(_("Close the open vote before closing the session."))
    now = clock.now()
    ended = SpeakerRequest.objects.filter(meeting=locked, state=SpeakerState.SPEAKING).update(
        state=SpeakerState.DONE, ended_at=now, updated_at=now
    )
    lapsed = SpeakerRequest.objects.filter(meeting=locked, state=SpeakerState.WAITING).update(
        state=SpeakerState.WITHDRAWN, ended_at=now, updated_at=now
    )
    if locked.current_item_id:
        AgendaItem.objects.filter(pk=locked.current_item_id, ended_at__isnull=True).update(
            ended_at=now, updated_at=now
        )
    locked.state = MeetingState.CLOSED
    locked.closed_at = now
    locked.save(update_fields=["state", "closed_at", "updated_at"])
    audit.record(
        actor=actor,
        action="meetings.session_closed",
        unit=locked.unit,
        obj=locked,
        before={"state": MeetingState.IN_SESSION},
        after={"state": locked.state, "closed_at": now},
        data={"title": locked.title[:120]},
    )
    if ended or lapsed:
        live.changed(locked, topic="speakers", data=room.speakers_data(locked))
    live.changed(locked, topic="meeting", data=room.meeting_data(locked))
    return locked


@transaction.atomic(durable=True)
def set_current_item(*, actor: Any, meeting: Meeting, item: AgendaItem | None) -> Meeting:
    """An organizer moves the meeting to agenda item `item` (None: between items). The item
    left gets its end time, the item taken up its start time (the first time)."""
    access.require_organizer(actor, meeting)
    locked = _lock_meeting(meeting)
    if locked.state != MeetingState.IN_SESSION:
        raise Conflict(_("The meeting is not in session."))
    if item is not None and item.meeting_id != locked.pk:
        raise ValidationFailed(_("This item is not on the meeting's agenda."))
    previous_id = locked.current_item_id
    new_id = item.pk if item is not None else None
    if previous_id == new_id:
        return locked
    now = clock.now()
    if previous_id is not None:
        AgendaItem.objects.filter(pk=previous_id).update(ended_at=now, updated_at=now)
    if item is not None:
        item = AgendaItem.objects.get(pk=item.pk)
        item.started_at = item.started_at or now
        item.ended_at = None
        item.save(update_fields=["started_at", "ended_at", "updated_at"])
    locked.current_item = item
    locked.save(update_fields=["current_item", "updated_at"])
    audit.record(
        actor=actor,
        action="meetings.item_taken_up",
        unit=locked.unit,
        obj=locked,
        before={"current_item": previous_id},
        after={"current_item": new_id},
        data={
            "title": locked.title[:120],
            "item": item.title[:120] if item is not None else "",
        },
    )
    live.changed(
        locked,
        topic="agenda",
        data=room.meeting_data(locked) | {"item_title": item.title if item is not None else None},
    )
    return locked
