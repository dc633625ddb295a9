"""Permission-matrix cases of case files (see secretariat/api/tests/matrix.py).

Everyone doing office work on the unit reads its case files; only records clerks open, fill,
close and export them. Case files of commune B are never found."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.documents.models import Document
from secretariat.office.services import casefiles

WORKERS = frozenset({Role.RECORDS_CLERK, Role.LEADER, Role.SPECIALIST})
CLERKS = frozenset({Role.RECORDS_CLERK})


def setup(ctx: Ctx, make_user: Any) -> None:
    """Per side: an open case file with one document, a closed one, a document to add."""
    for side, unit in (("in", ctx.units["commune_a"]), ("out", ctx.units["commune_b"])):
        clerk = (
            ctx.actors[Role.RECORDS_CLERK]
            if side == "in"
            else make_user("files_clerk_b", role=Role.RECORDS_CLERK, unit=unit)
        )
        inside = Document.objects.create(unit=unit, subject=f"Tài liệu FILES-{side}")
        spare = Document.objects.create(unit=unit, subject=f"Tài liệu thêm FILES-{side}")
        opened = casefiles.case_file_open(
            actor=clerk, unit=unit, year=2026, code=f"FILES-OPEN-{side.upper()}",
            title="Hồ sơ mở", retention_years=5,
        )  # fmt: skip
        casefiles.case_file_add_document(actor=clerk, case_file=opened, document=inside)
        closed = casefiles.case_file_open(
            actor=clerk, unit=unit, year=2026, code=f"FILES-CLOSED-{side.upper()}",
            title="Hồ sơ đóng", retention_years=None,
        )  # fmt: skip
        casefiles.case_file_add_document(actor=clerk, case_file=closed, document=inside)
        casefiles.case_file_close(actor=clerk, case_file=closed)
        ctx.extra[f"files_{side}"] = {"open": opened, "closed": closed, "spare": spare}


def _f(c: Ctx, side: str, name: str) -> Any:
    return c.extra[f"files_{side}"][name]


def _unit(c: Ctx, side: str) -> Any:
    return c.units["commune_a" if side == "in" else "commune_b"]


CASES = [
    Case(
        "office:files",
        "get",
        lambda c, s: reverse("office:files") + f"?unit={c.units['commune_a'].pk}&year=2026",
        WORKERS,
        scoped=False,
        shows=lambda c, s: f"FILES-OPEN-{s.upper()}",
    ),
    Case(
        "office:file_open",
        "post",
        lambda c, s: reverse("office:file_open"),
        CLERKS,
        write=True,
        data=lambda c, s: {
            "unit": str(_unit(c, s).pk),
            "year": "2026",
            "code": "NEW-01",
            "title": "Hồ sơ mới",
            "retention_years": "10",
        },
    ),
    Case(
        "office:file",
        "get",
        lambda c, s: reverse("office:file", args=[_f(c, s, "open").pk]),
        WORKERS,
    ),
    Case(
        "office:file_add",
        "post",
        lambda c, s: reverse("office:file_add", args=[_f(c, s, "open").pk]),
        CLERKS,
        write=True,
        data=lambda c, s: {"document": str(_f(c, s, "spare").pk)},
    ),
    Case(
        "office:file_close",
        "post",
        lambda c, s: reverse("office:file_close", args=[_f(c, s, "open").pk]),
        CLERKS,
        write=True,
    ),
    Case(
        "office:file_export",
        "get",
        lambda c, s: reverse("office:file_export", args=[_f(c, s, "closed").pk]),
        CLERKS,
    ),
    Case(
        "api:list_case_files",
        "get",
        lambda c, s: "/api/v1/office/files/",
        WORKERS,
        scoped=False,
        shows=lambda c, s: f"FILES-OPEN-{s.upper()}",
    ),
    Case(
        "api:open_case_file",
        "post",
        lambda c, s: "/api/v1/office/files/",
        CLERKS,
        write=True,
        json_body=True,
        data=lambda c, s: {"unit_code": _unit(c, s).code, "code": "NEW-02", "title": "Mới"},
    ),
    Case(
        "api:get_case_file",
        "get",
        lambda c, s: f"/api/v1/office/files/{_f(c, s, 'open').pk}",
        WORKERS,
    ),
    Case(
        "api:add_case_file_document",
        "post",
        lambda c, s: f"/api/v1/office/files/{_f(c, s, 'open').pk}/documents",
        CLERKS,
        write=True,
        json_body=True,
        data=lambda c, s: {"document_id": str(_f(c, s, "spare").pk)},
    ),
    Case(
        "api:close_case_file",
        "post",
        lambda c, s: f"/api/v1/office/files/{_f(c, s, 'open').pk}/close",
        CLERKS,
        write=True,
    ),
    Case(
        "api:export_case_file",
        "get",
        lambda c, s: f"/api/v1/office/files/{_f(c, s, 'closed').pk}/export",
        CLERKS,
    ),
]
