"""Quorum and majority arithmetic (rules.py, DOMAIN.md §6): the boundaries, the bases, absences,
exclusions, a zero base, more ballots than voters, elections of n of m with ties."""

from __future__ import annotations

import pytest

from secretariat.meetings import rules
from secretariat.meetings.models import Base, Threshold

HALF = Threshold.MORE_THAN_HALF
TWO_THIRDS = Threshold.TWO_THIRDS


@pytest.mark.parametrize(
    ("votes", "size", "expected"),
    [
        (4, 8, False),  # exactly half is not more than half
        (5, 8, True),
        (4, 9, False),
        (5, 9, True),
        (1, 1, True),
        (1, 2, False),
        (0, 1, False),
    ],
)
def test_more_than_half(votes: int, size: int, expected: bool) -> None:
    assert rules.meets(votes, size, HALF) is expected


@pytest.mark.parametrize(
    ("votes", "size", "expected"),
    [
        (6, 9, True),  # exactly two thirds passes
        (5, 9, False),
        (2, 3, True),
        (1, 3, False),
        (4, 6, True),
        (3, 6, False),
        (7, 10, True),  # 7/10 ≥ 2/3
        (6, 10, False),  # 6/10 < 2/3
        (14, 21, True),
        (13, 21, False),
    ],
)
def test_two_thirds_boundary(votes: int, size: int, expected: bool) -> None:
    assert rules.meets(votes, size, TWO_THIRDS) is expected


@pytest.mark.parametrize(
    ("size", "threshold", "needed"),
    [
        (8, HALF, 5),
        (9, HALF, 5),
        (1, HALF, 1),
        (9, TWO_THIRDS, 6),
        (10, TWO_THIRDS, 7),
        (3, TWO_THIRDS, 2),
        (0, HALF, 1),
        (0, TWO_THIRDS, 1),
    ],
)
def test_required_is_the_fewest_votes_that_meet(size: int, threshold: str, needed: int) -> None:
    assert rules.required(size, threshold) == needed
    if size:
        assert rules.meets(needed, size, threshold)
        assert not rules.meets(needed - 1, size, threshold)


def test_required_agrees_with_meets_for_every_small_base() -> None:
    for size in range(1, 60):
        for threshold in (HALF, TWO_THIRDS):
            needed = rules.required(size, threshold)
            assert [rules.meets(v, size, threshold) for v in range(size + 1)] == [
                v >= needed for v in range(size + 1)
            ]


def test_zero_base_meets_nothing() -> None:
    assert not rules.meets(0, 0, HALF)
    assert not rules.meets(0, 0, TWO_THIRDS)
    counts = rules.Counts(members=0, summoned=0)
    result = rules.quorum(counts, base=Base.MEMBERS, threshold=HALF)
    assert result.base_size == 0
    assert result.met is False
    outcome = rules.resolution(
        votes_for=0, votes_against=0, abstain=0, size=0, threshold=HALF, eligible=0
    )
    assert outcome.passed is False


def test_bases_count_members_summoned_exclusions_and_presence() -> None:
    counts = rules.Counts(members=15, summoned=13, excluded=2, present=9)
    assert rules.base_size(Base.MEMBERS, counts) == 15
    assert rules.base_size(Base.SUMMONED, counts) == 13
    assert rules.base_size(Base.SUMMONED_NOT_EXCLUDED, counts) == 11
    assert rules.base_size(Base.PRESENT, counts) == 9


def test_quorum_counts_absent_members_in_the_base() -> None:
    """A committee of 15: two thirds (10) must be present; absences lower presence, not the
    base."""
    counts = rules.Counts(members=15, summoned=15, present=9)
    quorum = rules.quorum(counts, base=Base.MEMBERS, threshold=TWO_THIRDS)
    assert (quorum.base_size, quorum.required, quorum.met) == (15, 10, False)
    counts = rules.Counts(members=15, summoned=15, present=10)
    assert rules.quorum(counts, base=Base.MEMBERS, threshold=TWO_THIRDS).met is True


def test_quorum_exactly_half_present_is_not_a_quorum() -> None:
    counts = rules.Counts(members=10, summoned=10, present=5)
    assert rules.quorum(counts, base=Base.MEMBERS, threshold=HALF).met is False
    counts = rules.Counts(members=10, summoned=10, present=6)
    assert rules.quorum(counts, base=Base.MEMBERS, threshold=HALF).met is True


def test_excluded_members_leave_the_base() -> None:
    """11 summoned, 3 excluded: 5 present is more than half of 8 but not of 11."""
    counts = rules.Counts(members=11, summoned=11, excluded=3, present=5)
    assert rules.quorum(counts, base=Base.SUMMONED_NOT_EXCLUDED, threshold=HALF).met is True
    assert rules.quorum(counts, base=Base.SUMMONED, threshold=HALF).met is False


def test_resolution_counts_against_the_body_not_the_votes_cast() -> None:
    """Charter Art. 9: 12 members, 7 present, 6 for and 1 against is a large majority of the
    votes cast but not more than half of the body."""
    outcome = rules.resolution(
        votes_for=6, votes_against=1, abstain=0, size=12, threshold=HALF, eligible=7
    )
    assert outcome.passed is False
    assert outcome.required == 7
    outcome = rules.resolution(
        votes_for=7, votes_against=0, abstain=0, size=12, threshold=HALF, eligible=7
    )
    assert outcome.passed is True


def test_resolution_with_exactly_half_for_fails() -> None:
    outcome = rules.resolution(
        votes_for=5, votes_against=3, abstain=2, size=10, threshold=HALF, eligible=10
    )
    assert outcome.passed is False


def test_abstentions_do_not_help_a_resolution() -> None:
    outcome = rules.resolution(
        votes_for=4, votes_against=0, abstain=5, size=9, threshold=HALF, eligible=9
    )
    assert outcome.passed is False


def test_more_ballots_than_eligible_is_refused() -> None:
    with pytest.raises(rules.RuleError):
        rules.resolution(
            votes_for=5, votes_against=3, abstain=1, size=12, threshold=HALF, eligible=8
        )
    with pytest.raises(rules.RuleError):
        rules.check_ballots(9, 8)
    rules.check_ballots(8, 8)
    with pytest.raises(rules.RuleError):
        rules.election(votes={1: 3}, seats=1, size=5, threshold=HALF, ballots=6, eligible=5)


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(rules.RuleError):
        rules.Counts(members=5, summoned=3, excluded=4)
    with pytest.raises(rules.RuleError):
        rules.Counts(members=-1, summoned=0)
    with pytest.raises(rules.RuleError):
        rules.meets(1, 3, "unanimity")
    with pytest.raises(rules.RuleError):
        rules.base_size("friends", rules.Counts(members=1, summoned=1))
    # A candidate cannot have more votes than there were ballots.
    with pytest.raises(rules.RuleError):
        rules.election(votes={1: 4}, seats=1, size=5, threshold=HALF, ballots=3, eligible=5)
    # Nor can the choices exceed seats × ballots.
    with pytest.raises(rules.RuleError):
        rules.election(
            votes={1: 3, 2: 3, 3: 3}, seats=2, size=5, threshold=HALF, ballots=4, eligible=5
        )


def test_election_of_one_candidate_below_and_above_the_threshold() -> None:
    result = rules.election(votes={1: 5, 2: 4}, seats=1, size=10, threshold=HALF, ballots=9,
                            eligible=10)  # fmt: skip
    assert result.elected == []  # 5 of 10 is exactly half
    assert result.tie is False
    result = rules.election(votes={1: 6, 2: 3}, seats=1, size=10, threshold=HALF, ballots=9,
                            eligible=10)  # fmt: skip
    assert result.elected == [1]


def test_election_n_of_m_highest_qualified_win() -> None:
    """3 seats, 4 candidates all above half of 9: the three highest are elected."""
    votes = {1: 8, 2: 6, 3: 7, 4: 5}
    result = rules.election(votes=votes, seats=3, size=9, threshold=HALF, ballots=9, eligible=9)
    assert result.qualified == [1, 3, 2, 4]
    assert result.elected == [1, 3, 2]
    assert result.tie is False
    assert result.seats_left == 0


def test_election_fewer_qualified_than_seats_leaves_seats_empty() -> None:
    votes = {1: 8, 2: 4, 3: 3}
    result = rules.election(votes=votes, seats=2, size=9, threshold=HALF, ballots=9, eligible=9)
    assert result.elected == [1]
    assert result.seats_left == 1
    assert result.tie is False


def test_election_tie_at_the_last_seat_elects_none_of_the_tied() -> None:
    """2 seats: A 8, B 5, C 5 all qualify; B and C tie for the last seat: only A is elected and
    the result asks for a re-vote."""
    votes = {"A": 8, "B": 5, "C": 5}
    result = rules.election(votes=votes, seats=2, size=9, threshold=HALF, ballots=9, eligible=9)
    assert result.elected == ["A"]
    assert result.tie is True
    assert sorted(result.tied) == ["B", "C"]
    assert result.seats_left == 1


def test_election_tie_that_fits_the_seats_elects_all_tied() -> None:
    """2 seats, A and B tie above C: both fit, no tie to resolve."""
    votes = {"A": 6, "B": 6, "C": 5}
    result = rules.election(votes=votes, seats=2, size=9, threshold=HALF, ballots=9, eligible=9)
    assert sorted(result.elected) == ["A", "B"]
    assert result.tie is False


def test_election_three_way_tie_for_two_seats_elects_nobody() -> None:
    votes = {"A": 5, "B": 5, "C": 5}
    result = rules.election(votes=votes, seats=2, size=9, threshold=HALF, ballots=8, eligible=9)
    assert result.elected == []
    assert result.tie is True
    assert result.seats_left == 2


def test_election_tie_below_the_threshold_is_no_tie() -> None:
    votes = {"A": 4, "B": 4}
    result = rules.election(votes=votes, seats=1, size=9, threshold=HALF, ballots=8, eligible=9)
    assert result.elected == []
    assert result.tie is False


def test_election_counts_against_the_summoned_not_those_present() -> None:
    """Decision 190: 20 summoned (2 excluded: base 18), 12 present; a candidate with 9 votes
    has most of the votes cast but not more than half of 18."""
    counts = rules.Counts(members=21, summoned=20, excluded=2, present=12)
    size = rules.base_size(Base.SUMMONED_NOT_EXCLUDED, counts)
    result = rules.election(
        votes={1: 9, 2: 3}, seats=1, size=size, threshold=HALF, ballots=12, eligible=12
    )
    assert result.elected == []
    result = rules.election(
        votes={1: 10, 2: 2}, seats=1, size=size, threshold=HALF, ballots=12, eligible=12
    )
    assert result.elected == [1]


@pytest.mark.parametrize(
    ("seats", "most"), [(1, 1), (3, 3), (4, 5), (7, 9), (10, 13), (15, 19), (50, 65)]
)
def test_at_most_thirty_percent_more_candidates(seats: int, most: int) -> None:
    assert rules.max_candidates(seats) == most
