"""Who may see and who may run a meeting: the one place every view, socket and service asks.

* Taking part needs no role: an invitation (`Participant`) is the right to see the meeting, its
  agenda and its board pack, to check in, to ask to speak and, when voting, to vote.
* Organizing (schedule, invite, agenda, run the room, record hands, minutes) needs
  `meetings.organize` on the convening unit, or being the meeting's chair or secretary.
* Someone with `meetings.organize` on the unit sees the meeting without being invited (to
  prepare it), but a board pack's documents are shown to invitees only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.core.errors import NotFound, PermissionDenied

from .models import Meeting, Participant


def participant(user: Any, meeting: Meeting) -> Participant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Participant.objects.filter(meeting=meeting, user=user).first()


def may_organize(user: Any, meeting: Meeting) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.pk in (meeting.chair_id, meeting.secretary_id):
        return True
    return policy.can(user, policy.Action.MEETINGS_ORGANIZE, meeting.unit)


def may_see(user: Any, meeting: Meeting) -> bool:
    return participant(user, meeting) is not None or may_organize(user, meeting)


def visible_meetings(user: Any) -> QuerySet[Meeting]:
    """Meetings the user is invited to, chairs or keeps, or may organize."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Meeting.objects.none()
    invited = Participant.objects.filter(user=user).values("meeting_id")
    organized = policy.units_in_scope(user, policy.Action.MEETINGS_ORGANIZE).values("pk")
    return Meeting.objects.filter(
        Q(pk__in=invited) | Q(chair=user) | Q(secretary=user) | Q(unit__in=organized)
    )


def get_visible(user: Any, pk: Any) -> Meeting:
    """The meeting if the user may see it; NotFound otherwise (no hint that it exists)."""
    meeting = Meeting.objects.select_related("unit").filter(pk=pk).first()
    if meeting is None or not may_see(user, meeting):
        raise NotFound(_("No such meeting, or it is not open to you."))
    return meeting


def require_organizer(user: Any, meeting: Meeting) -> None:
    if not may_organize(user, meeting):
        raise PermissionDenied(_("Only the meeting's organizers may do this."))


def require_participant(user: Any, meeting: Meeting) -> Participant:
    found = participant(user, meeting)
    if found is None:
        raise PermissionDenied(_("Only the meeting's participants may do this."))
    return found
