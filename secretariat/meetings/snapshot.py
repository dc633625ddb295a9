"""The whole state of a meeting room as one participant sees it: what the socket sends at
connection and on "resync", and what the room page starts from.

Plain JSON (strings, numbers, lists, ISO dates). The sequence number is read first: the state
that follows is at least as new as it, so a client that then applies the events numbered after
it (each of which replaces a part of the state) never goes back in time.

Parts; where a service pushes the same part live, it has the shape of that event's data
(`selectors_room.*_data`), so room.js replaces it as it comes:
* "meeting": state, times, current agenda item (topic "meeting"), title and place;
* "agenda": the items in order (topic "agenda" carries the current item or the new order);
* "speakers": who speaks (start and end of the turn, for the timer) and who waits (topic
  "speakers");
* "vote": the open vote (topic "vote") with, for this user only, whether they may vote and
  whether they have; "results": the last closed vote with its result and, for a secret ballot,
  the published receipt codes;
* "presence": the presence list and the quorum now (topic "presence");
* "me": who the user is in this meeting; "server_time" lets the timer ignore a wrong clock.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

from django.utils import timezone

from . import access
from . import selectors_room as room
from .models import AgendaItem, Meeting, Participant


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.full_name or user.username)


def build_for(*, meeting_id: Any, user: Any) -> dict[str, Any] | None:
    """The snapshot for `user`, or None when they may not see the meeting (any longer)."""
    meeting = Meeting.objects.select_related("unit").filter(pk=meeting_id).first()
    if meeting is None or not access.may_see(user, meeting):
        return None
    return build(meeting=meeting, user=user)


# The parts everyone sees alike, per (meeting, seq), for the sockets of this process: when a
# thousand participants (re)connect together, the presence list and the agenda are read once,
# not a thousand times. Whatever was read after `seq` was taken is at least as new as it.
_SHARED: collections.OrderedDict[tuple[Any, int], dict[str, Any]] = collections.OrderedDict()
_SHARED_SIZE = 64
_shared_lock = threading.Lock()


def _shared(meeting: Meeting, seq: int) -> dict[str, Any]:
    key = (meeting.pk, seq)
    with _shared_lock:
        found = _SHARED.get(key)
        if found is not None:
            _SHARED.move_to_end(key)
            return found
    meeting.refresh_from_db()
    parts = {
        "meeting": meeting_part(meeting),
        "agenda": agenda_part(meeting),
        "speakers": room.speakers_data(meeting),
        "results": results_part(meeting),
        "presence": room.presence_data(meeting),
    }
    with _shared_lock:
        _SHARED[key] = parts
        while len(_SHARED) > _SHARED_SIZE:
            _SHARED.popitem(last=False)
    return parts


def build(*, meeting: Meeting, user: Any) -> dict[str, Any]:
    seq = Meeting.objects.values_list("live_seq", flat=True).get(pk=meeting.pk)
    shared = _shared(meeting, seq)
    me = access.participant(user, meeting)
    organizer = access.may_organize(user, meeting)
    return {
        "type": "snapshot",
        "seq": seq,
        "server_time": _iso(timezone.now()),
        "me": me_part(user=user, participant=me, organizer=organizer),
        **shared,
        "vote": vote_part(meeting, participant=me),
    }


def me_part(*, user: Any, participant: Participant | None, organizer: bool) -> dict[str, Any]:
    return {
        "user_id": str(user.pk),
        "name": _name(user),
        "organizer": organizer,
        "participant_id": str(participant.pk) if participant else None,
        "role": participant.role if participant else None,
        "voting": bool(participant and participant.voting and not room.is_excluded(participant)),
        "present": bool(participant and room.is_present(participant)),
        "presence": participant.presence if participant else "",
    }


def meeting_part(meeting: Meeting) -> dict[str, Any]:
    """`selectors_room.meeting_data` (the payload of topic "meeting") and what never changes
    live."""
    return {
        **room.meeting_data(meeting),
        "id": str(meeting.pk),
        "title": meeting.title,
        "place": meeting.place,
        "starts_at": _iso(meeting.starts_at),
    }


def agenda_part(meeting: Meeting) -> list[dict[str, Any]]:
    items = AgendaItem.objects.filter(meeting=meeting).select_related("presenter")
    return [
        {
            "id": str(item.pk),
            "position": item.position,
            "title": item.title,
            "presenter": item.presenter_name or _name(item.presenter),
            "planned_minutes": item.planned_minutes,
            "started_at": _iso(item.started_at),
            "ended_at": _iso(item.ended_at),
        }
        for item in items
    ]


def vote_part(meeting: Meeting, *, participant: Participant | None) -> dict[str, Any] | None:
    """The open vote (`selectors_room.vote_data`, the payload of topic "vote") with this
    participant's own standing: the only part of the state that differs between people."""
    vote = room.open_vote(meeting)
    if vote is None:
        return None
    status = room.ballot_status(vote, participant)
    return {
        **room.vote_data(vote),
        "may_vote": status.may_vote,
        "has_voted": status.has_voted,
        "reason": status.reason,
    }


def results_part(meeting: Meeting) -> dict[str, Any] | None:
    """The last closed vote with its result as computed when it closed and, for a secret
    ballot, every receipt code."""
    closed = room.closed_votes(meeting)
    if not closed:
        return None
    vote = closed[-1]
    return {**room.vote_data(vote), "receipts": room.receipts(vote)}
