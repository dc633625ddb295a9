"""Permission-matrix cases of the dues and statutory report pages (see
secretariat/api/tests/matrix.py).

Inside: an official member of cell A; outside: one of cell B. A payment and the monthly sheet
are records officers' work on their units; the statements and the reports are aggregates, open
to leaders too; the arrears name members: records officers only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx, cell
from secretariat.members import services
from secretariat.members.choices import EventKind

OFFICERS = frozenset({Role.MEMBER_RECORDS_OFFICER})
AGGREGATES = frozenset({Role.MEMBER_RECORDS_OFFICER, Role.LEADER})
D = dt.date


def setup(ctx: Ctx, make_user: Any) -> None:
    with transaction.atomic():
        for side in ("in", "out"):
            member = services.member_create_nondurable(
                actor=None,
                unit=cell(ctx, side),
                profile={
                    "full_name": f"MATRIX-DUES-{side.upper()}",
                    "gender": "female",
                    "birth_date": D(1985, 3, 3),
                    "ethnicity": "01",
                    "income_type": "student",
                },
            )
            services.member_event_record_nondurable(
                actor=None, member=member, kind=EventKind.ADMISSION, effective_on=D(2020, 1, 6)
            )
            ctx.extra[f"dues_member_{side}"] = member


def _member(c: Ctx, side: str) -> Any:
    return c.extra[f"dues_member_{side}"]


def _commune(c: Ctx, side: str) -> Any:
    return c.units["commune_a" if side == "in" else "commune_b"]


def _sheet(c: Ctx, side: str) -> str:
    return reverse("members:dues_sheet") + f"?unit={cell(c, side).pk}&month=2024-02"


CASES = [
    Case(
        "members:payment",
        "get",
        lambda c, s: reverse("members:payment", args=[_member(c, s).pk]),
        OFFICERS,
    ),
    Case(
        "members:payment",
        "post",
        lambda c, s: reverse("members:payment", args=[_member(c, s).pk]),
        OFFICERS,
        write=True,
        data=lambda c, s: {"month": "2024-01", "amount": "2000"},
    ),
    Case(
        "members:dues_sheet", "get", _sheet, OFFICERS, shows=lambda c, s: f"MATRIX-DUES-{s.upper()}"
    ),
    Case(
        "members:dues_sheet",
        "post",
        _sheet,
        OFFICERS,
        write=True,
        data=lambda c, s: {
            f"paid_{_member(c, s).pk.hex}": "on",
            f"amount_{_member(c, s).pk.hex}": "2000",
        },
    ),
    Case(
        "members:dues_statement",
        "get",
        lambda c, s: reverse("members:dues_statement") + f"?unit={_commune(c, s).pk}&month=2024-02",
        AGGREGATES,
    ),
    Case(
        "members:arrears",
        "get",
        lambda c, s: reverse("members:arrears") + "?year=2024",
        OFFICERS,
        scoped=False,
        shows=lambda c, s: f"MATRIX-DUES-{s.upper()}",
    ),
    Case(
        "members:reports",
        "get",
        lambda c, s: reverse("members:reports") + f"?unit={_commune(c, s).pk}",
        AGGREGATES,
    ),
    Case(
        "members:reports_download",
        "post",
        lambda c, s: reverse("members:reports_download"),
        AGGREGATES,
        write=True,
        data=lambda c, s: {"unit": str(_commune(c, s).pk), "fmt": "xlsx"},
    ),
]
