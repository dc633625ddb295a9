"""Permission-matrix cases of directives (see secretariat/api/tests/matrix.py).

The province leader sends directives to commune A (inside) and commune B (outside). Everyone
doing office work in commune A sees the inside one; its leaders and clerks acknowledge and
report for commune A; only leaders send. Nothing of commune B is ever found.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx, api
from secretariat.office.models import DirectiveRecipient
from secretariat.office.services import directives

OFFICE_WORKERS = frozenset({Role.RECORDS_CLERK, Role.LEADER, Role.SPECIALIST})
ANSWERING = frozenset({Role.RECORDS_CLERK, Role.LEADER})
LEADERS = frozenset({Role.LEADER})


def _commune(c: Ctx, side: str) -> Any:
    return c.units["commune_a" if side == "in" else "commune_b"]


def _cell(c: Ctx, side: str) -> Any:
    return c.units["cell_a" if side == "in" else "cell_b"]


def setup(ctx: Ctx, make_user: Any) -> None:
    """Per side: a directive to acknowledge, and one already acknowledged (to report on)."""
    sender = make_user("directive_sender", role=Role.LEADER, unit=ctx.units["province"])
    for side in ("in", "out"):
        commune = _commune(ctx, side)
        leader = make_user(f"directive_leader_{side}", role=Role.LEADER, unit=commune)
        for kind in ("ack", "report"):
            directive = directives.directive_send(
                actor=sender,
                unit=ctx.units["province"],
                title=f"Chỉ thị DIRECTIVE-{side.upper()}-{kind}",
                body="Triển khai ngay.",
                target=commune,
                include_subtree=True,
                acknowledge_within_hours=24,
            )
            row = DirectiveRecipient.objects.select_related("unit").get(
                directive=directive, unit=commune
            )
            if kind == "report":
                directives.directive_acknowledge(actor=leader, recipient=row)
            ctx.extra[f"directive_{kind}_{side}"] = directive
            ctx.extra[f"directive_row_{kind}_{side}"] = row


def _directive(c: Ctx, side: str) -> Any:
    return c.extra[f"directive_ack_{side}"]


def _row(kind: str) -> Any:
    return lambda c, side: c.extra[f"directive_row_{kind}_{side}"]


def _marker(c: Ctx, side: str) -> str:
    return f"DIRECTIVE-{side.upper()}-ack"


def _send_form(c: Ctx, side: str) -> dict[str, Any]:
    return {
        "unit": _commune(c, side).pk,
        "title": "Chỉ thị mới",
        "body": "Nội dung",
        "target": _cell(c, side).pk,
        "include_subtree": "on",
        "acknowledge_within_hours": 4,
    }


def _send_json(c: Ctx, side: str) -> dict[str, Any]:
    return {
        "unit_code": _commune(c, side).code,
        "title": "Chỉ thị mới",
        "body": "Nội dung",
        "target_code": _cell(c, side).code,
        "acknowledge_within_hours": 4,
    }


CASES = [
    Case(
        "office:directives",
        "get",
        lambda c, s: reverse("office:directives"),
        OFFICE_WORKERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "office:directive_create",
        "get",
        lambda c, s: reverse("office:directive_create"),
        LEADERS,
        scoped=False,
    ),
    Case(
        "office:directive_create",
        "post",
        lambda c, s: reverse("office:directive_create"),
        LEADERS,
        write=True,
        data=_send_form,
    ),
    Case(
        "office:directive",
        "get",
        lambda c, s: reverse("office:directive", args=[_directive(c, s).pk]),
        OFFICE_WORKERS,
    ),
    Case(
        "office:directive_matrix",
        "get",
        lambda c, s: reverse("office:directive_matrix", args=[_directive(c, s).pk]),
        OFFICE_WORKERS,
    ),
    Case(
        "office:directive_acknowledge",
        "post",
        lambda c, s: reverse("office:directive_acknowledge", args=[_row("ack")(c, s).pk]),
        ANSWERING,
        write=True,
    ),
    Case(
        "office:directive_report",
        "post",
        lambda c, s: reverse("office:directive_report", args=[_row("report")(c, s).pk]),
        ANSWERING,
        write=True,
        data=lambda c, s: {"text": "Đã triển khai."},
    ),
    Case(
        "api:send_directive",
        "post",
        api("/office/directives/"),
        LEADERS,
        write=True,
        json_body=True,
        data=_send_json,
    ),
    Case(
        "api:list_directives",
        "get",
        api("/office/directives/"),
        OFFICE_WORKERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "api:get_directive",
        "get",
        lambda c, s: f"/api/v1/office/directives/{_directive(c, s).pk}",
        OFFICE_WORKERS,
    ),
    Case(
        "api:read_directive",
        "post",
        lambda c, s: f"/api/v1/office/directives/recipients/{_row('ack')(c, s).pk}/read",
        OFFICE_WORKERS,
        write=True,
    ),
    Case(
        "api:acknowledge_directive",
        "post",
        lambda c, s: f"/api/v1/office/directives/recipients/{_row('ack')(c, s).pk}/acknowledge",
        ANSWERING,
        write=True,
    ),
    Case(
        "api:report_directive",
        "post",
        lambda c, s: f"/api/v1/office/directives/recipients/{_row('report')(c, s).pk}/report",
        ANSWERING,
        write=True,
        json_body=True,
        data=lambda c, s: {"text": "Đã triển khai."},
    ),
]
