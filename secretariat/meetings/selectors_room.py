"""What the room shows: presence and quorum now, the speakers' queue, the votes and their results,
the published receipts. Read-only; the `*_data` functions give the JSON-able form pushed live
(plain str / int / bool / None, ISO times — what a channel layer can carry).

Who counts:
* a participant is *present* when checked in (room or remote) and not left since;
* the counts of the rules (`rules.Counts`) only take *voting* participants: guests never count,
  and a legally excluded member is counted in `excluded`, never in `present`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from . import rules
from .models import (
    BallotCast,
    BallotReceipt,
    Meeting,
    Participant,
    Presence,
    SpeakerRequest,
    SpeakerState,
    Vote,
    VoteMethod,
    VoteState,
)

PRESENT = Q(presence__in=[Presence.ROOM, Presence.REMOTE], left_at__isnull=True)
NOT_EXCLUDED = Q(excluded_reason="")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def is_present(participant: Participant) -> bool:
    return participant.presence in (Presence.ROOM, Presence.REMOTE) and participant.left_at is None


def is_excluded(participant: Participant) -> bool:
    return bool(participant.excluded_reason)


# --- Presence and quorum ----------------------------------------------------------------------


def eligible_voters(meeting: Meeting) -> QuerySet[Participant]:
    """Voting participants present and not excluded: who may vote if a vote opened now."""
    return meeting.participants.filter(PRESENT & NOT_EXCLUDED, voting=True)


def counts(meeting: Meeting) -> rules.Counts:
    """The numbers the meeting's bases are taken from, as of now."""
    voting = meeting.participants.filter(voting=True)
    return rules.Counts(
        members=meeting.body_size,
        summoned=voting.count(),
        excluded=voting.exclude(NOT_EXCLUDED).count(),
        present=voting.filter(PRESENT & NOT_EXCLUDED).count(),
    )


def quorum_now(meeting: Meeting) -> rules.QuorumResult:
    """The quorum under the meeting's copied rule (quorum_base, quorum_threshold), now."""
    return rules.quorum(
        counts(meeting), base=meeting.quorum_base, threshold=meeting.quorum_threshold
    )


@dataclass(frozen=True)
class PresenceRow:
    participant: Participant
    name: str
    role: str
    voting: bool
    excluded: bool
    present: bool
    presence: str  # "", "room", "remote"
    checked_in_at: dt.datetime | None
    checked_in_by_other: bool  # recorded by the secretary, not by the participant
    left_at: dt.datetime | None
    rsvp: str


def presence_list(meeting: Meeting) -> list[PresenceRow]:
    """Every participant with their presence: chair and secretary first, then by name."""
    order = {"chair": 0, "secretary": 1, "member": 2, "guest": 3}
    rows = [presence_row(p) for p in meeting.participants.select_related("user")]
    rows.sort(key=lambda r: (order.get(r.role, 9), r.name.casefold()))
    return rows


def _presence_row_data(r: PresenceRow) -> dict[str, Any]:
    return {
        "id": str(r.participant.pk),
        "user": str(r.participant.user_id),
        "name": r.name,
        "role": r.role,
        "voting": r.voting,
        "excluded": r.excluded,
        "present": r.present,
        "presence": r.presence,
        "checked_in_at": _iso(r.checked_in_at),
        "left_at": _iso(r.left_at),
    }


def presence_row(participant: Participant) -> PresenceRow:
    """One participant's row of the presence list."""
    return PresenceRow(
        participant=participant,
        name=str(participant.user),
        role=participant.role,
        voting=participant.voting,
        excluded=is_excluded(participant),
        present=is_present(participant),
        presence=participant.presence,
        checked_in_at=participant.checked_in_at,
        checked_in_by_other=(
            participant.checked_in_by_id is not None
            and participant.checked_in_by_id != participant.user_id
        ),
        left_at=participant.left_at,
        rsvp=participant.rsvp,
    )


def presence_data(meeting: Meeting) -> dict[str, Any]:
    """The snapshot's "presence": the whole list and the quorum now."""
    return {
        "participants": [_presence_row_data(r) for r in presence_list(meeting)],
        "quorum": quorum_now(meeting).as_dict(),
    }


def presence_change_data(meeting: Meeting, participant: Participant) -> dict[str, Any]:
    """Live payload of topic "presence" when one participant checks in, leaves or is
    recorded: the counts, the quorum now and that participant's row only — a few hundred
    bytes whatever the size of the meeting (the whole list would be ~150 KB with a thousand
    participants, sent to each of them at every check-in). A client that does not know the
    row asks for a snapshot."""
    current = counts(meeting)
    quorum = rules.quorum(current, base=meeting.quorum_base, threshold=meeting.quorum_threshold)
    return {
        "counts": current.as_dict(),
        "quorum": quorum.as_dict(),
        "participant": _presence_row_data(presence_row(participant)),
    }


def meeting_data(meeting: Meeting) -> dict[str, Any]:
    """Live payload of topic "meeting" (state) and "agenda" (current item)."""
    return {
        "state": meeting.state,
        "opened_at": _iso(meeting.opened_at),
        "closed_at": _iso(meeting.closed_at),
        "current_item": str(meeting.current_item_id) if meeting.current_item_id else None,
    }


# --- Speakers ---------------------------------------------------------------------------------


def current_speaker(meeting: Meeting) -> SpeakerRequest | None:
    return (
        SpeakerRequest.objects.select_related("participant__user")
        .filter(meeting=meeting, state=SpeakerState.SPEAKING)
        .first()
    )


def speaker_queue(meeting: Meeting) -> list[SpeakerRequest]:
    """The waiting requests in turn order (points of order first, see services/speakers.py)."""
    return list(
        SpeakerRequest.objects.select_related("participant__user")
        .filter(meeting=meeting, state=SpeakerState.WAITING)
        .order_by("position", "created_at")
    )


def turn_ends_at(request: SpeakerRequest) -> dt.datetime | None:
    """When the speaker's time is up (clients count down to it)."""
    if request.started_at is None:
        return None
    return request.started_at + dt.timedelta(seconds=request.allotted_seconds)


def _speaker_row(request: SpeakerRequest) -> dict[str, Any]:
    return {
        "id": str(request.pk),
        "participant": str(request.participant_id),
        "user": str(request.participant.user_id),
        "name": str(request.participant.user),
        "kind": request.kind,
        "state": request.state,
        "position": request.position,
        "allotted_seconds": request.allotted_seconds,
        "started_at": _iso(request.started_at),
        "ends_at": _iso(turn_ends_at(request)),
    }


def speakers_data(meeting: Meeting) -> dict[str, Any]:
    """Live payload of topic "speakers": who speaks (with the timer) and who waits."""
    speaking = current_speaker(meeting)
    return {
        "speaking": _speaker_row(speaking) if speaking else None,
        "queue": [_speaker_row(r) for r in speaker_queue(meeting)],
    }


# --- Votes ------------------------------------------------------------------------------------


def votes_of(meeting: Meeting) -> QuerySet[Vote]:
    return Vote.objects.filter(meeting=meeting).prefetch_related("options").order_by("created_at")


def open_vote(meeting: Meeting) -> Vote | None:
    """The vote now open in the meeting (at most one)."""
    return votes_of(meeting).filter(state=VoteState.OPEN).first()


def closed_votes(meeting: Meeting) -> list[Vote]:
    """Closed votes, oldest first; each carries its `result` (see services/votes.py)."""
    return list(votes_of(meeting).filter(state=VoteState.CLOSED).order_by("closed_at"))


def eligible_ids(vote: Vote) -> set[str]:
    """Participant ids (str) frozen as eligible when the vote opened."""
    return set(vote.result.get("eligible_ids", []))


def ballots_cast(vote: Vote) -> int:
    if vote.method == VoteMethod.SHOW_OF_HANDS:
        return 0
    return BallotCast.objects.filter(vote=vote).count()


@dataclass(frozen=True)
class BallotStatus:
    vote: Vote
    may_vote: bool
    has_voted: bool
    # Why not, in words, when `may_vote` is False and `has_voted` too.
    reason: str = ""


def ballot_status(vote: Vote, participant: Participant | None) -> BallotStatus:
    """Whether `participant` may cast a ballot in `vote` now, and whether they already have."""
    if participant is None:
        return BallotStatus(vote, False, False, _("You are not a participant of this meeting."))
    has_voted = BallotCast.objects.filter(vote=vote, participant=participant).exists()
    if has_voted:
        return BallotStatus(vote, False, True)
    if vote.state != VoteState.OPEN:
        return BallotStatus(vote, False, False, _("The vote is not open."))
    if vote.method == VoteMethod.SHOW_OF_HANDS:
        return BallotStatus(vote, False, False, _("This vote is taken by a show of hands."))
    if str(participant.pk) not in eligible_ids(vote):
        return BallotStatus(
            vote,
            False,
            False,
            _("Only voting members present and not excluded when the vote opened may vote."),
        )
    if not is_present(participant):
        return BallotStatus(vote, False, False, _("Check in to vote."))
    return BallotStatus(vote, True, False)


def vote_for_participant(meeting: Meeting, user: Any) -> BallotStatus | None:
    """The open vote and the user's standing in it; None when no vote is open."""
    vote = open_vote(meeting)
    if vote is None:
        return None
    participant = Participant.objects.filter(meeting=meeting, user=user).first()
    return ballot_status(vote, participant)


def public_result(vote: Vote) -> dict[str, Any]:
    """The stored result without the bookkeeping kept while the vote is open."""
    return {k: v for k, v in vote.result.items() if k != "eligible_ids"}


def vote_data(vote: Vote) -> dict[str, Any]:
    """Live payload of topic "vote": the question and options, while open the number of ballots
    cast (never a running tally), once closed the result."""
    data: dict[str, Any] = {
        "id": str(vote.pk),
        "kind": vote.kind,
        "method": vote.method,
        "question": vote.question,
        "seats": vote.seats,
        "state": vote.state,
        "base": vote.base,
        "threshold": vote.threshold,
        "options": [
            {
                "position": o.position,
                "label": o.label,
                "candidate": str(o.candidate_id) if o.candidate_id else None,
            }
            for o in vote.options.all()
        ],
        "opened_at": _iso(vote.opened_at),
        "closed_at": _iso(vote.closed_at),
    }
    if vote.state == VoteState.OPEN:
        data["eligible"] = vote.result.get("eligible", 0)
        data["ballots"] = ballots_cast(vote)
    if vote.state == VoteState.CLOSED:
        data["result"] = public_result(vote)
    return data


def receipts(vote: Vote) -> list[str]:
    """The receipt codes of a closed secret ballot, sorted (so the order tells nothing); empty
    before the close and for other methods."""
    if vote.state != VoteState.CLOSED or vote.method != VoteMethod.SECRET:
        return []
    return sorted(BallotReceipt.objects.filter(vote=vote).values_list("code", flat=True))


def normalize_receipt(code: str) -> str:
    return "".join((code or "").split()).upper().replace("-", "")


def check_receipt(vote: Vote, code: str) -> bool:
    """Whether the ballot with receipt `code` was counted; only once the vote is closed
    (before, always False)."""
    if vote.state != VoteState.CLOSED or vote.method != VoteMethod.SECRET:
        return False
    return BallotReceipt.objects.filter(vote=vote, code=normalize_receipt(code)).exists()
