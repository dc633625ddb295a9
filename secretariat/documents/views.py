"""Pages of document capture and reading. Thin: parse a form, call a service or selector, render.

A document outside the user's scope is a 404 (its existence is not revealed); a write the user
may not do is a 403; a refused file or invalid metadata comes back on the form with status 400,
and nothing is stored.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import errors

from . import registers, selectors, services, storage
from .forms import CaptureForm, MetadataForm, VersionForm
from .models import Document, DocumentVersion, OcrStatus, RegisterKind
from .signatures import signed_report

PAGE_SIZE = 50


def _document_or_404(request: HttpRequest, document_id: Any) -> Document:
    try:
        return selectors.document_get(user=request.user, document_id=document_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _unit_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (u.code, f"{'— ' * (u.depth - 1)}{u.display_name} ({u.code})")
        for u in selectors.capture_units(user=request.user)
    ]


def _show_errors(form: Form, exc: errors.DomainError, mapping: dict[str, str]) -> None:
    for field, field_messages in exc.field_errors.items():
        target = mapping.get(field, field)
        for message in field_messages:
            form.add_error(target if target in form.fields else None, str(message))
    if not exc.field_errors:
        form.add_error(None, str(exc.message))


def _incoming(upload: Any) -> services.IncomingFile:
    return services.IncomingFile(
        name=str(upload.name or ""),
        data=upload.read(),
        content_type=str(getattr(upload, "content_type", "") or ""),
    )


def _metadata_initial(document: Document) -> dict[str, Any]:
    fields = [*services.TEXT_FIELDS, *services.DATE_FIELDS, "urgency", "copies"]
    return {name: getattr(document, name) for name in fields} | {
        "doc_type": document.doc_type_id or ""
    }


@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.DOCUMENTS_VIEW):
        raise DjangoPermissionDenied
    try:
        documents, next_cursor = selectors.document_page(
            user=request.user, before=request.GET.get("before") or None, limit=PAGE_SIZE
        )
    except errors.ValidationFailed as exc:
        raise Http404(str(exc.message)) from exc
    except (ValueError, TypeError) as exc:  # a malformed cursor
        raise Http404 from exc
    return render(
        request,
        "documents/document_list.html",
        {
            "documents": documents,
            "next_cursor": next_cursor,
            "can_capture": policy.can(request.user, Action.DOCUMENTS_CAPTURE),
        },
    )


def _render_capture(request: HttpRequest, form: CaptureForm, status: int = 200) -> HttpResponse:
    # An upload sent by capture.js gets only the form back, to put in place of the old one.
    template = (
        "documents/capture_form.html"
        if request.headers.get("X-Requested-With") == "XMLHttpRequest"
        else "documents/capture.html"
    )
    return render(request, template, {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def capture(request: HttpRequest) -> HttpResponse:
    units = _unit_choices(request)
    if not units:
        raise DjangoPermissionDenied
    if request.method == "GET":
        return _render_capture(request, CaptureForm(units=units))
    form = CaptureForm(request.POST, request.FILES, units=units)
    if not form.is_valid():
        return _render_capture(request, form, status=400)
    unit = selectors.capture_units(user=request.user).get(code=form.cleaned_data["unit"])
    try:
        documents = services.documents_capture(
            actor=request.user,
            unit=unit,
            files=[_incoming(upload) for upload in form.cleaned_data["files"]],
            confidentiality=form.cleaned_data["confidentiality"],
            run_ocr="background",
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        _show_errors(form, exc, {"file": "files"})
        return _render_capture(request, form, status=400)
    if len(documents) == 1:
        messages.success(request, _("The document was captured. Check the details read from it."))
        return redirect("documents:detail", document_id=documents[0].id)
    messages.success(request, _("%(count)s documents were captured.") % {"count": len(documents)})
    return redirect("documents:list")


def _render_detail(
    request: HttpRequest,
    document: Document,
    *,
    status: int = 200,
    metadata_form: MetadataForm | None = None,
    version_form: VersionForm | None = None,
) -> HttpResponse:
    versions = list(selectors.document_versions(user=request.user, document=document))
    can_capture = selectors.can_capture(request.user, document.unit)
    context: dict[str, Any] = {
        "document": document,
        "versions": versions,
        "pending": any(v.ocr_status == OcrStatus.PENDING for v in versions),
        "can_capture": can_capture,
        # Registering is the records office's act (Art. 22); a document is registered once per
        # kind. The clerk sees the signatures' report just above before registering.
        "registrable": (
            sorted(
                {RegisterKind.INCOMING, RegisterKind.INTERNAL}
                - set(document.entries.values_list("register__kind", flat=True))
            )
            if policy.can(request.user, Action.REGISTERS_MANAGE, document.unit)
            else []
        ),
        # The validation report of each version that carries signatures, newest first.
        "signature_reports": [
            (version, report)
            for version in versions
            if (report := signed_report(version.signature_check)) is not None
        ],
    }
    if can_capture:
        context["metadata_form"] = metadata_form or MetadataForm(
            initial=_metadata_initial(document)
        )
        context["version_form"] = version_form or VersionForm()
    return render(request, "documents/document_detail.html", context, status=status)


@login_required
@require_GET
def document_detail(request: HttpRequest, document_id: Any) -> HttpResponse:
    return _render_detail(request, _document_or_404(request, document_id))


@login_required
@require_GET
def document_status(request: HttpRequest, document_id: Any) -> HttpResponse:
    """The OCR status block, polled by HTMX while a version is pending; when the text arrives,
    the page reloads so the form shows what was read."""
    document = _document_or_404(request, document_id)
    versions = list(selectors.document_versions(user=request.user, document=document))
    pending = any(v.ocr_status == OcrStatus.PENDING for v in versions)
    response = render(
        request,
        "documents/document_status.html",
        {"document": document, "versions": versions, "pending": pending},
    )
    if not pending and request.GET.get("pending"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def document_edit(request: HttpRequest, document_id: Any) -> HttpResponse:
    document = _document_or_404(request, document_id)
    if not selectors.can_capture(request.user, document.unit):
        raise DjangoPermissionDenied
    form = MetadataForm(request.POST)
    if form.is_valid():
        try:
            services.document_update_metadata(
                actor=request.user, document=document, changes=form.changes()
            )
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except errors.DomainError as exc:
            _show_errors(form, exc, {})
        else:
            messages.success(request, _("The details were saved."))
            return redirect("documents:detail", document_id=document.id)
    return _render_detail(request, document, status=400, metadata_form=form)


@login_required
@require_POST
def document_add_version(request: HttpRequest, document_id: Any) -> HttpResponse:
    document = _document_or_404(request, document_id)
    if not selectors.can_capture(request.user, document.unit):
        raise DjangoPermissionDenied
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.document_add_version(
                actor=request.user, document=document, file=_incoming(form.cleaned_data["file"])
            )
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except errors.DomainError as exc:
            _show_errors(form, exc, {})
        else:
            messages.success(
                request, _("Version %(number)s was added.") % {"number": version.number}
            )
            return redirect("documents:detail", document_id=document.id)
    return _render_detail(request, document, status=400, version_form=form)


def download_response(version: DocumentVersion, which: str) -> HttpResponse:
    """The decrypted original or PDF of a version, as an attachment with its real type.

    Sent whole rather than streamed: AES-GCM authenticates a file only once all of it is
    decrypted, and bytes that failed their integrity check must never reach the reader."""
    stored = version.original if which == "original" else version.pdf
    if stored is None:
        raise Http404
    data = storage.open_plaintext(stored)
    name = version.original_name
    if which == "pdf":
        name = f"{PurePosixPath(name).stem or 'document'}.pdf"
    response = HttpResponse(
        data, content_type="application/pdf" if which == "pdf" else stored.content_type
    )
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def download(request: HttpRequest, document_id: Any, number: int, which: str) -> HttpResponse:
    if which not in ("original", "pdf"):
        raise Http404
    try:
        version = selectors.document_version_get(
            user=request.user, document_id=document_id, number=number
        )
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return download_response(version, which)


@login_required
@require_POST
def document_register(request: HttpRequest, document_id: Any) -> HttpResponse:
    """Register a captured document in its unit's incoming or internal register (Decree 30
    Art. 22); an incoming registration starts its processing (the office's hook)."""
    document = _document_or_404(request, document_id)
    kind = str(request.POST.get("kind", ""))
    if kind not in (RegisterKind.INCOMING, RegisterKind.INTERNAL):
        messages.error(request, _("Choose the incoming or the internal register."))
        return _render_detail(request, document, status=400)
    try:
        entry = registers.register_document(actor=request.user, document=document, kind=kind)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return _render_detail(request, document, status=exc.status)
    messages.success(
        request,
        _("Registered in %(register)s under number %(number)02d.")
        % {"register": entry.register, "number": entry.number},
    )
    return redirect("documents:detail", document_id=document.pk)


urlpatterns: list[URLPattern] = [
    path("", document_list, name="list"),
    path("capture/", capture, name="capture"),
    path("<uuid:document_id>/", document_detail, name="detail"),
    path("<uuid:document_id>/status/", document_status, name="status"),
    path("<uuid:document_id>/edit/", document_edit, name="edit"),
    path("<uuid:document_id>/register/", document_register, name="document_register"),
    path("<uuid:document_id>/versions/", document_add_version, name="add_version"),
    path("<uuid:document_id>/versions/<int:number>/<str:which>/", download, name="download"),
]
