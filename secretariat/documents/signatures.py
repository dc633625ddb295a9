"""What the platform can say about a PDF's signatures before the signing capability is
installed: how many signature fields it carries and who they name, without validating them."""

from __future__ import annotations

import io
from typing import Any

import pikepdf

from . import hooks

NOT_VALIDATED = "not_validated"
UNSIGNED = "unsigned"


class FieldCounter:
    """Reads the AcroForm signature fields (`/FT /Sig` with a value): count and signer names
    (`/Name` of the signature dictionary). Says nothing about validity."""

    def check(self, pdf: bytes) -> dict[str, Any]:
        names: list[str] = []
        with pikepdf.open(io.BytesIO(pdf)) as document:
            acroform = document.Root.get("/AcroForm")
            fields = list(acroform.get("/Fields", [])) if acroform is not None else []
            while fields:
                field = fields.pop()
                fields.extend(field.get("/Kids", []))
                value = field.get("/V")
                if field.get("/FT") == "/Sig" and value is not None:
                    names.append(str(value.get("/Name", "")))
        if not names:
            return {"status": UNSIGNED, "signatures": 0, "signers": []}
        return {"status": NOT_VALIDATED, "signatures": len(names), "signers": names}


def check_signatures(pdf: bytes) -> dict[str, Any]:
    """The registered checker's report, or the field counter's when none is registered. A PDF
    the checker cannot read gives an `error` status rather than refusing the capture."""
    checker = hooks.signature_checker() or FieldCounter()
    try:
        return checker.check(pdf)
    except Exception as exc:  # a broken signature dictionary must not lose the document
        return {"status": "error", "signatures": 0, "signers": [], "error": str(exc)[:300]}
