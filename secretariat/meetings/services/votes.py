"""Votes: created and run by the organizers, cast by the voting members present, counted on the
server under the meeting's rules (`rules.py`, DOMAIN.md §6).

Kinds and rules (copied onto the vote when it is created, so the rule applied is on record):
* resolution — options For (1) / Against (2) / Abstain (3); the meeting's resolution_base and
  resolution_threshold; passes when FOR meets the threshold of the base;
* election of `seats` among m candidates (users or names), seats ≤ m ≤ `rules.max_candidates`
  (at most 30 % more candidates than seats); the meeting's election_base and threshold; a ballot
  chooses at most `seats` candidates (none: a blank ballot);
* procedural point — options as a resolution, more than half of those present
  (`rules.PROCEDURAL_BASE`, `rules.PROCEDURAL_THRESHOLD`).

Methods:
* show of hands — the secretary records the count per option (`record_hands`); never more hands
  than members eligible (for an election, than eligible × seats, and per candidate than eligible);
* named — `BallotCast` (who) and one `NamedChoice` per chosen option (public by design);
* secret — `BallotCast` (who voted: no choice), one `BallotReceipt` (a random code: no voter, no
  choice, no time) and `TallyCount` counters raised by one (no voter, no time). No row, audit
  event, log line or live message links a voter to a choice: the audit event of a secret ballot
  says only that the participant voted; nothing of the tally is shown before the close. At the
  close the counter and receipt rows are rewritten in the closing transaction, so that not even
  PostgreSQL's row versions (xmin) tie the last increment of a counter to a ballot's transaction
  (and so to its audit event). Dead row versions stay on disk until VACUUM: what someone with
  the database server's files can read is outside what the application can hide.

Opening freezes who may vote: the voting participants present and not excluded at that moment
(`result["eligible_ids"]` while open, `result["eligible"]` their number, which is also the
"present" base). A member may vote once, while still present. One ballot per member is enforced
under concurrency twice: the vote row is locked (`core.locks.for_update`) and checked, and the
unique constraint `meetings_one_ballot` stands behind it; the loser gets a Conflict.

Closing computes the result (`Vote.result`, see `_result`) and publishes it on topic "vote";
the receipts of a secret ballot are then public (`selectors_room.receipts`, `check_receipt`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.accounts.models import User
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update

from .. import access, live, rules
from .. import selectors_room as room
from ..models import (
    AgendaItem,
    BallotCast,
    BallotReceipt,
    Meeting,
    MeetingState,
    NamedChoice,
    TallyCount,
    Vote,
    VoteKind,
    VoteMethod,
    VoteOption,
    VoteState,
)

AUDIT_LABELS = {
    "meetings.vote_created": gettext_lazy("Vote prepared"),
    "meetings.vote_opened": gettext_lazy("Vote opened"),
    "meetings.ballot_cast": gettext_lazy("Voted"),
    "meetings.hands_recorded": gettext_lazy("Show of hands recorded"),
    "meetings.vote_closed": gettext_lazy("Vote closed"),
}

# Options of a resolution and of a procedural point, by position.
FOR, AGAINST, ABSTAIN = 1, 2, 3
RESOLUTION_OPTIONS = (
    (FOR, gettext_lazy("For")),
    (AGAINST, gettext_lazy("Against")),
    (ABSTAIN, gettext_lazy("Abstain")),
)
BLANK = "blank"  # TallyCount key of blank ballots
QUESTION_MAX = 2000
LABEL_MAX = 300
MAX_SEATS = 200
# Receipt codes: 10 characters from an alphabet without look-alikes (0/O, 1/I/L): 50 bits.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 10


@dataclass(frozen=True)
class CastResult:
    vote: Vote
    # Secret ballots: the voter's receipt code, shown once and never stored with them.
    receipt: str | None


def _lock_vote(vote: Vote) -> Vote:
    """The vote row, locked and re-read."""
    return for_update(Vote.objects.select_related("meeting__unit"), of=("self",)).get(pk=vote.pk)


def _options(vote: Vote) -> list[VoteOption]:
    return list(VoteOption.objects.filter(vote=vote).order_by("position"))


def _vote_changed(vote: Vote) -> None:
    live.changed(vote.meeting, topic="vote", data=room.vote_data(vote))


def _base_rule(meeting: Meeting, kind: str) -> tuple[str, str]:
    if kind == VoteKind.RESOLUTION:
        return meeting.resolution_base, meeting.resolution_threshold
    if kind == VoteKind.ELECTION:
        return meeting.election_base, meeting.election_threshold
    return rules.PROCEDURAL_BASE, rules.PROCEDURAL_THRESHOLD


# --- Preparing --------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def create_vote(
    *,
    actor: Any,
    meeting: Meeting,
    kind: str,
    method: str,
    question: str,
    seats: int = 1,
    candidates: Sequence[User | str] = (),
    item: AgendaItem | None = None,
) -> Vote:
    """An organizer prepares a vote (state draft). Resolutions and procedural points get the
    options For / Against / Abstain; an election gets one option per candidate (a user, or a
    name for someone without an account), `seats` ≤ candidates ≤ `rules.max_candidates(seats)`.
    The base and threshold are copied from the meeting's rules for the kind."""
    access.require_organizer(actor, meeting)
    locked = for_update(Meeting.objects.select_related("unit"), of=("self",)).get(pk=meeting.pk)
    if locked.state not in (MeetingState.DRAFT, MeetingState.CONVENED, MeetingState.IN_SESSION):
        raise Conflict(_("Votes can no longer be added to this meeting."))
    question = (question or "").strip()
    problems: dict[str, list[Any]] = {}
    if kind not in VoteKind.values:
        problems["kind"] = [gettext_lazy("Choose the kind of vote.")]
    if method not in VoteMethod.values:
        problems["method"] = [gettext_lazy("Choose how the vote is taken.")]
    if not question:
        problems["question"] = [gettext_lazy("Write the question put to the vote.")]
    elif len(question) > QUESTION_MAX:
        problems["question"] = [gettext_lazy("The question is too long.")]
    if item is not None and item.meeting_id != locked.pk:
        problems["item"] = [gettext_lazy("This item is not on the meeting's agenda.")]

    options: list[tuple[str, User | None]] = []
    if kind == VoteKind.ELECTION:
        seen: set[tuple[str, Any]] = set()
        for candidate in candidates:
            key: tuple[str, Any]
            if isinstance(candidate, User):
                label, key = str(candidate), ("user", candidate.pk)
                option: tuple[str, User | None] = (label[:LABEL_MAX], candidate)
            else:
                label = " ".join(str(candidate or "").split())
                key = ("name", label.casefold())
                option = (label, None)
                if not label or len(label) > LABEL_MAX:
                    problems["candidates"] = [gettext_lazy("Give each candidate's name.")]
                    continue
            if key in seen:
                problems["candidates"] = [gettext_lazy("A candidate is listed twice.")]
                continue
            seen.add(key)
            options.append(option)
        if not 1 <= seats <= MAX_SEATS:
            problems["seats"] = [gettext_lazy("Give the number of seats to fill.")]
        elif "candidates" not in problems:
            most = rules.max_candidates(seats)
            if len(options) < seats:
                problems["candidates"] = [
                    gettext_lazy("At least as many candidates as seats (%(seats)d).")
                    % {"seats": seats}
                ]
            elif len(options) > most:
                problems["candidates"] = [
                    gettext_lazy(
                        "At most %(most)d candidates for %(seats)d seats: no more than 30 %% "
                        "more candidates than seats."
                    )
                    % {"most": most, "seats": seats}
                ]
    else:
        if seats != 1:
            problems["seats"] = [gettext_lazy("Only an election has several seats.")]
        if candidates:
            problems["candidates"] = [gettext_lazy("Only an election has candidates.")]
        options = [(str(label), None) for _position, label in RESOLUTION_OPTIONS]
    if problems:
        raise ValidationFailed(gettext_lazy("The vote cannot be prepared."), field_errors=problems)

    base, threshold = _base_rule(locked, kind)
    vote = Vote.objects.create(
        meeting=locked,
        item=item,
        kind=kind,
        method=method,
        question=question,
        seats=seats,
        base=base,
        threshold=threshold,
    )
    VoteOption.objects.bulk_create(
        [
            VoteOption(vote=vote, position=i, label=label, candidate=user)
            for i, (label, user) in enumerate(options, start=1)
        ]
    )
    audit.record(
        actor=actor,
        action="meetings.vote_created",
        unit=locked.unit,
        obj=vote,
        after={
            "question": question,
            "kind": kind,
            "method": method,
            "seats": seats,
            "base": base,
            "threshold": threshold,
            "options": [label for label, _user in options],
        },
        data={"meeting": str(locked.pk), "question": question[:120], "kind": kind},
    )
    return vote


# --- Opening ----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def open_vote(*, actor: Any, vote: Vote) -> Vote:
    """An organizer opens a prepared vote in a meeting in session (one open vote at a time).
    The members who may vote are frozen now: voting participants present, not excluded."""
    locked = _lock_vote(vote)
    meeting = locked.meeting
    access.require_organizer(actor, meeting)
    if locked.state != VoteState.DRAFT:
        raise Conflict(_("This vote was already opened."))
    if meeting.state != MeetingState.IN_SESSION:
        raise Conflict(_("The meeting is not in session."))
    if Vote.objects.filter(meeting=meeting, state=VoteState.OPEN).exists():
        raise Conflict(_("Another vote is open: close it first."))
    eligible = sorted(str(pk) for pk in room.eligible_voters(meeting).values_list("pk", flat=True))
    if not eligible:
        raise Conflict(_("No voting member is present."))
    counts = room.counts(meeting)
    quorum = room.quorum_now(meeting)
    locked.state = VoteState.OPEN
    locked.opened_at = clock.now()
    locked.result = {
        "eligible": len(eligible),
        "eligible_ids": eligible,
        "counts": counts.as_dict(),
        "quorum": quorum.as_dict(),
    }
    locked.save(update_fields=["state", "opened_at", "result", "updated_at"])
    if locked.method == VoteMethod.SECRET:
        # Every counter exists from the start: the first ballot for an option creates nothing.
        keys = [str(o.position) for o in _options(locked)] + [BLANK]
        TallyCount.objects.bulk_create([TallyCount(vote=locked, key=k) for k in keys])
    audit.record(
        actor=actor,
        action="meetings.vote_opened",
        unit=meeting.unit,
        obj=locked,
        before={"state": VoteState.DRAFT},
        after={"state": locked.state, "eligible": eligible},
        data={
            "meeting": str(meeting.pk),
            "question": locked.question[:120],
            "method": locked.method,
            "eligible": len(eligible),
            "quorum_met": quorum.met,
        },
    )
    _vote_changed(locked)
    return locked


# --- Casting ----------------------------------------------------------------------------------


def _receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(RECEIPT_LENGTH))


def _validated_choices(vote: Vote, choices: Sequence[Any]) -> list[int]:
    positions = {o.position for o in _options(vote)}
    try:
        chosen = [int(c) for c in choices]
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("This choice is not on the ballot.")) from exc
    if len(set(chosen)) != len(chosen):
        raise ValidationFailed(_("Each choice may be marked only once."))
    if any(c not in positions for c in chosen):
        raise ValidationFailed(_("This choice is not on the ballot."))
    if vote.kind == VoteKind.ELECTION:
        if len(chosen) > vote.seats:
            raise ValidationFailed(
                _("Choose at most %(seats)d candidates.") % {"seats": vote.seats}
            )
    elif len(chosen) != 1:
        raise ValidationFailed(_("Choose for, against or abstain."))
    return sorted(chosen)


@transaction.atomic(durable=True)
def cast(*, actor: Any, vote: Vote, choices: Sequence[int]) -> CastResult:
    """The actor casts their own ballot (nobody votes for another): `choices` are option
    positions — exactly one for a resolution or procedural point, up to `seats` for an election
    (none: blank). A secret ballot returns the voter's receipt code."""
    locked = _lock_vote(vote)
    meeting = locked.meeting
    participant = access.participant(actor, meeting)
    if participant is None:
        raise PermissionDenied(_("Only the meeting's participants may vote."))
    if locked.state != VoteState.OPEN:
        raise Conflict(_("The vote is not open."))
    if locked.method == VoteMethod.SHOW_OF_HANDS:
        raise Conflict(_("This vote is taken by a show of hands."))
    if BallotCast.objects.filter(vote=locked, participant=participant).exists():
        raise Conflict(_("You have already voted."))
    if str(participant.pk) not in room.eligible_ids(locked):
        raise PermissionDenied(
            _("Only voting members present and not excluded when the vote opened may vote.")
        )
    if not room.is_present(participant):
        raise Conflict(_("Check in to vote."))
    chosen = _validated_choices(locked, choices)
    try:
        with transaction.atomic():
            BallotCast.objects.create(vote=locked, participant=participant)
    except IntegrityError as exc:  # `meetings_one_ballot`: the same voter at the same instant
        raise Conflict(_("You have already voted.")) from exc

    receipt: str | None = None
    if locked.method == VoteMethod.NAMED:
        by_position = {o.position: o for o in _options(locked)}
        NamedChoice.objects.bulk_create(
            [
                NamedChoice(vote=locked, participant=participant, option=by_position[p])
                for p in chosen
            ]
        )
        audit.record(
            actor=actor,
            action="meetings.ballot_cast",
            unit=meeting.unit,
            obj=locked,
            after={"participant": str(participant.pk), "options": chosen},
            data={
                "meeting": str(meeting.pk),
                "method": locked.method,
                "options": [by_position[p].label[:120] for p in chosen],
            },
        )
    else:
        keys = [str(p) for p in chosen] or [BLANK]
        raised = TallyCount.objects.filter(vote=locked, key__in=keys).update(count=F("count") + 1)
        if raised != len(keys):  # counters are made at opening; never half a ballot
            raise RuntimeError("secret ballot counters missing")
        receipt = _receipt_code()
        while BallotReceipt.objects.filter(vote=locked, code=receipt).exists():
            receipt = _receipt_code()
        BallotReceipt.objects.create(vote=locked, code=receipt)
        # Who voted, never what: no choice, no receipt, not even a digest of them.
        audit.record(
            actor=actor,
            action="meetings.ballot_cast",
            unit=meeting.unit,
            obj=locked,
            data={"meeting": str(meeting.pk), "method": locked.method},
        )
    _vote_changed(locked)
    return CastResult(vote=locked, receipt=receipt)


@transaction.atomic(durable=True)
def record_hands(*, actor: Any, vote: Vote, counts: Mapping[int, int]) -> Vote:
    """The secretary (an organizer) records a show of hands: `counts` maps every option
    position to the hands raised. Refused when the hands exceed the members eligible. May be
    recorded again (corrected) until the vote closes."""
    locked = _lock_vote(vote)
    meeting = locked.meeting
    access.require_organizer(actor, meeting)
    if locked.state != VoteState.OPEN:
        raise Conflict(_("The vote is not open."))
    if locked.method != VoteMethod.SHOW_OF_HANDS:
        raise Conflict(_("Only a show of hands is recorded by the secretary."))
    options = _options(locked)
    eligible = int(locked.result.get("eligible", 0))
    try:
        given = {int(k): int(v) for k, v in counts.items()}
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("Give a whole number of hands for every option.")) from exc
    if set(given) != {o.position for o in options} or any(v < 0 for v in given.values()):
        raise ValidationFailed(_("Give a whole number of hands for every option."))
    total = sum(given.values())
    limit = eligible * locked.seats if locked.kind == VoteKind.ELECTION else eligible
    if total > limit or any(v > eligible for v in given.values()):
        raise ValidationFailed(
            _("More hands than members eligible to vote (%(eligible)d).") % {"eligible": eligible}
        )
    for option in options:
        option.hands = given[option.position]
    VoteOption.objects.bulk_update(options, ["hands"])
    audit.record(
        actor=actor,
        action="meetings.hands_recorded",
        unit=meeting.unit,
        obj=locked,
        after={"hands": {str(k): v for k, v in sorted(given.items())}},
        data={
            "meeting": str(meeting.pk),
            "hands": {o.label[:60]: given[o.position] for o in options},
        },
    )
    _vote_changed(locked)
    return locked


# --- Closing ----------------------------------------------------------------------------------


def _tally(vote: Vote, options: list[VoteOption]) -> tuple[dict[int, int], int, int]:
    """(votes per option position, ballots, blank ballots)."""
    if vote.method == VoteMethod.SHOW_OF_HANDS:
        per_option = {o.position: int(o.hands or 0) for o in options}
        if vote.kind == VoteKind.ELECTION:
            # Hands per candidate; how many people raised none is not counted.
            return per_option, int(vote.result.get("eligible", 0)), 0
        return per_option, sum(per_option.values()), 0
    ballots = BallotCast.objects.filter(vote=vote).count()
    if vote.method == VoteMethod.NAMED:
        rows = (
            NamedChoice.objects.filter(vote=vote).values("option__position").annotate(n=Count("id"))
        )
        per_option = {o.position: 0 for o in options}
        for row in rows:
            per_option[row["option__position"]] = row["n"]
        with_choice = NamedChoice.objects.filter(vote=vote).values("participant").distinct().count()
        return per_option, ballots, ballots - with_choice
    tally = dict(TallyCount.objects.filter(vote=vote).values_list("key", "count"))
    per_option = {o.position: int(tally.get(str(o.position), 0)) for o in options}
    receipts = BallotReceipt.objects.filter(vote=vote).count()
    if receipts != ballots:
        raise RuntimeError("secret ballot: receipts and ballots cast differ")
    return per_option, ballots, int(tally.get(BLANK, 0))


def _result(vote: Vote, options: list[VoteOption]) -> dict[str, Any]:
    """The result stored in `Vote.result` (JSON):

    kind, method, base, threshold, seats; counts {members, summoned, excluded, present} and
    quorum as when the vote opened; eligible; base_size; required (fewest votes that meet the
    threshold); ballots; blank; options [{position, label, candidate, votes, meets, elected}];
    resolution / procedural: passed; election: elected (positions), tie, tied (positions);
    outcome: "passed" | "rejected" | "elected" | "not_elected" | "tie" (some seats undecided).
    """
    frozen = vote.result
    eligible = int(frozen.get("eligible", 0))
    stored = frozen.get("counts", {})
    counts = rules.Counts(
        members=int(stored.get("members", 0)),
        summoned=int(stored.get("summoned", 0)),
        excluded=int(stored.get("excluded", 0)),
        present=eligible,
    )
    size = rules.base_size(vote.base, counts)
    per_option, ballots, blank = _tally(vote, options)
    result: dict[str, Any] = {
        "kind": vote.kind,
        "method": vote.method,
        "base": vote.base,
        "threshold": vote.threshold,
        "seats": vote.seats,
        "counts": counts.as_dict(),
        "quorum": frozen.get("quorum", {}),
        "eligible": eligible,
        "base_size": size,
        "required": rules.required(size, vote.threshold),
        "ballots": ballots,
        "blank": blank,
    }
    try:
        if vote.kind == VoteKind.ELECTION:
            outcome = rules.election(
                votes=per_option,
                seats=vote.seats,
                size=size,
                threshold=vote.threshold,
                ballots=ballots,
                eligible=eligible,
            )
            elected = set(outcome.elected)
            result |= {
                "elected": sorted(outcome.elected),
                "tie": outcome.tie,
                "tied": sorted(outcome.tied),
                "outcome": "tie" if outcome.tie else ("elected" if elected else "not_elected"),
            }
        else:
            passed = rules.resolution(
                votes_for=per_option.get(FOR, 0),
                votes_against=per_option.get(AGAINST, 0),
                abstain=per_option.get(ABSTAIN, 0),
                size=size,
                threshold=vote.threshold,
                eligible=eligible,
            ).passed
            elected = set[int]()
            result |= {"passed": passed, "outcome": "passed" if passed else "rejected"}
    except rules.RuleError as exc:
        raise ValidationFailed(_("The counts do not add up: check the hands recorded.")) from exc
    result["options"] = [
        {
            "position": o.position,
            "label": o.label,
            "candidate": str(o.candidate_id) if o.candidate_id else None,
            "votes": per_option.get(o.position, 0),
            "meets": rules.meets(per_option.get(o.position, 0), size, vote.threshold),
            "elected": o.position in elected,
        }
        for o in options
    ]
    return result


@transaction.atomic(durable=True)
def close_vote(*, actor: Any, vote: Vote) -> Vote:
    """An organizer closes an open vote: the result is computed under the vote's rule and
    stored, and published live. A show of hands must have been recorded first."""
    locked = _lock_vote(vote)
    meeting = locked.meeting
    access.require_organizer(actor, meeting)
    if locked.state != VoteState.OPEN:
        raise Conflict(_("The vote is not open."))
    options = _options(locked)
    if locked.method == VoteMethod.SHOW_OF_HANDS and any(o.hands is None for o in options):
        raise Conflict(_("Record the show of hands before closing the vote."))
    result = _result(locked, options)
    if locked.method == VoteMethod.SECRET:
        # Rewrite the counters and receipts in this transaction (see the module docstring).
        TallyCount.objects.filter(vote=locked).update(count=F("count"))
        BallotReceipt.objects.filter(vote=locked).update(code=F("code"))
    locked.state = VoteState.CLOSED
    locked.closed_at = clock.now()
    locked.result = result
    locked.save(update_fields=["state", "closed_at", "result", "updated_at"])
    audit.record(
        actor=actor,
        action="meetings.vote_closed",
        unit=meeting.unit,
        obj=locked,
        before={"state": VoteState.OPEN},
        after={"state": locked.state, "result": result},
        data={
            "meeting": str(meeting.pk),
            "question": locked.question[:120],
            "outcome": result["outcome"],
            "ballots": result["ballots"],
            "votes": {o["label"][:60]: o["votes"] for o in result["options"]},
        },
    )
    _vote_changed(locked)
    return locked


# --- Receipts (read-only; also in selectors_room) ---------------------------------------------


def receipts(vote: Vote) -> list[str]:
    """The sorted receipt codes of a closed secret ballot (empty before the close)."""
    return room.receipts(vote)


def check_receipt(vote: Vote, code: str) -> bool:
    """Whether the ballot with receipt `code` was counted; False before the close."""
    return room.check_receipt(vote, code)
