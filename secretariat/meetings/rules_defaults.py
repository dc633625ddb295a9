"""The quorum and majority rules a meeting type has when no `RuleSet` up the unit tree says
otherwise (DOMAIN.md §6). A meeting copies its rules when it is created, so changing these
never changes a past meeting.

* Party Charter Art. 9: a resolution of a leading body needs more than half of the body's
  members (the whole body, not the votes cast).
* Elections (Decision 190-QĐ/TW): more than half of the votes counted against everyone
  officially summoned, less legal exclusions.
* A committee meeting is commonly held valid with two thirds of its members present; a cell's
  meeting with more than half of its members; a conference (đại hội, hội nghị) counts against
  the delegates summoned.
"""

from __future__ import annotations

from typing import NamedTuple

from .models import Base, MeetingKind, Threshold


class Rules(NamedTuple):
    quorum_base: str
    quorum_threshold: str
    resolution_base: str
    resolution_threshold: str
    election_base: str
    election_threshold: str


FIELDS = Rules._fields

DEFAULTS: dict[str, Rules] = {
    MeetingKind.COMMITTEE: Rules(
        Base.MEMBERS,
        Threshold.TWO_THIRDS,
        Base.MEMBERS,
        Threshold.MORE_THAN_HALF,
        Base.SUMMONED_NOT_EXCLUDED,
        Threshold.MORE_THAN_HALF,
    ),
    MeetingKind.STANDING_COMMITTEE: Rules(
        Base.MEMBERS,
        Threshold.TWO_THIRDS,
        Base.MEMBERS,
        Threshold.MORE_THAN_HALF,
        Base.SUMMONED_NOT_EXCLUDED,
        Threshold.MORE_THAN_HALF,
    ),
    MeetingKind.CELL: Rules(
        Base.MEMBERS,
        Threshold.MORE_THAN_HALF,
        Base.MEMBERS,
        Threshold.MORE_THAN_HALF,
        Base.SUMMONED_NOT_EXCLUDED,
        Threshold.MORE_THAN_HALF,
    ),
    MeetingKind.CONFERENCE: Rules(
        Base.SUMMONED,
        Threshold.MORE_THAN_HALF,
        Base.SUMMONED,
        Threshold.MORE_THAN_HALF,
        Base.SUMMONED_NOT_EXCLUDED,
        Threshold.MORE_THAN_HALF,
    ),
}
