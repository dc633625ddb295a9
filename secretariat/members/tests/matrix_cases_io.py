"""Permission-matrix cases of the spreadsheet import and the export (see
secretariat/api/tests/matrix.py). Records officers only: the files hold individual records.

Inside: a file staged by the records officer actor (its token opens nothing for anyone else),
imported into commune A; outside: a file staged by an officer of commune B.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx, cell
from secretariat.members import importing

OFFICERS = frozenset({Role.MEMBER_RECORDS_OFFICER})
CSV = "Họ và tên,Giới tính,Ngày sinh,Dân tộc\nMATRIX-IMPORTED,Nam,01/02/1980,Kinh\n".encode()


def setup(ctx: Ctx, make_user: Any) -> None:
    outsider = make_user(
        "matrix_officer_b", role=Role.MEMBER_RECORDS_OFFICER, unit=ctx.units["commune_b"]
    )
    ctx.extra["import_in"] = importing.stage(
        actor=ctx.actors[Role.MEMBER_RECORDS_OFFICER], content=CSV, filename="in.csv"
    )
    ctx.extra["import_out"] = importing.stage(actor=outsider, content=CSV, filename="out.csv")


def _commune(c: Ctx, side: str) -> Any:
    return c.units["commune_a" if side == "in" else "commune_b"]


def _mapping_url(c: Ctx, side: str) -> str:
    return reverse("members:import_mapping", args=[c.extra[f"import_{side}"]])


CASES = [
    Case("members:import", "get", lambda c, s: reverse("members:import"), OFFICERS, scoped=False),
    # Staging the upload is not a change of the registry (nothing audited): the mapping page.
    Case(
        "members:import",
        "post",
        lambda c, s: reverse("members:import"),
        OFFICERS,
        data=lambda c, s: {
            "unit": str(_commune(c, s).pk),
            "file": SimpleUploadedFile("ds.csv", CSV, content_type="text/csv"),
        },
    ),
    Case("members:import_mapping", "get", _mapping_url, OFFICERS),
    Case(
        "members:import_mapping",
        "post",
        _mapping_url,
        OFFICERS,
        write=True,
        data=lambda c, s: {
            "unit": str(_commune(c, s).pk),
            "col_0": "full_name",
            "col_1": "gender",
            "col_2": "birth_date",
            "col_3": "ethnicity",
            "action": "import",
        },
    ),
    Case("members:export", "get", lambda c, s: reverse("members:export"), OFFICERS, scoped=False),
    Case(
        "members:export",
        "post",
        lambda c, s: reverse("members:export"),
        OFFICERS,
        write=True,
        data=lambda c, s: {"unit": str(cell(c, s).pk), "columns": ["full_name"], "format": "csv"},
    ),
]
