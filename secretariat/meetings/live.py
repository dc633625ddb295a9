"""Live updates of a meeting: one Channels group per meeting, one per participant.

Every change a participant should see at once (agenda position, speaker, vote opened, closed
and its result, presence and quorum) goes through `changed()` inside the service's
transaction: it raises the meeting's `live_seq` and publishes after the commit. The message
carries the new sequence number, so a client that sees a gap (or reconnects) asks for the
whole state again (`consumers.py` answers with `snapshot`). A message to the participant's own
group tells a socket that its invitation was withdrawn.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from secretariat.core import live

from .models import Meeting

# Topics a client understands (room.js): what changed, so it can update that part only.
TOPICS = frozenset({"meeting", "agenda", "speakers", "vote", "presence", "pack"})


def group(meeting_id: Any) -> str:
    return f"meeting.{meeting_id.hex if hasattr(meeting_id, 'hex') else meeting_id}"


def user_group(meeting_id: Any, user_id: Any) -> str:
    return f"{group(meeting_id)}.user.{user_id}"


def changed(meeting: Meeting, *, topic: str, data: dict[str, Any] | None = None) -> int:
    """Record a change of `meeting` for live clients; call inside the writing transaction.
    Returns the new sequence number."""
    if topic not in TOPICS:
        raise ValueError(f"unknown live topic {topic!r}")
    Meeting.objects.filter(pk=meeting.pk).update(live_seq=F("live_seq") + 1)
    seq = Meeting.objects.values_list("live_seq", flat=True).get(pk=meeting.pk)
    meeting.live_seq = seq
    message = {"type": "meeting.event", "seq": seq, "topic": topic, "data": data or {}}
    transaction.on_commit(lambda: live.publish(group(meeting.pk), message))
    return seq


def withdrawn(meeting: Meeting, user_id: Any) -> None:
    """Tell the sockets of a participant whose invitation was withdrawn to close."""
    message = {"type": "meeting.withdrawn"}
    transaction.on_commit(lambda: live.publish(user_group(meeting.pk, user_id), message))
