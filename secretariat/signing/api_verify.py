"""Public verification, mounted at `/api/v1/signing/verify`: POST a signed PDF (multipart, field
`file`), get its validation report as JSON. No authentication; the same limits as the page
(size, rate per client address) and nothing stored."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from . import validation
from .forms_verify import check_rate, uploaded_pdf, use_memory_only_uploads

router = Router(tags=["signing"])

_MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


# The body is read here, not declared as a File parameter: the in-memory upload handler must
# be installed before it is parsed (no temporary file, nothing kept).
@router.post(
    "",
    auth=None,
    response={200: dict[str, Any]},
    summary="Check the signatures of a PDF (public)",
    openapi_extra=_MULTIPART,
)
def verify_pdf(request: HttpRequest) -> dict[str, Any]:
    """The validation report of the uploaded PDF: overall `status` (passed, failed,
    indeterminate, unsigned) and, per signature, the ETSI EN 319 102-1 `indication` and
    `sub_indication`, signer, certificate, chain, revocation, time stamp and changes."""
    handler = use_memory_only_uploads(request)
    check_rate(request)
    pdf = uploaded_pdf(request, handler)
    return validation.validate(pdf, allow_fetching=False).to_dict()
