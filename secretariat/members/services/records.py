"""Services of annual ratings, rewards (Party badges included) and discipline.

Same rules as every member service: `members.manage` on the member's unit, validation before
any write, one audit event in the same transaction. An expulsion (khai trừ) is a discipline
decision *and* the `EXPULSION` event that ends the membership, written together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock

from .. import lifecycle
from ..choices import BADGE_YEARS, MEMBER_STATUSES, DisciplineForm, EventKind, Rating, RewardKind
from ..models import AnnualRating, Discipline, Member, Reward
from ._common import FieldErrors, invalid, lock_member, record, require_manage
from .events import member_event_record_nondurable

FIRST_YEAR = 1930  # the Party's founding year: nothing is rated or decided before it


def _text(
    errors: FieldErrors, field: str, value: str, max_length: int, *, required: bool = False
) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(field, []).append(_("This field is required."))
    if len(value) > max_length:
        errors.setdefault(field, []).append(_("At most %(max)d characters.") % {"max": max_length})
    return value


def _date(errors: FieldErrors, field: str, value: dt.date | None) -> None:
    if value is not None and (value > clock.today() or value.year < FIRST_YEAR):
        errors.setdefault(field, []).append(_("Enter a date between 1930 and today."))


@transaction.atomic(durable=True)
def rating_set(
    *,
    actor: Any | None,
    member: Member,
    year: int,
    rating: str,
    decided_on: dt.date | None = None,
    note: str = "",
) -> AnnualRating:
    """Set (or change) the member's quality rating of `year` — one per member and year. Only
    a year in which the person was a Party member can be rated."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    errors: FieldErrors = {}
    if rating not in Rating.values:
        errors["rating"] = [_("Choose one of the four ratings.")]
    if not isinstance(year, int) or not FIRST_YEAR <= year <= clock.today().year:
        errors["year"] = [_("Enter a year between 1930 and this year.")]
    elif member.admitted_on is None or member.admitted_on.year > year:
        errors["year"] = [_("The person was not a Party member that year.")]
    _date(errors, "decided_on", decided_on)
    note = _text(errors, "note", note, 255)
    if errors:
        raise invalid(errors, _("The rating cannot be saved."))
    existing = AnnualRating.objects.filter(member=member, year=year).first()
    before = (
        {"year": year, "rating": existing.rating, "decided_on": str(existing.decided_on or "")}
        if existing
        else None
    )
    result, _created = AnnualRating.objects.update_or_create(
        member=member,
        year=year,
        defaults={"rating": rating, "decided_on": decided_on, "note": note, "unit": member.unit},
    )
    record(
        actor,
        "members.rating_set",
        member,
        before=before,
        obj=result,
        data={"year": year, "rating": rating, "previous": existing.rating if existing else ""},
    )
    return result


@transaction.atomic(durable=True)
def reward_add(
    *,
    actor: Any | None,
    member: Member,
    kind: str,
    decided_on: dt.date,
    title: str = "",
    badge_years: int | None = None,
    decision_number: str = "",
    issuing_body: str = "",
) -> Reward:
    """Record a reward. A Party badge names its years (30, 40, 45 … 90), once per member, and
    needs that Party age by the end of the year of the decision **[unverified rule]**."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    errors: FieldErrors = {}
    if kind not in RewardKind.values:
        errors["kind"] = [_("Choose a kind of reward.")]
    _date(errors, "decided_on", decided_on)
    decision_number = _text(errors, "decision_number", decision_number, 50)
    issuing_body = _text(errors, "issuing_body", issuing_body, 255)
    if kind == RewardKind.PARTY_BADGE:
        if badge_years not in BADGE_YEARS:
            errors["badge_years"] = [_("A Party badge is for 30, 40, 45 … or 90 years.")]
        elif member.party_age_from is None or (
            lifecycle.years_between(member.party_age_from, dt.date(decided_on.year, 12, 31))
            < badge_years
        ):
            errors["badge_years"] = [
                _("The member does not have %(years)d years of Party age.") % {"years": badge_years}
            ]
        elif Reward.objects.filter(member=member, badge_years=badge_years).exists():
            errors["badge_years"] = [_("The member already has this badge.")]
        if not (title or "").strip() and badge_years in BADGE_YEARS:
            title = f"Huy hiệu {badge_years} năm tuổi Đảng"
    elif badge_years is not None:
        errors["badge_years"] = [_("Only a Party badge has a number of years.")]
    title = _text(errors, "title", title, 255, required=kind != RewardKind.PARTY_BADGE)
    if errors:
        raise invalid(errors, _("The reward cannot be saved."))
    reward = Reward.objects.create(
        member=member,
        kind=kind,
        title=title,
        badge_years=badge_years if kind == RewardKind.PARTY_BADGE else None,
        decision_number=decision_number,
        decided_on=decided_on,
        issuing_body=issuing_body,
    )
    record(
        actor,
        "members.reward_added",
        member,
        obj=reward,
        data={"kind": kind, "badge_years": badge_years, "decided_on": decided_on.isoformat()},
    )
    return reward


@transaction.atomic(durable=True)
def discipline_add(
    *,
    actor: Any | None,
    member: Member,
    form: str,
    decided_on: dt.date,
    effective_on: dt.date | None = None,
    decision_number: str = "",
    issuing_body: str = "",
    reason: str = "",
) -> Discipline:
    """Record a disciplinary decision on a Party member (khiển trách, cảnh cáo, cách chức,
    khai trừ). An expulsion also records the `EXPULSION` event: the membership ends."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    effective_on = effective_on or decided_on
    errors: FieldErrors = {}
    if form not in DisciplineForm.values:
        errors["form"] = [_("Choose a form of discipline.")]
    _date(errors, "decided_on", decided_on)
    _date(errors, "effective_on", effective_on)
    decision_number = _text(errors, "decision_number", decision_number, 50)
    issuing_body = _text(errors, "issuing_body", issuing_body, 255)
    reason = _text(errors, "reason", reason, 5000)
    if member.status not in MEMBER_STATUSES:
        errors.setdefault("form", []).append(_("Only a Party member can be disciplined."))
    if errors:
        raise invalid(errors, _("The discipline cannot be saved."))
    event = None
    if form == DisciplineForm.EXPULSION:
        event = member_event_record_nondurable(
            actor=actor,
            member=member,
            kind=EventKind.EXPULSION,
            effective_on=effective_on,
            decision_number=decision_number,
            decision_date=decided_on,
            issuing_body=issuing_body,
            reason=reason,
            _internal=True,
        )
        member.refresh_from_db()
    discipline = Discipline.objects.create(
        member=member,
        form=form,
        decision_number=decision_number,
        decided_on=decided_on,
        effective_on=effective_on,
        issuing_body=issuing_body,
        reason=reason,
        event=event,
    )
    record(
        actor,
        "members.discipline_added",
        member,
        obj=discipline,
        data={"form": form, "decided_on": decided_on.isoformat()},
    )
    return discipline


__all__ = ["discipline_add", "rating_set", "reward_add"]
