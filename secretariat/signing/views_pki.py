"""Pages of the built-in authorities and of the trust store, and their public HTTP services.

Public (no session, no CSRF: other validators and time-stamp clients call them):
`POST /signing/tsa` (RFC 3161), `GET /signing/ca/certificate`, `GET /signing/ca/crl`,
`POST /signing/ca/ocsp` and `GET /signing/ca/ocsp/<base64>` (RFC 6960 Appendix A).

Administration (SIGNING_MANAGE): the authority page, the trust store (changes node-wide only),
the credentials of the caller's scope (list, issue, register an external certificate, revoke).
Thin: parse, call `pki` / `trust`, render. Outside scope answers 404.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

from cryptography import x509
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts import policy
from secretariat.core import errors

from . import images, ocsp, pki, trust
from . import tsa as tsa_service
from .forms_pki import AnchorActiveForm, ImportForm, IssueForm, RevokeForm, TrustUploadForm
from .models import Credential, CredentialPurpose

MAX_REQUEST_BYTES = 64 * 1024
LIST_LIMIT = 500


# --- Public services ---------------------------------------------------------------------------


def _binary(content: bytes, content_type: str, *, filename: str = "") -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@csrf_exempt
@require_POST
def tsa(request: HttpRequest) -> HttpResponse:
    """The built-in time-stamp authority (RFC 3161 over HTTP)."""
    if request.content_type != "application/timestamp-query":
        return HttpResponse(
            _("Send an RFC 3161 request as application/timestamp-query."),
            status=415,
            content_type="text/plain; charset=utf-8",
        )
    body = request.body  # Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE first
    if len(body) > MAX_REQUEST_BYTES:
        answer = tsa_service.rejection("bad_data_format", "The request is too large.")
    else:
        answer = tsa_service.respond(body)
    return _binary(answer, "application/timestamp-reply")


@require_GET
@cache_control(public=True, max_age=3600)
def ca_certificate(request: HttpRequest) -> HttpResponse:
    """The built-in authority's certificate (DER), named in issued certificates (CA Issuers)."""
    return _binary(pki.authority_certificate_der(), "application/pkix-cert", filename="ca.crt")


@require_GET
@cache_control(public=True, max_age=pki.CRL_CACHE_SECONDS)
def ca_crl(request: HttpRequest) -> HttpResponse:
    """The built-in authority's current CRL (DER)."""
    return _binary(pki.crl_der(), "application/pkix-crl", filename="ca.crl")


@csrf_exempt
@require_POST
def ca_ocsp(request: HttpRequest) -> HttpResponse:
    """The built-in authority's OCSP responder (RFC 6960, POST)."""
    if request.content_type != "application/ocsp-request":
        return HttpResponse(
            _("Send an OCSP request as application/ocsp-request."),
            status=415,
            content_type="text/plain; charset=utf-8",
        )
    body = request.body
    if len(body) > MAX_REQUEST_BYTES:
        return _binary(ocsp.malformed(), "application/ocsp-response")
    return _binary(ocsp.respond(body), "application/ocsp-response")


@require_GET
def ca_ocsp_get(request: HttpRequest, encoded: str) -> HttpResponse:
    """The OCSP responder by GET: the DER request, base64, URL-encoded, in the path."""
    try:
        request_der = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return _binary(ocsp.malformed(), "application/ocsp-response")
    response = _binary(ocsp.respond(request_der), "application/ocsp-response")
    response["Cache-Control"] = "public, max-age=60"
    return response


# --- Administration ----------------------------------------------------------------------------


def _require_manager(request: HttpRequest) -> None:
    if not policy.can(request.user, policy.Action.SIGNING_MANAGE):
        raise DjangoPermissionDenied


def _credential_or_404(request: HttpRequest, credential_id: UUID) -> Credential:
    try:
        return pki.credential_get(user=request.user, credential_id=credential_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _domain_error(request: HttpRequest, form: Any, exc: errors.DomainError) -> int:
    """Show a service's refusal on the form; the HTTP status it maps to."""
    if isinstance(exc, errors.PermissionDenied | errors.NotFound):
        raise (Http404 if isinstance(exc, errors.NotFound) else DjangoPermissionDenied)(
            str(exc.message)
        )
    form.add_error(None, str(exc.message))
    return exc.status


@login_required
@require_GET
def authority_page(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    certificate = pki.authority_certificate()
    der = pki.authority_certificate_der()
    timestamp = (
        Credential.objects.filter(purpose=CredentialPurpose.TIMESTAMP, issued_here=True)
        .order_by("-not_after")
        .first()
    )
    return render(
        request,
        "signing/pki_authority.html",
        {
            "subject": pki.name_text(certificate.subject),
            "fingerprint": pki.fingerprint(der),
            "not_before": certificate.not_valid_before_utc,
            "not_after": certificate.not_valid_after_utc,
            "serial": format(certificate.serial_number, "x"),
            "key_size": getattr(certificate.public_key(), "key_size", None),
            "crl_number": pki.authority().crl_number,
            "urls": {
                "certificate": pki.ca_certificate_url(),
                "crl": pki.crl_url(),
                "ocsp": pki.ocsp_url(),
                "tsa": f"{settings.PUBLIC_URL.rstrip('/')}/signing/tsa",
            },
            "external_tsa": settings.SIGNING_TSA_URL,
            "tsa_policy": tsa_service.policy_oid(),
            "timestamp": timestamp,
            "hsm": bool(settings.SIGNING_PKCS11_MODULE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def trust_anchors(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = TrustUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                added = trust.add_anchors(actor=request.user, data=form.cleaned_data["file"])
            except errors.DomainError as exc:
                status = _domain_error(request, form, exc)
            else:
                messages.success(
                    request,
                    _("%(count)d certificate(s) added to the trust store.") % {"count": len(added)},
                )
                return redirect("signing:trust_anchors")
        else:
            status = 400
    return render(
        request,
        "signing/trust_anchors.html",
        {
            "anchors": list(trust.anchors_visible_to(user=request.user)),
            "form": form,
            "may_change": pki.node_wide(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def trust_anchor_active(request: HttpRequest, anchor_id: UUID) -> HttpResponse:
    _require_manager(request)
    try:
        anchor = trust.anchor_get(user=request.user, anchor_id=anchor_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    form = AnchorActiveForm(request.POST)
    form.is_valid()
    try:
        trust.set_anchor_active(
            actor=request.user, anchor=anchor, active=bool(form.cleaned_data.get("active"))
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    return redirect("signing:trust_anchors")


@login_required
@require_GET
def credentials(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    search = " ".join(request.GET.get("q", "").split())[:100]
    queryset = pki.credentials_visible_to(user=request.user)
    if search:
        queryset = queryset.filter(subject__icontains=search) | queryset.filter(
            serial__iexact=search
        )
    rows = [
        (
            credential,
            pki.status_of(credential),
            pki.REVOCATION_REASONS.get(credential.revocation_reason, ""),
        )
        for credential in queryset.order_by("-created_at")[:LIST_LIMIT]
    ]
    return render(
        request,
        "signing/credential_list.html",
        {
            "rows": rows,
            "search": search,
            "revoke_form": RevokeForm(),
            "limit": LIST_LIMIT,
            "may_place": pki.node_wide(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def credential_issue(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = IssueForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                credential = pki.issue_credential(
                    actor=request.user,
                    purpose=data["purpose"],
                    user=data["user"],
                    unit=data["unit"],
                    valid_days=data["valid_days"],
                )
            except errors.DomainError as exc:
                status = _domain_error(request, form, exc)
            else:
                messages.success(
                    request,
                    _("Certificate issued to %(subject)s.") % {"subject": credential.subject},
                )
                return redirect("signing:credentials")
        else:
            status = 400
    return render(
        request,
        "signing/credential_form.html",
        {
            "form": form,
            "title": _("Issue a certificate"),
            "hsm": bool(settings.SIGNING_PKCS11_MODULE),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def credential_import(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                credential = pki.import_credential(
                    actor=request.user,
                    certificate=data["certificate"],
                    user=data["user"],
                    unit=data["unit"],
                    purpose=data["purpose"],
                    backend=data["backend"],
                    token_label=data["token_label"],
                    key_label=data["key_label"],
                )
            except errors.DomainError as exc:
                status = _domain_error(request, form, exc)
            else:
                messages.success(
                    request,
                    _("Certificate of %(subject)s registered.") % {"subject": credential.subject},
                )
                return redirect("signing:credentials")
        else:
            status = 400
    return render(
        request,
        "signing/credential_form.html",
        {"form": form, "title": _("Register an official's certificate"), "upload": True},
        status=status,
    )


@login_required
@require_GET
def credential_certificate(request: HttpRequest, credential_id: UUID) -> HttpResponse:
    credential = _credential_or_404(request, credential_id)
    certificate = x509.load_der_x509_certificate(bytes(credential.certificate))
    return _binary(
        bytes(credential.certificate),
        "application/pkix-cert",
        filename=f"{format(certificate.serial_number, 'x')[:16]}.crt",
    )


@login_required
@require_POST
def credential_image(request: HttpRequest, credential_id: UUID) -> HttpResponse:
    """Upload (or remove) the image drawn in the credential's visible signature."""
    credential = _credential_or_404(request, credential_id)
    upload = request.FILES.get("image")
    try:
        images.credential_set_image(
            actor=request.user,
            credential=credential,
            image=None if request.POST.get("remove") else (upload.read() if upload else b""),
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("signing:credentials")
    messages.success(request, _("The image was saved."))
    return redirect("signing:credentials")


@login_required
@require_POST
def credential_revoke(request: HttpRequest, credential_id: UUID) -> HttpResponse:
    credential = _credential_or_404(request, credential_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason."))
        return redirect("signing:credentials")
    try:
        pki.revoke(actor=request.user, credential=credential, reason=form.cleaned_data["reason"])
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("signing:credentials")
    messages.success(request, _("Certificate %(serial)s revoked.") % {"serial": credential.serial})
    return redirect("signing:credentials")
