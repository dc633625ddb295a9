"""Votes (services/votes.py, selectors_room.py): preparing, opening (who may vote is frozen),
casting (no proxies, one ballot each, choices checked), show of hands, closing with the result
under the meeting's rules, secret ballots with no link between voter and choice, receipts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.apps import apps
from django.db import models

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core import live as core_live
from secretariat.core.canonical import digest
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.meetings import live, selectors_room
from secretariat.meetings.models import (
    BallotCast,
    BallotReceipt,
    Meeting,
    NamedChoice,
    Participant,
    ParticipantRole,
    TallyCount,
    Vote,
    VoteKind,
    VoteMethod,
    VoteOption,
    VoteState,
)
from secretariat.meetings.services import attendance, votes

from .room_factories import make_meeting


@pytest.fixture
def room(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A cell meeting in session: chair, secretary and six members (body of 8), a guest; the
    chair, the secretary and members 0-4 are present (7 of 8), member 5 is absent."""
    secretary = make_user("secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("chair", position=(tree["cell_a"], "Bí thư"))
    members = [make_user(f"member{i}", position=(tree["cell_a"], "Đảng viên")) for i in range(6)]
    guest = make_user("guest")
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=members)
    Participant.objects.create(
        meeting=meeting, user=guest, role=ParticipantRole.GUEST, voting=False
    )
    for user in [chair, secretary, guest, *members[:5]]:
        attendance.checkin_remote(actor=user, meeting=meeting)
    return {
        "meeting": meeting,
        "secretary": secretary,
        "chair": chair,
        "members": members,
        "guest": guest,
        "voters": [chair, secretary, *members[:5]],
    }


def _open(room: dict[str, Any], kind: str, method: str, **kwargs: Any) -> Vote:
    vote = votes.create_vote(
        actor=room["secretary"],
        meeting=room["meeting"],
        kind=kind,
        method=method,
        question=kwargs.pop("question", "Thông qua nghị quyết"),
        **kwargs,
    )
    return votes.open_vote(actor=room["secretary"], vote=vote)


def _close(room: dict[str, Any], vote: Vote) -> dict[str, Any]:
    closed = votes.close_vote(actor=room["secretary"], vote=vote)
    assert closed.state == VoteState.CLOSED
    return closed.result


def _votes_per_option(result: dict[str, Any]) -> list[int]:
    return [o["votes"] for o in result["options"]]


# --- Preparing --------------------------------------------------------------------------------


def test_resolution_options_and_rules_copied_from_the_meeting(room: dict[str, Any]) -> None:
    meeting = room["meeting"]
    vote = votes.create_vote(
        actor=room["secretary"],
        meeting=meeting,
        kind=VoteKind.RESOLUTION,
        method=VoteMethod.NAMED,
        question="  Thông qua nghị quyết  ",
    )
    assert vote.state == VoteState.DRAFT
    assert vote.question == "Thông qua nghị quyết"
    assert (vote.base, vote.threshold) == (meeting.resolution_base, meeting.resolution_threshold)
    assert [(o.position, o.label) for o in vote.options.all()] == [
        (1, "For"),
        (2, "Against"),
        (3, "Abstain"),
    ]
    procedural = votes.create_vote(
        actor=room["chair"],
        meeting=meeting,
        kind=VoteKind.PROCEDURAL,
        method=VoteMethod.SHOW_OF_HANDS,
        question="Thông qua chương trình",
    )
    assert (procedural.base, procedural.threshold) == ("present", "more_than_half")
    election = votes.create_vote(
        actor=room["chair"],
        meeting=meeting,
        kind=VoteKind.ELECTION,
        method=VoteMethod.SECRET,
        question="Bầu Bí thư",
        candidates=[room["members"][0]],
    )
    assert (election.base, election.threshold) == (
        meeting.election_base,
        meeting.election_threshold,
    )
    assert AuditEvent.objects.filter(action="meetings.vote_created").count() == 3


def test_only_organizers_prepare_votes(room: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        votes.create_vote(
            actor=room["members"][0],
            meeting=room["meeting"],
            kind=VoteKind.RESOLUTION,
            method=VoteMethod.NAMED,
            question="?",
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "referendum"}, "kind"),
        ({"method": "telepathy"}, "method"),
        ({"question": "   "}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"seats": 2}, "seats"),
        ({"candidates": ["An"]}, "candidates"),
        # Elections: seats ≤ candidates ≤ seats + 30 %.
        ({"kind": "election", "seats": 3, "candidates": ["A", "B"]}, "candidates"),
        ({"kind": "election", "seats": 3, "candidates": ["A", "B", "C", "D"]}, "candidates"),
        ({"kind": "election", "seats": 1, "candidates": ["A", "B"]}, "candidates"),
        ({"kind": "election", "seats": 2, "candidates": ["A", " a "]}, "candidates"),
        ({"kind": "election", "seats": 1, "candidates": [""]}, "candidates"),
        ({"kind": "election", "seats": 0, "candidates": ["A"]}, "seats"),
    ],
)
def test_bad_votes_are_refused_with_a_reason(
    room: dict[str, Any], kwargs: dict[str, Any], field: str
) -> None:
    arguments = {
        "kind": VoteKind.RESOLUTION,
        "method": VoteMethod.NAMED,
        "question": "Thông qua",
    } | kwargs
    with pytest.raises(ValidationFailed) as caught:
        votes.create_vote(actor=room["secretary"], meeting=room["meeting"], **arguments)
    assert field in caught.value.field_errors
    assert not Vote.objects.exists()


def test_election_of_four_may_have_five_candidates(room: dict[str, Any]) -> None:
    vote = votes.create_vote(
        actor=room["secretary"],
        meeting=room["meeting"],
        kind=VoteKind.ELECTION,
        method=VoteMethod.SECRET,
        question="Bầu cấp ủy",
        seats=4,
        candidates=[*room["members"][:3], "Nguyễn Văn A", "Trần Thị B"],
    )
    options = list(vote.options.all())
    assert len(options) == 5
    assert options[0].candidate_id == room["members"][0].pk
    assert options[4].candidate_id is None
    assert options[4].label == "Trần Thị B"


# --- Opening and who may vote ------------------------------------------------------------------


def test_opening_freezes_who_may_vote(room: dict[str, Any]) -> None:
    meeting, members = room["meeting"], room["members"]
    Participant.objects.filter(meeting=meeting, user=members[4]).update(excluded_reason="x")
    vote = _open(room, VoteKind.RESOLUTION, VoteMethod.NAMED)
    assert vote.result["eligible"] == 6  # 7 present voting members, one excluded
    with pytest.raises(Conflict, match="already"):
        votes.open_vote(actor=room["secretary"], vote=vote)
    # Arriving after the vote opened: not on the list.
    attendance.checkin_remote(actor=members[5], meeting=meeting)
    with pytest.raises(PermissionDenied, match="when the vote opened"):
        votes.cast(actor=members[5], vote=vote, choices=[1])
    # Excluded, and the non-voting guest: not on the list either.
    with pytest.raises(PermissionDenied):
        votes.cast(actor=members[4], vote=vote, choices=[1])
    with pytest.raises(PermissionDenied):
        votes.cast(actor=room["guest"], vote=vote, choices=[1])
    # Left the meeting since: may not vote until back.
    attendance.leave(actor=members[0], meeting=meeting)
    with pytest.raises(Conflict, match="Check in"):
        votes.cast(actor=members[0], vote=vote, choices=[1])
    status = selectors_room.vote_for_participant(meeting, members[0])
    assert status is not None
    assert (status.may_vote, status.has_voted) == (False, False)
    attendance.checkin_remote(actor=members[0], meeting=meeting)
    votes.cast(actor=members[0], vote=vote, choices=[1])
    status = selectors_room.vote_for_participant(meeting, members[0])
    assert status is not None
    assert (status.may_vote, status.has_voted) == (False, True)
    status = selectors_room.vote_for_participant(meeting, members[1])
    assert status is not None
    assert (status.may_vote, status.has_voted) == (True, False)


def test_one_open_vote_at_a_time_and_only_in_session(room: dict[str, Any]) -> None:
    first = _open(room, VoteKind.PROCEDURAL, VoteMethod.SHOW_OF_HANDS)
    second = votes.create_vote(
        actor=room["secretary"],
        meeting=room["meeting"],
        kind=VoteKind.RESOLUTION,
        method=VoteMethod.NAMED,
        question="?",
    )
    with pytest.raises(Conflict, match="Another vote"):
        votes.open_vote(actor=room["secretary"], vote=second)
    with pytest.raises(PermissionDenied):
        votes.close_vote(actor=room["members"][0], vote=first)
    votes.record_hands(actor=room["secretary"], vote=first, counts={1: 7, 2: 0, 3: 0})
    votes.close_vote(actor=room["secretary"], vote=first)
    Meeting.objects.filter(pk=room["meeting"].pk).update(state="convened")
    with pytest.raises(Conflict, match="not in session"):
        votes.open_vote(actor=room["secretary"], vote=second)


def test_no_vote_without_anyone_to_vote(room: dict[str, Any]) -> None:
    Participant.objects.filter(meeting=room["meeting"]).update(presence="")
    vote = votes.create_vote(
        actor=room["secretary"],
        meeting=room["meeting"],
        kind=VoteKind.RESOLUTION,
        method=VoteMethod.NAMED,
        question="?",
    )
    with pytest.raises(Conflict, match="No voting member"):
        votes.open_vote(actor=room["secretary"], vote=vote)


# --- Casting ----------------------------------------------------------------------------------


def test_no_proxies_and_one_ballot_each(room: dict[str, Any], make_user: Any) -> None:
    """`cast` takes no voter: the actor votes as themselves. The secretary voting counts once,
    for the secretary; a second ballot is refused; an outsider cannot vote."""
    vote = _open(room, VoteKind.RESOLUTION, VoteMethod.NAMED)
    votes.cast(actor=room["secretary"], vote=vote, choices=[1])
    with pytest.raises(Conflict, match="already voted"):
        votes.cast(actor=room["secretary"], vote=vote, choices=[2])
    with pytest.raises(PermissionDenied):
        votes.cast(actor=make_user("outsider"), vote=vote, choices=[1])
    cast = BallotCast.objects.filter(vote=vote)
    assert [c.participant.user_id for c in cast] == [room["secretary"].pk]
    assert NamedChoice.objects.filter(vote=vote).count() == 1


@pytest.mark.parametrize("choices", [[], [1, 2], [4], ["x"], [1, 1]])
def test_resolution_ballot_has_exactly_one_choice(room: dict[str, Any], choices: list[Any]) -> None:
    vote = _open(room, VoteKind.RESOLUTION, VoteMethod.SECRET)
    with pytest.raises(ValidationFailed):
        votes.cast(actor=room["members"][0], vote=vote, choices=choices)
    assert not BallotCast.objects.exists()
    assert not BallotReceipt.objects.exists()
    assert sum(TallyCount.objects.values_list("count", flat=True)) == 0


def test_show_of_hands_is_not_cast(room: dict[str, Any]) -> None:
    vote = _open(room, VoteKind.PROCEDURAL, VoteMethod.SHOW_OF_HANDS)
    with pytest.raises(Conflict, match="show of hands"):
        votes.cast(actor=room["members"][0], vote=vote, choices=[1])


def test_no_ballot_after_the_close(room: dict[str, Any]) -> None:
    vote = _open(room, VoteKind.RESOLUTION, VoteMethod.NAMED)
    votes.close_vote(actor=room["secretary"], vote=vote)
    with pytest.raises(Conflict, match="not open"):
        votes.cast(actor=room["members"][0], vote=vote, choices=[1])


# --- Results ----------------------------------------------------------------------------------


def test_named_resolution_passes_with_more_than_half_of_the_body(room: dict[str, Any]) -> None:
    """Body of 8, base all members: 5 FOR needed. 5 for, 2 against."""
    vote = _open(room, VoteKind.RESOLUTION, VoteMethod.NAMED)
    for i, user in enumerate(room["voters"]):
        votes.cast(actor=user, vote=vote, choices=[1 if i < 5 else 2])
    result = _close(room, vote)
    assert result["base"] == "members"
    assert result["base_size"] == 8
    assert result["required"] == 5
    assert result["eligible"] == 7
    assert result["ballots"] == 7
    assert _votes_per_option(result) == [5, 2, 0]
    assert result["passed"] is True
    assert result["outcome"] == "passed"
    assert "eligible_ids" not in result
    assert result["counts"] == {"members": 8, "summoned": 8, "excluded": 0, "present": 7}
    # Named votes are public: who chose what.
    assert NamedChoice.objects.filter(vote=vote, option__position=1).count() == 5


def test_exactly_half_of_the_body_fails_even_if_most_present_agree(room: dict[str, Any]) -> None:
    """4 FOR of a body of 8 (the absent member counts in the base): rejected, although 4 of the
    7 ballots are FOR."""
    vote = _open(room, VoteKind.RESOLUTION, VoteMethod.SECRET)
    for i, user in enumerate(room["voters"]):
        votes.cast(actor=user, vote=vote, choices=[1 if i < 4 else 3])
    result = _close(room, vote)
    assert _votes_per_option(result) == [4, 0, 3]
    assert result["passed"] is False
    assert result["outcome"] == "rejected"


def test_show_of_hands_procedural_counts_against_those_present(room: dict[str, Any]) -> None:
    vote = _open(room, VoteKind.PROCEDURAL, VoteMethod.SHOW_OF_HANDS)
    with pytest.raises(Conflict, match="Record the show of hands"):
        votes.close_vote(actor=room["secretary"], vote=vote)
    with pytest.raises(PermissionDenied):
        votes.record_hands(actor=room["members"][0], vote=vote, counts={1: 4, 2: 3, 3: 0})
    # More hands than the 7 eligible: refused.
    with pytest.raises(ValidationFailed, match="More hands"):
        votes.record_hands(actor=room["secretary"], vote=vote, counts={1: 5, 2: 3, 3: 0})
    with pytest.raises(ValidationFailed):
        votes.record_hands(actor=room["secretary"], vote=vote, counts={1: 5, 2: 1})
    with pytest.raises(ValidationFailed):
        votes.record_hands(actor=room["secretary"], vote=vote, counts={1: -1, 2: 1, 3: 0})
    votes.record_hands(actor=room["secretary"], vote=vote, counts={1: 4, 2: 3, 3: 0})
    result = _close(room, vote)
    assert (result["base"], result["base_size"], result["required"]) == ("present", 7, 4)
    assert result["passed"] is True
    assert [o.hands for o in VoteOption.objects.filter(vote=vote)] == [4, 3, 0]


def test_secret_election_n_of_m(room: dict[str, Any]) -> None:
    """4 seats, 5 candidates, base everyone summoned less exclusions (8): 5 needed.
    A gets 5, B and C 4 each: only A is elected, three seats stay empty (no tie)."""
    vote = _open(
        room,
        VoteKind.ELECTION,
        VoteMethod.SECRET,
        question="Bầu Phó Bí thư",
        seats=4,
        candidates=["A", "B", "C", "D", "E"],
    )
    with pytest.raises(ValidationFailed, match="at most 4"):
        votes.cast(actor=room["voters"][0], vote=vote, choices=[1, 2, 3, 4, 5])
    ballots = [[1, 2], [1, 2], [1, 2], [1, 3], [1, 3], [2, 3], [3, 4]]
    receipts = [
        votes.cast(actor=user, vote=vote, choices=choice).receipt
        for user, choice in zip(room["voters"], ballots, strict=True)
    ]
    assert all(receipts)
    result = _close(room, vote)
    assert (result["base"], result["base_size"], result["required"]) == (
        "summoned_not_excluded",
        8,
        5,
    )
    assert _votes_per_option(result) == [5, 4, 4, 1, 0]
    assert result["elected"] == [1]
    assert result["tie"] is False
    assert result["outcome"] == "elected"


def test_secret_election_tie_for_the_last_seat(room: dict[str, Any]) -> None:
    """4 seats of 5 candidates (base 8, 5 needed), every ballot chooses four: A, B, C 6 each,
    D and E 5 each: A, B, C are elected; D and E tie for the last seat: nobody gets it, re-vote."""
    vote = _open(
        room,
        VoteKind.ELECTION,
        VoteMethod.SECRET,
        question="Bầu cấp ủy",
        seats=4,
        candidates=["A", "B", "C", "D", "E"],
    )
    ballots = [
        [2, 3, 4, 5],
        [1, 3, 4, 5],
        [1, 2, 4, 5],
        [1, 2, 3, 5],
        [1, 2, 3, 5],
        [1, 2, 3, 4],
        [1, 2, 3, 4],
    ]
    for user, choice in zip(room["voters"], ballots, strict=True):
        votes.cast(actor=user, vote=vote, choices=choice)
    result = _close(room, vote)
    assert _votes_per_option(result) == [6, 6, 6, 5, 5]
    assert result["elected"] == [1, 2, 3]
    assert result["tie"] is True
    assert result["tied"] == [4, 5]
    assert result["outcome"] == "tie"
    assert [o["elected"] for o in result["options"]] == [True, True, True, False, False]
    assert [o["meets"] for o in result["options"]] == [True] * 5


def test_election_blank_ballots(room: dict[str, Any]) -> None:
    """An election ballot may choose nobody; blank ballots count in the ballots, for no one."""
    vote = _open(
        room, VoteKind.ELECTION, VoteMethod.NAMED, question="Bầu", seats=2, candidates=["A", "B"]
    )
    ballots: list[list[int]] = [[1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [], []]
    for user, choice in zip(room["voters"], ballots, strict=True):
        votes.cast(actor=user, vote=vote, choices=choice)
    result = _close(room, vote)
    assert result["blank"] == 2
    assert result["ballots"] == 7
    assert result["elected"] == [1, 2]  # a tie that fits the seats
    assert result["tie"] is False
    vote = _open(
        room, VoteKind.ELECTION, VoteMethod.SECRET, question="Bầu", seats=1, candidates=["A"]
    )
    for user in room["voters"][:6]:
        votes.cast(actor=user, vote=vote, choices=[])
    votes.cast(actor=room["voters"][6], vote=vote, choices=[1])
    result = _close(room, vote)
    assert result["blank"] == 6
    assert result["elected"] == []
    assert result["outcome"] == "not_elected"


def test_show_of_hands_election_tie_is_flagged(room: dict[str, Any]) -> None:
    """The same tie counted by a show of hands; never more hands than eligible × seats, nor more
    for one candidate than eligible."""
    vote = _open(
        room,
        VoteKind.ELECTION,
        VoteMethod.SHOW_OF_HANDS,
        question="Bầu",
        seats=4,
        candidates=["A", "B", "C", "D", "E"],
    )
    for hands in ({1: 8, 2: 0, 3: 0, 4: 0, 5: 0}, {1: 7, 2: 7, 3: 7, 4: 7, 5: 1}):
        with pytest.raises(ValidationFailed, match="More hands"):
            votes.record_hands(actor=room["secretary"], vote=vote, counts=hands)
    votes.record_hands(actor=room["secretary"], vote=vote, counts={1: 6, 2: 6, 3: 6, 4: 5, 5: 5})
    result = _close(room, vote)
    assert result["elected"] == [1, 2, 3]
    assert result["tie"] is True
    assert result["tied"] == [4, 5]


# --- Secret ballots ---------------------------------------------------------------------------


def _row_values(row: models.Model) -> set[str]:
    values = set()
    for f in row._meta.concrete_fields:
        value = getattr(row, f.attname)
        if value is not None:
            values.add(str(value))
    return values


def test_secret_ballot_leaves_no_link_between_voter_and_choice(
    room: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    candidates = ["Ứng viên Một", "Ứng viên Hai", "Ứng viên Ba", "Ứng viên Bốn", "Ứng viên Năm"]
    vote = _open(
        room,
        VoteKind.ELECTION,
        VoteMethod.SECRET,
        question="Bầu cấp ủy",
        seats=4,
        candidates=candidates,
    )
    ballots = [[1, 2], [1], [3], [], [2, 3], [1, 3], [2]]
    receipts = []
    for user, choice in zip(room["voters"], ballots, strict=True):
        receipts.append(votes.cast(actor=user, vote=vote, choices=choice).receipt)
    open_data = selectors_room.vote_data(vote)
    votes.close_vote(actor=room["secretary"], vote=vote)

    voter_participants = {
        str(pk)
        for pk in Participant.objects.filter(
            meeting=room["meeting"], user__in=room["voters"]
        ).values_list("pk", flat=True)
    }
    voter_users = {str(u.pk) for u in room["voters"]}
    voter_ids = voter_participants | voter_users
    options = list(VoteOption.objects.filter(vote=vote))
    choice_ids = {str(o.pk) for o in options}

    # 1. The models that hold anything about this vote's choices carry no voter and no time.
    tally_fields = {f.name for f in TallyCount._meta.concrete_fields}
    receipt_fields = {f.name for f in BallotReceipt._meta.concrete_fields}
    assert tally_fields == {"id", "vote", "key", "count"}
    assert receipt_fields == {"id", "vote", "code"}
    cast_fields = {f.name for f in BallotCast._meta.concrete_fields}
    assert cast_fields == {"id", "created_at", "updated_at", "vote", "participant"}
    assert not NamedChoice.objects.filter(vote=vote).exists()

    # 2. Every row of every table of the app: none holds both a voter and a choice.
    for model in apps.get_app_config("meetings").get_models():
        for row in model._default_manager.all():
            values = _row_values(row)
            assert not (values & voter_ids and values & choice_ids), (model, row.pk)
            if model in (TallyCount, BallotReceipt):
                assert not values & voter_ids

    # The only rows holding the choices are the counters, and they add up.
    tally = dict(TallyCount.objects.filter(vote=vote).values_list("key", "count"))
    assert tally == {"1": 3, "2": 3, "3": 3, "4": 0, "5": 0, "blank": 1}
    assert BallotCast.objects.filter(vote=vote).count() == 7
    assert BallotReceipt.objects.filter(vote=vote).count() == 7

    # 3. The audit events of the ballots say who voted, never what: no option, no receipt,
    # not even a digest of them.
    cast_events = list(AuditEvent.objects.filter(action="meetings.ballot_cast"))
    assert len(cast_events) == 7
    assert {str(e.actor_id) for e in cast_events} == voter_users
    for event in cast_events:
        assert event.data == {"meeting": str(room["meeting"].pk), "method": "secret"}
        assert event.before_digest == digest(None)
        assert event.after_digest == digest(None)
    # No event tied to a voter mentions a candidate or a receipt.
    for event in AuditEvent.objects.filter(actor_id__in=[u.pk for u in room["voters"]]):
        text = str(event.data)
        if event.action == "meetings.ballot_cast":
            assert all(c not in text for c in candidates)
        assert all(code not in text for code in receipts if code)

    # 4. Nothing logged names a choice or a receipt; while open, nothing of the tally was shown.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert all(code not in logged for code in receipts if code)
    assert "result" not in open_data
    assert open_data["ballots"] == 7
    assert not {"votes", "tally", "counts"} & set(open_data)


def test_receipts_are_published_after_the_close_and_can_be_checked(room: dict[str, Any]) -> None:
    vote = _open(room, VoteKind.RESOLUTION, VoteMethod.SECRET)
    codes = []
    for user in room["voters"][:5]:
        code = votes.cast(actor=user, vote=vote, choices=[1]).receipt
        assert code is not None
        assert len(code) == votes.RECEIPT_LENGTH
        assert set(code) <= set(votes.RECEIPT_ALPHABET)
        codes.append(code)
    assert len(set(codes)) == 5
    # Not before the close.
    assert selectors_room.receipts(vote) == []
    assert selectors_room.check_receipt(vote, codes[0]) is False
    vote = votes.close_vote(actor=room["secretary"], vote=vote)
    published = selectors_room.receipts(vote)
    assert published == sorted(codes)
    for code in codes:
        assert selectors_room.check_receipt(vote, code) is True
    # Typed loosely: lower case, spaces, a dash.
    loose = f" {codes[0][:5].lower()}-{codes[0][5:]} "
    assert selectors_room.check_receipt(vote, loose) is True
    assert selectors_room.check_receipt(vote, "ABCDEFGHJK") is (  # invented
        "ABCDEFGHJK" in codes
    )
    assert selectors_room.check_receipt(vote, "") is False
    assert selectors_room.check_receipt(vote, "not a code at all") is False
    # Named votes hand out no receipt.
    named = _open(room, VoteKind.RESOLUTION, VoteMethod.NAMED)
    assert votes.cast(actor=room["chair"], vote=named, choices=[2]).receipt is None


# --- Live -------------------------------------------------------------------------------------


@pytest.fixture
def memory_layer(settings: Any) -> Iterator[Any]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends = {}
    yield get_channel_layer()
    channel_layers.backends = {}


def test_vote_events_are_pushed_live(
    room: dict[str, Any], memory_layer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Opening, each ballot (only the number cast) and the close (the result) on topic "vote"."""
    meeting = room["meeting"]
    vote = votes.create_vote(
        actor=room["secretary"],
        meeting=meeting,
        kind=VoteKind.RESOLUTION,
        method=VoteMethod.SECRET,
        question="Thông qua",
    )

    def act() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            votes.open_vote(actor=room["secretary"], vote=vote)
        with django_capture_on_commit_callbacks(execute=True):
            votes.cast(actor=room["chair"], vote=vote, choices=[1])
        with django_capture_on_commit_callbacks(execute=True):
            votes.close_vote(actor=room["secretary"], vote=vote)
        core_live.flush()

    async def scenario() -> list[Any]:
        channel = await memory_layer.new_channel()
        await memory_layer.group_add(live.group(meeting.pk), channel)
        try:
            await sync_to_async(act)()
            return [
                await asyncio.wait_for(memory_layer.receive(channel), timeout=5) for _ in range(3)
            ]
        finally:
            await memory_layer.group_discard(live.group(meeting.pk), channel)

    opened, cast, closed = async_to_sync(scenario)()
    assert [m["topic"] for m in (opened, cast, closed)] == ["vote", "vote", "vote"]
    assert [m["seq"] for m in (opened, cast, closed)] == [
        opened["seq"],
        opened["seq"] + 1,
        opened["seq"] + 2,
    ]
    assert opened["data"]["state"] == "open"
    assert opened["data"]["eligible"] == 7
    assert "eligible_ids" not in str(opened["data"])
    assert cast["data"]["ballots"] == 1
    assert "result" not in cast["data"]
    assert closed["data"]["state"] == "closed"
    assert closed["data"]["result"]["options"][0]["votes"] == 1
    assert closed["data"]["result"]["passed"] is False
