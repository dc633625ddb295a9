"""Permission-matrix cases of the registers (see secretariat/api/tests/matrix.py).

Registers are read by records clerks and leaders, kept (confidential entries) by records clerks
only; an outside register (commune B) is never found, an outside unit never accepted.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.documents import registers
from secretariat.documents.models import Document, DocumentType

REGISTER_READERS = frozenset({Role.RECORDS_CLERK, Role.LEADER})
REGISTER_KEEPERS = frozenset({Role.RECORDS_CLERK})


def setup(ctx: Ctx, make_user: Any) -> None:
    """An outgoing register with one entry in commune A (inside) and one in commune B."""
    decision = DocumentType.objects.get(code="quyet_dinh")
    for side, unit in (("in", ctx.units["commune_a"]), ("out", ctx.units["commune_b"])):
        document = Document.objects.create(
            unit=unit, doc_type=decision, subject=f"Quyết định MATRIX-{side.upper()}"
        )
        entry = registers.register_document(actor=None, document=document, kind="outgoing")
        ctx.extra[f"register_{side}"] = entry.register


def _register(c: Ctx, side: str) -> Any:
    return c.extra[f"register_{side}"]


def _unit(c: Ctx, side: str) -> Any:
    return c.units["commune_a" if side == "in" else "commune_b"]


def _marker(c: Ctx, side: str) -> str:
    return str(_register(c, side).pk)


CASES = [
    Case(
        "documents:registers",
        "get",
        lambda c, s: reverse("documents:registers"),
        REGISTER_READERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "documents:register",
        "get",
        lambda c, s: reverse("documents:register", args=[_register(c, s).pk]),
        REGISTER_READERS,
    ),
    Case(
        "documents:register_export",
        "get",
        lambda c, s: reverse("documents:register_export", args=[_register(c, s).pk]) + "?fmt=xlsx",
        REGISTER_READERS,
    ),
    Case(
        "documents:register_confidential",
        "get",
        lambda c, s: reverse("documents:register_confidential"),
        REGISTER_KEEPERS,
        scoped=False,
        shows=lambda c, s: str(_unit(c, s).pk),
    ),
    Case(
        "documents:register_confidential",
        "post",
        lambda c, s: reverse("documents:register_confidential"),
        REGISTER_KEEPERS,
        write=True,
        data=lambda c, s: {
            "unit": str(_unit(c, s).pk),
            "kind": "incoming",
            "confidentiality": "mat",
            "notation": "01-CV/BTC",
            "urgency": "normal",
        },
    ),
    Case(
        "api:list_registers",
        "get",
        lambda c, s: "/api/v1/registers/",
        REGISTER_READERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "api:list_register_entries",
        "get",
        lambda c, s: f"/api/v1/registers/{_register(c, s).pk}/entries",
        REGISTER_READERS,
    ),
    Case(
        "api:export_register",
        "get",
        lambda c, s: f"/api/v1/registers/{_register(c, s).pk}/export?fmt=pdf",
        REGISTER_READERS,
    ),
    Case(
        "api:create_confidential_entry",
        "post",
        lambda c, s: "/api/v1/registers/confidential",
        REGISTER_KEEPERS,
        write=True,
        json_body=True,
        data=lambda c, s: {
            "unit_code": _unit(c, s).code,
            "kind": "incoming",
            "confidentiality": "toi_mat",
            "notation": "02-CV/UBKT",
        },
    ),
]
