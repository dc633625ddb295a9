"""Permission-matrix cases of the signature validation reports of documents (see
secretariat/api/tests/matrix.py): the ETSI XML report of a version is read by whoever may read
the document; an outside document (cell B) is never found."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.api.tests.matrix import Case, Ctx, cell
from secretariat.documents import services
from secretariat.documents.tests.matrix_cases_capture import VIEWERS
from secretariat.signing.tests.validation_pdfs import (
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)


def setup(ctx: Ctx, make_user: Any) -> None:
    """A signed document captured in cell A (inside) and one in cell B (outside)."""
    signer = personal_credential(make_user("matrix_signer"))
    for side in ("in", "out"):
        ctx.extra[f"signed_{side}"] = services.document_capture(
            actor=None,
            unit=cell(ctx, side),
            file=services.IncomingFile(
                name=f"SIGNED-{side}.pdf", data=sign(plain_pdf(), key_holder(signer))
            ),
            metadata={"subject": f"SIGNED-DOC-{side.upper()}"},
        )


CASES = [
    Case(
        "documents:signature_report",
        "get",
        lambda c, s: reverse("documents:signature_report", args=[c.extra[f"signed_{s}"].id, 1]),
        VIEWERS,
    ),
]
