"""Builders of member records for tests: real services, never rows written by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from secretariat.members import services
from secretariat.members.choices import EventKind
from secretariat.members.models import Member

D = dt.date
ADMITTED_ON = D(2022, 3, 1)
OFFICIAL_ADMITTED_ON = D(2021, 3, 1)


def profile(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "full_name": "Nguyễn Văn An",
        "gender": "male",
        "birth_date": D(1990, 5, 17),
        "ethnicity": "01",
        "religion": "none",
        "general_education": "12/12",
        "political_theory": "intermediate",
        "degree": "bachelor",
    }
    values.update(overrides)
    return values


def make_member(unit: Any, actor: Any = None, **overrides: Any) -> Member:
    return services.member_create(actor=actor, unit=unit, profile=profile(**overrides))


def event(member: Member, kind: str, on: dt.date, actor: Any = None, **kwargs: Any) -> Any:
    return services.member_event_record(
        actor=actor, member=member, kind=kind, effective_on=on, **kwargs
    )


def admitted(unit: Any, on: dt.date = ADMITTED_ON, **overrides: Any) -> Member:
    """A probationary member of `unit` admitted on `on`."""
    member = make_member(unit, **overrides)
    event(member, EventKind.ADMISSION, on, decision_number="12-QĐ/ĐU", to_unit=unit)
    return Member.objects.get(pk=member.pk)


def official(unit: Any, on: dt.date = OFFICIAL_ADMITTED_ON, **overrides: Any) -> Member:
    """An official member of `unit`, admitted on `on`, recognized 12 months later."""
    member = admitted(unit, on, **overrides)
    event(member, EventKind.OFFICIAL, D(on.year + 1, on.month, on.day))
    return Member.objects.get(pk=member.pk)
