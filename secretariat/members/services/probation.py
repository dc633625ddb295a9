"""The probation job: tell a unit's member-records officers when a member's 12-month probation
is about to end (so the cell prepares the self-review 10-KNĐ and the helper's comment 11-KNĐ
**[unverified form numbers]** and the recognition), and again once it has ended without a
recognition. Each notice is sent once per member and probation end, in its own transaction
(one failure does not undo the others; two workers at once do not notify twice), and audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from secretariat.accounts.models import Role, RoleGrant, User
from secretariat.core import clock
from secretariat.office.services.notifications import notify
from secretariat.orgs.models import Unit

from ..choices import Status
from ..models import Member
from ._common import lock_member, record

DEFAULT_REMINDER_DAYS = 30


def reminder_days() -> int:
    """How many days before the end of a probation the officers are told (setting
    `MEMBERS_PROBATION_REMINDER_DAYS`, default 30)."""
    return int(getattr(settings, "MEMBERS_PROBATION_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def records_officers(*, unit: Unit) -> QuerySet[User]:
    """Active users holding the member-records officer role on `unit` or on an ancestor whose
    grant covers it."""
    today = clock.today()
    ancestors = [unit.path[:i] for i in range(Unit.steplen, len(unit.path), Unit.steplen)]
    grants = (
        RoleGrant.objects.filter(role=Role.MEMBER_RECORDS_OFFICER, revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .filter(Q(unit=unit) | Q(unit__path__in=ancestors, include_subtree=True))
    )
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id"))


def member_link(member: Member) -> str:
    # The member pages belong to another part of the app; until they exist, no link.
    try:
        return reverse("members:member", args=[member.pk])
    except NoReverseMatch:
        return ""


def _tell_officers(member: Member, message: Any) -> int:
    link = member_link(member)
    officers = list(records_officers(unit=member.unit))
    for officer in officers:
        with translation.override(officer.language or settings.LANGUAGE_CODE):
            notify(user=officer, message=str(message), link=link)
    return len(officers)


def _remind_one(pk: Any, today: dt.date, horizon: dt.date) -> int:
    with transaction.atomic(durable=True):
        member = lock_member(pk)
        ends = member.probation_ends_on
        if (
            member.status != Status.PROBATIONARY
            or ends is None
            or not today <= ends <= horizon
            or member.probation_reminded_for == ends
        ):
            return 0
        member.probation_reminded_for = ends
        member.save(update_fields=["probation_reminded_for", "updated_at"])
        told = _tell_officers(
            member,
            _(
                "The probation of %(name)s ends on %(date)s: prepare the self-review, the "
                "helper's comment and the cell's proposal for official membership."
            )
            % {"name": member.full_name, "date": ends.strftime("%d/%m/%Y")},
        )
        record(
            None,
            "members.probation_reminded",
            member,
            data={"ends_on": ends.isoformat(), "told": told},
        )
        return 1


def _overdue_one(pk: Any, today: dt.date) -> int:
    with transaction.atomic(durable=True):
        member = lock_member(pk)
        ends = member.probation_ends_on
        if (
            member.status != Status.PROBATIONARY
            or ends is None
            or ends >= today
            or member.probation_overdue_notified_for == ends
        ):
            return 0
        member.probation_overdue_notified_for = ends
        member.save(update_fields=["probation_overdue_notified_for", "updated_at"])
        told = _tell_officers(
            member,
            _(
                "The probation of %(name)s ended on %(date)s and official membership has not "
                "been recognized."
            )
            % {"name": member.full_name, "date": ends.strftime("%d/%m/%Y")},
        )
        record(
            None,
            "members.probation_overdue",
            member,
            data={"ends_on": ends.isoformat(), "told": told},
        )
        return 1


def probation_reminders_send(
    *, today: dt.date | None = None, days: int | None = None
) -> dict[str, int]:
    """Notify the records officers of probations ending within `days` (default: the setting)
    and of probations ended without recognition. Returns how many members of each."""
    today = today or clock.today()
    horizon = today + dt.timedelta(days=reminder_days() if days is None else days)
    probationary = Member.objects.filter(
        status=Status.PROBATIONARY, probation_ends_on__isnull=False
    )
    due_soon = probationary.filter(
        probation_ends_on__gte=today, probation_ends_on__lte=horizon
    ).exclude(probation_reminded_for=F("probation_ends_on"))
    overdue = probationary.filter(probation_ends_on__lt=today).exclude(
        probation_overdue_notified_for=F("probation_ends_on")
    )
    reminded = sum(
        _remind_one(pk, today, horizon)
        for pk in due_soon.order_by("probation_ends_on", "pk").values_list("pk", flat=True)
    )
    late = sum(
        _overdue_one(pk, today)
        for pk in overdue.order_by("probation_ends_on", "pk").values_list("pk", flat=True)
    )
    return {"reminded": reminded, "overdue": late}
