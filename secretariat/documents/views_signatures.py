"""The ETSI XML validation report of a version's signatures, for whoever may read the document
(the plain-language summary is on the document's page)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from secretariat.core import errors

from . import selectors


@login_required
@require_GET
def signature_report(request: HttpRequest, document_id: Any, number: int) -> HttpResponse:
    try:
        version = selectors.document_version_get(
            user=request.user, document_id=document_id, number=number
        )
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if not version.signature_report_xml:
        raise Http404
    response = HttpResponse(version.signature_report_xml, content_type="application/xml")
    name = f"signature-report-v{version.number}.xml"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns: list[URLPattern] = [
    path(
        "<uuid:document_id>/versions/<int:number>/signature-report.xml",
        signature_report,
        name="signature_report",
    ),
]
