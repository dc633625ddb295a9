"""The speakers' list: requests to speak and points of order, the floor, the timer.

* A participant present in a meeting in session asks to speak (`request_floor`), at most one
  pending request of each kind (DB constraint `meetings_one_open_request`). A point of order
  goes ahead of every ordinary request, after the points of order already waiting.
* The participant may withdraw their request; an organizer may remove anyone's.
* An organizer gives the floor (`give_floor`, or `give_floor_next` to the head of the queue): one
  speaker at a time (also DB constraint `meetings_one_speaker`); the turn ends when an organizer
  or the speaker ends it (`end_turn`). The timer is `started_at + allotted_seconds`: clients count
  down to it (`selectors_room.turn_ends_at`); nothing stops a speaker automatically.
* An organizer may reorder the waiting queue (`reorder`).

Queue changes of one meeting are serialized on the meeting row (after the node's write lock,
`core.locks.for_update`); positions of the waiting requests are renumbered 1..n on every change.
Every change is audited and pushed live on topic "speakers" (`selectors_room.speakers_data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update

from .. import access, live
from .. import selectors_room as room
from ..models import (
    Meeting,
    MeetingState,
    SpeakerKind,
    SpeakerRequest,
    SpeakerState,
)

AUDIT_LABELS = {
    "meetings.floor_requested": gettext_lazy("Asked to speak"),
    "meetings.floor_withdrawn": gettext_lazy("Request to speak withdrawn"),
    "meetings.floor_given": gettext_lazy("Floor given"),
    "meetings.turn_ended": gettext_lazy("Speaking turn ended"),
    "meetings.speakers_reordered": gettext_lazy("Speakers' list reordered"),
}

DEFAULT_SECONDS = 300
MIN_SECONDS = 10
MAX_SECONDS = 3600


def _lock_meeting(meeting_id: Any) -> Meeting:
    return for_update(Meeting.objects.select_related("unit"), of=("self",)).get(pk=meeting_id)


def _lock_request(request: SpeakerRequest) -> SpeakerRequest:
    return for_update(SpeakerRequest.objects.select_related("participant__user"), of=("self",)).get(
        pk=request.pk
    )


def _require_in_session(meeting: Meeting) -> None:
    if meeting.state != MeetingState.IN_SESSION:
        raise Conflict(_("The meeting is not in session."))


def _waiting(meeting: Meeting) -> list[SpeakerRequest]:
    return list(
        SpeakerRequest.objects.filter(meeting=meeting, state=SpeakerState.WAITING).order_by(
            "position", "created_at"
        )
    )


def _renumber(queue: list[SpeakerRequest]) -> None:
    changed = []
    for index, request in enumerate(queue, start=1):
        if request.position != index:
            request.position = index
            changed.append(request)
    if changed:
        SpeakerRequest.objects.bulk_update(changed, ["position"])


def _record(
    *, actor: Any, action: str, meeting: Meeting, request: SpeakerRequest | None, **data: Any
) -> None:
    audit.record(
        actor=actor,
        action=action,
        unit=meeting.unit,
        obj=request if request is not None else meeting,
        data={"meeting": str(meeting.pk), **data},
    )
    live.changed(meeting, topic="speakers", data=room.speakers_data(meeting))


@transaction.atomic(durable=True)
def request_floor(*, actor: Any, meeting: Meeting, kind: str = SpeakerKind.SPEAK) -> SpeakerRequest:
    """The actor (a participant present) asks to speak, or raises a point of order, on the
    current agenda item. A point of order goes before every ordinary request."""
    if kind not in SpeakerKind.values:
        raise ValidationFailed(_("Unknown kind of request."))
    locked = _lock_meeting(meeting.pk)
    participant = access.require_participant(actor, locked)
    _require_in_session(locked)
    if not room.is_present(participant):
        raise Conflict(_("Check in before asking to speak."))
    if SpeakerRequest.objects.filter(
        meeting=locked,
        participant=participant,
        kind=kind,
        state__in=[SpeakerState.WAITING, SpeakerState.SPEAKING],
    ).exists():
        raise Conflict(_("You have already asked."))
    queue = _waiting(locked)
    request = SpeakerRequest(
        meeting=locked,
        item_id=locked.current_item_id,
        participant=participant,
        kind=kind,
        position=len(queue) + 1,
        allotted_seconds=DEFAULT_SECONDS,
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:  # the same request at the same instant
        raise Conflict(_("You have already asked.")) from exc
    if kind == SpeakerKind.POINT_OF_ORDER:
        ahead = [r for r in queue if r.kind == SpeakerKind.POINT_OF_ORDER]
        behind = [r for r in queue if r.kind != SpeakerKind.POINT_OF_ORDER]
        queue = [*ahead, request, *behind]
    else:
        queue.append(request)
    _renumber(queue)
    _record(
        actor=actor,
        action="meetings.floor_requested",
        meeting=locked,
        request=request,
        kind=kind,
        position=request.position,
    )
    return request


@transaction.atomic(durable=True)
def withdraw(*, actor: Any, request: SpeakerRequest) -> SpeakerRequest:
    """The requester withdraws a waiting request (an organizer may remove anyone's)."""
    locked_meeting = _lock_meeting(request.meeting_id)
    locked = _lock_request(request)
    own = locked.participant.user_id == getattr(actor, "pk", None)
    if not own and not access.may_organize(actor, locked_meeting):
        raise PermissionDenied(_("Only the requester or an organizer may withdraw a request."))
    if locked.state != SpeakerState.WAITING:
        raise Conflict(_("This request is no longer waiting."))
    locked.state = SpeakerState.WITHDRAWN
    locked.ended_at = clock.now()
    locked.save(update_fields=["state", "ended_at", "updated_at"])
    _renumber(_waiting(locked_meeting))
    _record(
        actor=actor,
        action="meetings.floor_withdrawn",
        meeting=locked_meeting,
        request=locked,
        by_organizer=not own,
    )
    return locked


def _give(
    *, actor: Any, meeting: Meeting, request: SpeakerRequest, allotted_seconds: int | None
) -> SpeakerRequest:
    if allotted_seconds is not None and not MIN_SECONDS <= allotted_seconds <= MAX_SECONDS:
        raise ValidationFailed(
            _("Speaking time must be between %(min)d seconds and %(max)d minutes.")
            % {"min": MIN_SECONDS, "max": MAX_SECONDS // 60}
        )
    if request.state != SpeakerState.WAITING:
        raise Conflict(_("This request is no longer waiting."))
    if SpeakerRequest.objects.filter(meeting=meeting, state=SpeakerState.SPEAKING).exists():
        raise Conflict(_("Someone has the floor: end their turn first."))
    request.state = SpeakerState.SPEAKING
    request.started_at = clock.now()
    if allotted_seconds is not None:
        request.allotted_seconds = allotted_seconds
    try:
        with transaction.atomic():
            request.save(update_fields=["state", "started_at", "allotted_seconds", "updated_at"])
    except IntegrityError as exc:  # `meetings_one_speaker`
        raise Conflict(_("Someone has the floor: end their turn first.")) from exc
    _renumber(_waiting(meeting))
    _record(
        actor=actor,
        action="meetings.floor_given",
        meeting=meeting,
        request=request,
        speaker=str(request.participant.user),
        kind=request.kind,
        allotted_seconds=request.allotted_seconds,
    )
    return request


@transaction.atomic(durable=True)
def give_floor(
    *, actor: Any, request: SpeakerRequest, allotted_seconds: int | None = None
) -> SpeakerRequest:
    """An organizer gives the floor to a waiting request, for `allotted_seconds` (else the
    request's default). Refused while someone else speaks."""
    locked_meeting = _lock_meeting(request.meeting_id)
    access.require_organizer(actor, locked_meeting)
    _require_in_session(locked_meeting)
    locked = _lock_request(request)
    return _give(
        actor=actor, meeting=locked_meeting, request=locked, allotted_seconds=allotted_seconds
    )


@transaction.atomic(durable=True)
def give_floor_next(
    *, actor: Any, meeting: Meeting, allotted_seconds: int | None = None
) -> SpeakerRequest:
    """An organizer gives the floor to the head of the queue."""
    locked_meeting = _lock_meeting(meeting.pk)
    access.require_organizer(actor, locked_meeting)
    _require_in_session(locked_meeting)
    queue = _waiting(locked_meeting)
    if not queue:
        raise Conflict(_("Nobody is waiting to speak."))
    locked = _lock_request(queue[0])
    return _give(
        actor=actor, meeting=locked_meeting, request=locked, allotted_seconds=allotted_seconds
    )


@transaction.atomic(durable=True)
def end_turn(*, actor: Any, request: SpeakerRequest) -> SpeakerRequest:
    """An organizer, or the speaker, ends the current turn."""
    locked_meeting = _lock_meeting(request.meeting_id)
    locked = _lock_request(request)
    own = locked.participant.user_id == getattr(actor, "pk", None)
    if not own and not access.may_organize(actor, locked_meeting):
        raise PermissionDenied(_("Only the speaker or an organizer may end the turn."))
    if locked.state != SpeakerState.SPEAKING:
        raise Conflict(_("This person does not have the floor."))
    locked.state = SpeakerState.DONE
    locked.ended_at = clock.now()
    locked.save(update_fields=["state", "ended_at", "updated_at"])
    _record(
        actor=actor,
        action="meetings.turn_ended",
        meeting=locked_meeting,
        request=locked,
        by_speaker=own,
    )
    return locked


@transaction.atomic(durable=True)
def reorder(*, actor: Any, meeting: Meeting, order: Sequence[Any]) -> list[SpeakerRequest]:
    """An organizer puts the waiting requests in the order `order` (their ids, every waiting
    request exactly once)."""
    locked_meeting = _lock_meeting(meeting.pk)
    access.require_organizer(actor, locked_meeting)
    _require_in_session(locked_meeting)
    queue = {str(r.pk): r for r in _waiting(locked_meeting)}
    wanted = [str(i) for i in order]
    if len(wanted) != len(set(wanted)) or set(wanted) != set(queue):
        raise Conflict(_("The list of speakers has changed: reload and try again."))
    ordered = [queue[i] for i in wanted]
    _renumber(ordered)
    _record(
        actor=actor,
        action="meetings.speakers_reordered",
        meeting=locked_meeting,
        request=None,
        order=wanted,
    )
    return ordered
