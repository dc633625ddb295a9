"""Quorum and majority: pure arithmetic, no database (DOMAIN.md §6).

Party rules count a majority against a *base* — a number of people fixed by the rules — and never
against the votes cast (DOMAIN.md §6, Party Charter Art. 9). A meeting copies its rules from its
meeting type (`RuleSet`, else `rules_defaults.DEFAULTS`), so these functions take the rule's two
parts, base and threshold, as plain strings (`models.Base`, `models.Threshold`).

Bases (`base_size`):
* ``members`` — the incumbent members of the body (`Meeting.body_size`), whoever came;
* ``summoned`` — everyone officially summoned with a vote (voting participants);
* ``summoned_not_excluded`` — the summoned less those legally excluded (e.g. under discipline,
  `Participant.excluded_reason`) — the election base of Decision 190-QĐ/TW;
* ``present`` — voting members present (in the room or remote), not excluded. For a vote, the
  members eligible when it opened (`Counts.present` is then that frozen number).

Thresholds (`meets`), always in integers, never with fractions:
* ``more_than_half`` of N: ``votes * 2 > N`` — exactly half fails (4 of 8 is not a majority);
* ``two_thirds`` of N: ``votes * 3 >= N * 2`` — exactly two thirds passes (6 of 9).
A base of zero meets nothing: no body, no quorum, no decision.

Quorum (`quorum`): the members present meet the threshold of the quorum base (committees:
two thirds of the members, DOMAIN.md §6 [unverified], cells: more than half).

Resolution (`resolution`): passes when the FOR votes meet the threshold of the base; against and
abstain votes only matter by not being FOR (Charter Art. 9: "more than half of the body's
members approve").

Election of n of m candidates (`election`, Decision 190-QĐ/TW, earlier 244-QĐ/TW Art. 32): a
candidate is elected when their votes meet the threshold of the base (everyone summoned less
legal exclusions). When more candidates qualify than there are seats, the highest win; when
candidates tie for the last seat(s), none of the tied is elected for those seats and the result
says `tie` so that the meeting re-votes. At most 30 % more candidates than seats
(`max_candidates`).

Procedural points: a show of hands, more than half of those present unless the meeting's rules
say otherwise (`PROCEDURAL_BASE`, `PROCEDURAL_THRESHOLD`).

More ballots than people eligible is refused (`check_ballots`): it means a counting error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import Base, Threshold

PROCEDURAL_BASE = Base.PRESENT
PROCEDURAL_THRESHOLD = Threshold.MORE_THAN_HALF
# "số dư không quá 30 %": at most 30 % more candidates than seats (DOMAIN.md §6).
EXTRA_CANDIDATES_PERCENT = 30


class RuleError(ValueError):
    """Counts that cannot be right (more ballots than voters, an unknown rule): the caller
    turns it into a translated ValidationFailed."""


@dataclass(frozen=True)
class Counts:
    """The numbers a base is taken from. `present` counts voting members present and not
    excluded; `excluded` counts the summoned (voting) participants legally excluded."""

    members: int
    summoned: int
    excluded: int = 0
    present: int = 0

    def __post_init__(self) -> None:
        for name in ("members", "summoned", "excluded", "present"):
            if getattr(self, name) < 0:
                raise RuleError(f"{name} cannot be negative")
        if self.excluded > self.summoned:
            raise RuleError("more excluded than summoned")

    def as_dict(self) -> dict[str, int]:
        return {
            "members": self.members,
            "summoned": self.summoned,
            "excluded": self.excluded,
            "present": self.present,
        }


def base_size(base: str, counts: Counts) -> int:
    """How many people the base `base` counts (see the module docstring)."""
    if base == Base.MEMBERS:
        return counts.members
    if base == Base.SUMMONED:
        return counts.summoned
    if base == Base.SUMMONED_NOT_EXCLUDED:
        return counts.summoned - counts.excluded
    if base == Base.PRESENT:
        return counts.present
    raise RuleError(f"unknown base {base!r}")


def meets(votes: int, size: int, threshold: str) -> bool:
    """Whether `votes` reach `threshold` of a base of `size` people (integers only)."""
    if votes < 0 or size < 0:
        raise RuleError("counts cannot be negative")
    if size == 0:
        return False
    if threshold == Threshold.MORE_THAN_HALF:
        return votes * 2 > size
    if threshold == Threshold.TWO_THIRDS:
        return votes * 3 >= size * 2
    raise RuleError(f"unknown threshold {threshold!r}")


def required(size: int, threshold: str) -> int:
    """The fewest votes that meet `threshold` of `size` (for display: "5 needed of 9").
    For a base of zero, 1 — although nothing meets a zero base (`meets`)."""
    if size < 0:
        raise RuleError("counts cannot be negative")
    if threshold == Threshold.MORE_THAN_HALF:
        needed = size // 2 + 1
    elif threshold == Threshold.TWO_THIRDS:
        needed = (size * 2 + 2) // 3
    else:
        raise RuleError(f"unknown threshold {threshold!r}")
    return max(needed, 1)


@dataclass(frozen=True)
class QuorumResult:
    base: str
    threshold: str
    base_size: int
    present: int
    required: int
    met: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "threshold": self.threshold,
            "base_size": self.base_size,
            "present": self.present,
            "required": self.required,
            "met": self.met,
        }


def quorum(counts: Counts, *, base: str, threshold: str) -> QuorumResult:
    """Whether the members present make the quorum under the rule (base, threshold)."""
    size = base_size(base, counts)
    return QuorumResult(
        base=base,
        threshold=threshold,
        base_size=size,
        present=counts.present,
        required=required(size, threshold),
        met=meets(counts.present, size, threshold),
    )


def check_ballots(ballots: int, eligible: int) -> None:
    """Refuse more ballots (or hands) than people eligible to cast them."""
    if ballots < 0 or eligible < 0:
        raise RuleError("counts cannot be negative")
    if ballots > eligible:
        raise RuleError(f"{ballots} ballots for {eligible} eligible voters")


@dataclass(frozen=True)
class ResolutionResult:
    base_size: int
    threshold: str
    required: int
    votes_for: int
    passed: bool


def resolution(
    *, votes_for: int, votes_against: int, abstain: int, size: int, threshold: str, eligible: int
) -> ResolutionResult:
    """A resolution (or procedural point) passes when FOR meets `threshold` of the base `size`.
    The ballots (for + against + abstain) may not exceed `eligible`."""
    for value in (votes_for, votes_against, abstain):
        if value < 0:
            raise RuleError("counts cannot be negative")
    check_ballots(votes_for + votes_against + abstain, eligible)
    return ResolutionResult(
        base_size=size,
        threshold=threshold,
        required=required(size, threshold),
        votes_for=votes_for,
        passed=meets(votes_for, size, threshold),
    )


@dataclass(frozen=True)
class ElectionResult:
    base_size: int
    threshold: str
    required: int
    seats: int
    # Candidates (keys of `votes`) whose votes meet the threshold, best first.
    qualified: list[Any] = field(default_factory=list)
    elected: list[Any] = field(default_factory=list)
    # Candidates tied for the last seat(s): none of them is elected; re-vote.
    tied: list[Any] = field(default_factory=list)

    @property
    def tie(self) -> bool:
        return bool(self.tied)

    @property
    def seats_left(self) -> int:
        return self.seats - len(self.elected)


def election(
    *, votes: Mapping[Any, int], seats: int, size: int, threshold: str, ballots: int, eligible: int
) -> ElectionResult:
    """Elect up to `seats` of the candidates (`votes`: candidate key → votes received).

    Each ballot chooses at most `seats` candidates, so no candidate has more votes than
    `ballots`, and `ballots` may not exceed `eligible`."""
    if seats < 1:
        raise RuleError("an election fills at least one seat")
    check_ballots(ballots, eligible)
    if any(v < 0 for v in votes.values()):
        raise RuleError("counts cannot be negative")
    if any(v > ballots for v in votes.values()):
        raise RuleError("a candidate has more votes than there are ballots")
    if sum(votes.values()) > ballots * seats:
        raise RuleError("more choices than the ballots allow")
    qualified = sorted(
        (key for key, count in votes.items() if meets(count, size, threshold)),
        key=lambda key: -votes[key],
    )
    elected: list[Any] = []
    tied: list[Any] = []
    if len(qualified) <= seats:
        elected = list(qualified)
    else:
        # The last seat's vote count: everyone above it is in; those at it share the
        # remaining seats only if they all fit.
        cutoff = votes[qualified[seats - 1]]
        above = [k for k in qualified if votes[k] > cutoff]
        at = [k for k in qualified if votes[k] == cutoff]
        elected = above
        if len(above) + len(at) <= seats:
            elected = above + at
        else:
            tied = at
    return ElectionResult(
        base_size=size,
        threshold=threshold,
        required=required(size, threshold),
        seats=seats,
        qualified=qualified,
        elected=elected,
        tied=tied,
    )


def max_candidates(seats: int) -> int:
    """The most candidates an election of `seats` may have: 30 % more, rounded down, and never
    fewer than the seats."""
    return max(seats, seats * (100 + EXTRA_CANDIDATES_PERCENT) // 100)
