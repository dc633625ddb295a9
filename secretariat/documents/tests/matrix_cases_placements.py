"""Permission-matrix cases of the signature placement page: node-wide signing administrators
only (the matrix's roles are granted on commune A, so nobody there may change it)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.api.tests.matrix import Case, Ctx
from secretariat.signing.models import StampPlacement

NOBODY: frozenset[str] = frozenset()


def setup(ctx: Ctx, make_user: Any) -> None:
    ctx.extra["placement"] = StampPlacement.objects.create(
        document_type="", kind="personal", page=-1, x=330, y=60, width=220, height=90
    )


CASES = [
    Case(
        "documents:stamp_placements",
        "get",
        lambda c, s: reverse("documents:stamp_placements"),
        NOBODY,
        scoped=False,
    ),
    Case(
        "documents:stamp_placements",
        "post",
        lambda c, s: reverse("documents:stamp_placements"),
        NOBODY,
        scoped=False,
        write=True,
        data=lambda c, s: {
            "document_type": "",
            "kind": "seal",
            "page": -1,
            "x": 300,
            "y": 60,
            "width": 100,
            "height": 100,
        },
    ),
    Case(
        "documents:stamp_placement_delete",
        "post",
        lambda c, s: reverse("documents:stamp_placement_delete", args=[c.extra["placement"].pk]),
        NOBODY,
        scoped=False,
        write=True,
    ),
]
