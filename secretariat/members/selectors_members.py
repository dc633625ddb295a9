"""Read queries of member records. Each takes the acting user and applies the scope:

* `members.manage` (member-records officers) on a unit's subtree, per grant: the records of the
  members whose official unit is there — never outside;
* `members.reports` (leaders) gives no individual record at all: the aggregate reports are
  another module's;
* a user linked to a record sees their own profile.

Reading a *full* profile (sensitive fields unsealed) writes an audit event, in the reader's
transaction: every such view is in the log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import NotFound

from . import sealing
from .choices import Status
from .models import AnnualRating, Discipline, Member, MemberEvent, Reward

_RELATED = ("unit", "temporary_unit", "admitting_unit", "pending_transfer")


def _parse_id(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def members_in_scope(*, user: Any) -> QuerySet[Member]:
    """The member records the user keeps (`members.manage` on the member's unit)."""
    return policy.scoped(Member.objects.select_related(*_RELATED), user, Action.MEMBERS_MANAGE)


def members_of_unit(
    *, user: Any, unit: Any, statuses: tuple[str, ...] | None = None
) -> QuerySet[Member]:
    """The records of `unit` and the units below it, within the user's scope."""
    queryset = members_in_scope(user=user).filter(unit__path__startswith=unit.path)
    if statuses is not None:
        queryset = queryset.filter(status__in=statuses)
    return queryset


def member_get(*, user: Any, member_id: Any) -> Member:
    """A record in the user's scope (no sensitive field is read). NotFound when it does not
    exist *or* is outside the scope: the answer must not tell which."""
    pk = _parse_id(member_id)
    member = members_in_scope(user=user).filter(pk=pk).first() if pk else None
    if member is None:
        raise NotFound(_("No such member."))
    return member


def member_events(*, member: Member) -> QuerySet[MemberEvent]:
    """The events of a record the caller already opened, in the order they take effect."""
    return (
        MemberEvent.objects.filter(member=member)
        .select_related("from_unit", "to_unit", "issuing_unit", "confirmed_by", "recorded_by")
        .order_by("effective_on", "sequence")
    )


@dataclass(frozen=True)
class MemberProfile:
    """A full profile: the record, its sensitive fields in clear, and its history."""

    member: Member
    sensitive: dict[str, str]
    events: list[MemberEvent]
    ratings: list[AnnualRating]
    rewards: list[Reward]
    disciplines: list[Discipline]
    has_photo: bool


def _profile(member: Member) -> MemberProfile:
    return MemberProfile(
        member=member,
        sensitive=sealing.read_sensitive(member),
        events=list(member_events(member=member)),
        ratings=list(AnnualRating.objects.filter(member=member).order_by("-year")),
        rewards=list(Reward.objects.filter(member=member).order_by("-decided_on")),
        disciplines=list(Discipline.objects.filter(member=member).order_by("-decided_on")),
        has_photo=bool(member.photo_sealed),
    )


def _audit_view(user: Any, member: Member, *, own: bool) -> None:
    audit.record(
        actor=user,
        action="members.profile_viewed",
        unit=member.unit,
        obj=member,
        data={"member": str(member.pk), "own": own},
    )


def member_profile(*, user: Any, member_id: Any) -> MemberProfile:
    """The full profile of a record in the user's scope, sensitive fields unsealed. Writes the
    `members.profile_viewed` audit event (in the caller's transaction, or its own)."""
    member = member_get(user=user, member_id=member_id)
    with transaction.atomic():
        _audit_view(user, member, own=False)
        return _profile(member)


def own_member_record(*, user: Any) -> Member | None:
    """The record linked to the user's account, if any (no sensitive field read)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related(*_RELATED).filter(user=user).first()


def has_member_record(*, user: Any) -> bool:
    """Whether the user's account is linked to a member record (one indexed lookup)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        Member.objects.filter(user=user).exists()
    )


def own_member_profile(*, user: Any) -> MemberProfile | None:
    """The user's own full profile (audited like any full profile), or None."""
    member = own_member_record(user=user)
    if member is None:
        return None
    with transaction.atomic():
        _audit_view(user, member, own=True)
        return _profile(member)


def member_photo(*, user: Any, member_id: Any) -> tuple[bytes, str]:
    """The photo of a record in the user's scope, or the user's own: (bytes, content type)."""
    own = own_member_record(user=user)
    pk = _parse_id(member_id)
    member = own if own is not None and own.pk == pk else member_get(user=user, member_id=pk)
    content = sealing.unseal_photo(member)
    if content is None:
        raise NotFound(_("This member has no photo."))
    return content, member.photo_content_type


def transfers_awaiting_confirmation(*, user: Any) -> QuerySet[MemberEvent]:
    """Transfers the user may confirm: to a unit of their scope, or, for a destination outside
    the node, from a unit of their scope (the other side's confirmation is recorded there).
    Only a summary of each member is shown to the receiving unit: not their profile."""
    units = policy.units_in_scope(user, Action.MEMBERS_MANAGE).values("pk")
    pending = Member.objects.filter(pending_transfer__isnull=False).values("pending_transfer")
    return (
        MemberEvent.objects.filter(pk__in=pending)
        .filter(Q(to_unit__in=units) | Q(to_unit__isnull=True, member__unit__in=units))
        .select_related("member", "from_unit", "to_unit")
        .order_by("effective_on", "created_at")
    )


def probation_due(
    *, user: Any, within_days: int = 30, today: dt.date | None = None
) -> QuerySet[Member]:
    """Probationary members of the user's scope whose probation ends within `within_days`
    days, or has ended without recognition (those first), by end date."""
    today = today or clock.today()
    horizon = today + dt.timedelta(days=within_days)
    return (
        members_in_scope(user=user)
        .filter(status=Status.PROBATIONARY, probation_ends_on__lte=horizon)
        .order_by("probation_ends_on", "full_name")
    )


def probation_overdue(member: Member, today: dt.date | None = None) -> bool:
    """Whether the member's probation has ended without a recognition."""
    today = today or clock.today()
    return (
        member.status == Status.PROBATIONARY
        and member.probation_ends_on is not None
        and member.probation_ends_on < today
    )
