"""Permission-matrix cases of the member pages (see secretariat/api/tests/matrix.py).

Inside: an official member of cell A, with a photo, and a transfer from cell B to cell A waiting
for cell A's confirmation; outside: the same in commune B (a transfer from cell B to cell B2).
Who may do what:
* records officers (`members.manage`) of the member's unit: every page of a record and every
  form; a transfer is confirmed by the receiving unit's officer;
* nobody else opens a record (leaders have aggregate reports only): 403 for pages that need the
  role, 404 for a record outside one's scope;
* "My Party record" is everyone's own page (an unlinked user is told so).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import EVERYONE, Case, Ctx, cell, cell2
from secretariat.core import clock
from secretariat.members import sealing, services
from secretariat.members.choices import EventKind
from secretariat.members.models import MemberEvent

OFFICERS = frozenset({Role.MEMBER_RECORDS_OFFICER})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
D = dt.date


def _profile(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "full_name": name,
        "gender": "male",
        "birth_date": D(1980, 1, 1),
        "ethnicity": "01",
        **extra,
    }


def _official(unit: Any, name: str, **extra: Any) -> Any:
    member = services.member_create_nondurable(
        actor=None, unit=unit, profile=_profile(name, **extra)
    )
    services.member_event_record_nondurable(
        actor=None, member=member, kind=EventKind.ADMISSION, effective_on=D(2020, 1, 6)
    )
    services.member_event_record_nondurable(
        actor=None, member=member, kind=EventKind.OFFICIAL, effective_on=D(2021, 1, 6)
    )
    member.refresh_from_db()
    return member


def setup(ctx: Ctx, make_user: Any) -> None:
    with transaction.atomic():
        for side in ("in", "out"):
            member = _official(cell(ctx, side), f"MATRIX-MEMBER-{side.upper()}")
            member.photo_sealed = sealing.seal_photo(member, PNG)
            member.photo_content_type = "image/png"
            member.save(update_fields=["photo_sealed", "photo_content_type"])
            ctx.extra[f"member_{side}"] = member
            # A transfer waiting for the side's receiving cell.
            moving = _official(ctx.units["cell_b"], f"MATRIX-TRANSFER-{side.upper()}")
            ctx.extra[f"transfer_{side}"] = services.member_event_record_nondurable(
                actor=None,
                member=moving,
                kind=EventKind.TRANSFER_OFFICIAL,
                effective_on=clock.today(),
                to_unit=cell(ctx, side) if side == "in" else cell2(ctx, side),
            )


def _member(c: Ctx, side: str) -> Any:
    return c.extra[f"member_{side}"]


def _page(name: str) -> Any:
    return lambda c, s: reverse(f"members:{name}", args=[_member(c, s).pk])


def _marker(c: Ctx, side: str) -> str:
    return f"MATRIX-MEMBER-{side.upper()}"


def _photo(c: Ctx, side: str) -> dict[str, Any]:
    return {"photo": SimpleUploadedFile("photo.png", PNG, content_type="image/png")}


def _profile_post(c: Ctx, side: str) -> dict[str, Any]:
    return {
        "unit": str(cell(c, side).pk),
        "full_name": f"MATRIX-NEW-{side.upper()}",
        "gender": "female",
        "birth_date": "1991-02-03",
        "ethnicity": "01",
        "religion": "none",
        "degree": "none",
        "academic_title": "none",
        "political_theory": "none",
        "health": "Tốt",
    }


def _transfer(c: Ctx, side: str) -> MemberEvent:
    event: MemberEvent = c.extra[f"transfer_{side}"]
    return event


CASES = [
    Case(
        "members:list",
        "get",
        lambda c, s: reverse("members:list"),
        OFFICERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "members:member_create",
        "get",
        lambda c, s: reverse("members:member_create"),
        OFFICERS,
        scoped=False,
    ),
    Case(
        "members:member_create",
        "post",
        lambda c, s: reverse("members:member_create"),
        OFFICERS,
        write=True,
        data=_profile_post,
    ),
    Case("members:mine", "get", lambda c, s: reverse("members:mine"), EVERYONE, scoped=False),
    Case(
        "members:transfers",
        "get",
        lambda c, s: reverse("members:transfers"),
        OFFICERS,
        scoped=False,
        shows=lambda c, s: f"MATRIX-TRANSFER-{s.upper()}",
    ),
    Case(
        "members:transfer_confirm",
        "post",
        lambda c, s: reverse("members:transfer_confirm", args=[_transfer(c, s).pk]),
        OFFICERS,
        write=True,
    ),
    Case("members:member", "get", _page("member"), OFFICERS),
    Case("members:member_edit", "get", _page("member_edit"), OFFICERS),
    Case(
        "members:member_edit",
        "post",
        _page("member_edit"),
        OFFICERS,
        write=True,
        data=lambda c, s: {**_profile_post(c, s), "full_name": "MATRIX-RENAMED"},
    ),
    Case("members:photo", "get", _page("photo"), OFFICERS),
    Case("members:photo_upload", "get", _page("photo_upload"), OFFICERS),
    Case("members:photo_upload", "post", _page("photo_upload"), OFFICERS, write=True, data=_photo),
    Case("members:event", "get", _page("event"), OFFICERS),
    Case(
        "members:event",
        "post",
        _page("event"),
        OFFICERS,
        write=True,
        data=lambda c, s: {"kind": EventKind.EXEMPTION, "effective_on": clock.today().isoformat()},
    ),
    Case("members:rating", "get", _page("rating"), OFFICERS),
    Case(
        "members:rating",
        "post",
        _page("rating"),
        OFFICERS,
        write=True,
        data=lambda c, s: {"year": "2022", "rating": "good"},
    ),
    Case("members:reward", "get", _page("reward"), OFFICERS),
    Case(
        "members:reward",
        "post",
        _page("reward"),
        OFFICERS,
        write=True,
        data=lambda c, s: {
            "kind": "commendation",
            "title": "Giấy khen",
            "decided_on": "2023-01-05",
        },
    ),
    Case("members:discipline", "get", _page("discipline"), OFFICERS),
    Case(
        "members:discipline",
        "post",
        _page("discipline"),
        OFFICERS,
        write=True,
        data=lambda c, s: {"form": "reprimand", "decided_on": "2023-01-05"},
    ),
    Case("members:link_user", "get", _page("link_user"), OFFICERS),
    Case(
        "members:link_user",
        "post",
        _page("link_user"),
        OFFICERS,
        write=True,
        data=lambda c, s: {"username": c.targets["in"].username},
    ),
]
