"""Permission-matrix cases of the recognition file (see secretariat/api/tests/matrix.py).

Inside: a probationary member of cell A, linked to the account of the ordinary member (`none`),
helped by the specialist; outside: one of cell B, helped by the outside target. Who may do what:
* records officers of the member's unit: assign the helper, record the paper forms, print them;
* the member (own linked record, probationary): write the self-review;
* the assigned helper only: write the comment (404 for anyone else).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import NONE, Case, Ctx, cell
from secretariat.members import services
from secretariat.members.choices import EventKind

OFFICERS = frozenset({Role.MEMBER_RECORDS_OFFICER})
THE_MEMBER = frozenset({NONE})
THE_HELPER = frozenset({Role.SPECIALIST})
TEXTS = {"strengths": "Tốt", "weaknesses": "Ít", "conclusion": "Đề nghị công nhận"}


def setup(ctx: Ctx, make_user: Any) -> None:
    for side in ("in", "out"):
        with transaction.atomic():
            member = services.member_create_nondurable(
                actor=None,
                unit=cell(ctx, side),
                profile={
                    "full_name": f"MATRIX-PROBATION-{side.upper()}",
                    "gender": "male",
                    "birth_date": dt.date(1995, 1, 1),
                    "ethnicity": "01",
                },
            )
            services.member_event_record_nondurable(
                actor=None,
                member=member,
                kind=EventKind.ADMISSION,
                effective_on=dt.date(2025, 1, 6),
            )
        if side == "in":
            member = services.member_link_user(actor=None, member=member, user=ctx.actors[NONE])
        helper = ctx.actors[Role.SPECIALIST] if side == "in" else ctx.targets["out"]
        ctx.extra[f"probation_{side}"] = services.probation_helper_set(
            actor=None, member=member, helper=helper
        )


def _url(name: str, *extra: str) -> Any:
    return lambda c, s: reverse(f"members:{name}", args=[c.extra[f"probation_{s}"].pk, *extra])


CASES = [
    Case(
        "members:my_review",
        "get",
        lambda c, s: reverse("members:my_review"),
        THE_MEMBER,
        scoped=False,
    ),
    Case(
        "members:my_review",
        "post",
        lambda c, s: reverse("members:my_review"),
        THE_MEMBER,
        scoped=False,
        write=True,
        data=lambda c, s: TEXTS,
    ),
    Case("members:helper_comment", "get", _url("helper_comment"), THE_HELPER),
    Case(
        "members:helper_comment",
        "post",
        _url("helper_comment"),
        THE_HELPER,
        write=True,
        data=lambda c, s: TEXTS,
    ),
    Case("members:probation_helper", "get", _url("probation_helper"), OFFICERS),
    Case(
        "members:probation_helper",
        "post",
        _url("probation_helper"),
        OFFICERS,
        write=True,
        data=lambda c, s: {"username": c.targets["in"].username},
    ),
    Case("members:probation_review", "get", _url("probation_review", "self_review"), OFFICERS),
    Case(
        "members:probation_review",
        "post",
        _url("probation_review", "helper_comment"),
        OFFICERS,
        write=True,
        data=lambda c, s: {**TEXTS, "author_name": "Phạm Văn Giúp"},
    ),
    Case("members:probation_pdf", "get", _url("probation_pdf", "self_review"), OFFICERS),
]
