"""The public verification page: anyone uploads a signed PDF and reads its validation report
(summary, details, the ETSI XML report to download). No login; nothing is stored — not the
file, not the report; rate-limited per client address (forms_verify.py).

The QR code of our stamps leads here (with a `?doc=` parameter, ignored: the page checks the
file the visitor has, which is what matters)."""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from secretariat.core.errors import DomainError

from . import validation
from .forms_verify import VerifyForm, check_rate, uploaded_pdf, use_memory_only_uploads


def _render(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    response = render(
        request, "signing/verify.html", {"form": VerifyForm(), **context}, status=status
    )
    # The report concerns the visitor's document: no shared cache keeps it.
    add_never_cache_headers(response)
    return response


# Not CSRF-protected: a check changes nothing and uses no privilege of the visitor's session,
# so a forged request gains nothing; and the in-memory upload handler must be installed before
# anything (the CSRF middleware included) reads the body.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render(request)
    handler = use_memory_only_uploads(request)
    try:
        check_rate(request)
        pdf = uploaded_pdf(request, handler)
        # Never fetch from the addresses of a visitor's certificates (they choose them).
        report = validation.validate(pdf, allow_fetching=False)
    except DomainError as error:
        return _render(request, status=error.status, error=str(error.message))
    upload = request.FILES.get("file")
    return _render(
        request,
        report=report.to_dict(),
        file_name=getattr(upload, "name", "") or "",
        etsi_xml_base64=base64.b64encode(report.etsi_xml()).decode("ascii"),
    )
