"""Case file pages under /office/files/ (Decree 30 Art. 28–31). Thin: parse, call the services,
render. A case file outside the user's scope answers 404; a change the user may not make, 403;
a refused step comes back on the page with its message (400/409)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import clock, errors

from . import selectors_incoming as selectors
from .forms_incoming import AddDocumentForm, CaseFileOpenForm
from .models import CaseFile, CaseFileState
from .services import casefiles


def _file_or_404(request: HttpRequest, case_file_id: UUID) -> CaseFile:
    try:
        return selectors.case_file_get(user=request.user, case_file_id=case_file_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _clerk_units(request: HttpRequest) -> Any:
    return (
        policy.units_in_scope(request.user, Action.OFFICE_CLERK)
        .filter(active=True)
        .order_by("path")
    )


def _render_list(
    request: HttpRequest, *, form: CaseFileOpenForm | None = None, status: int = 200
) -> HttpResponse:
    units = selectors.incoming_units(user=request.user)
    unit = None
    unit_id = request.GET.get("unit", "")
    if unit_id:
        try:
            unit = units.filter(pk=UUID(unit_id)).first()
        except ValueError:
            unit = None
    unit = unit or units.first()
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() and 1900 <= int(year_text) <= 9999 else None
    year = year or clock.today().year
    may_open = policy.can(request.user, Action.OFFICE_CLERK)
    if form is None and may_open:
        form = CaseFileOpenForm(
            units=_clerk_units(request),
            initial={"year": year, "unit": unit.pk if unit else None},
        )
    files = list(selectors.case_files_of(user=request.user, unit=unit, year=year)) if unit else []
    return render(
        request,
        "office/files_list.html",
        {"units": units, "unit": unit, "year": year, "files": files, "form": form},
        status=status,
    )


@login_required
@require_GET
def files_list(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise DjangoPermissionDenied
    return _render_list(request)


@login_required
@require_POST
def file_open(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.OFFICE_CLERK):
        raise DjangoPermissionDenied
    form = CaseFileOpenForm(request.POST, units=_clerk_units(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_file = casefiles.case_file_open(
                actor=request.user,
                unit=data["unit"],
                year=data["year"],
                code=data["code"],
                title=data["title"],
                retention_years=data["retention_years"],
            )
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except errors.DomainError as exc:
            for field, problems in exc.field_errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, str(problem))
            if not exc.field_errors:
                form.add_error(None, str(exc.message))
            return _render_list(request, form=form, status=exc.status)
        messages.success(request, _("Case file %(code)s opened.") % {"code": case_file.code})
        return redirect("office:file", case_file_id=case_file.pk)
    return _render_list(request, form=form, status=400)


def _render_detail(
    request: HttpRequest,
    case_file: CaseFile,
    *,
    form: AddDocumentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    clerk = policy.can(request.user, Action.OFFICE_CLERK, case_file.plan.unit)
    if form is None and clerk and case_file.state == CaseFileState.OPEN:
        choices = [
            (str(d.pk), f"{d.notation or d.number or '—'} · {d.subject[:80]}")
            for d in selectors.documents_to_file(case_file=case_file)
        ]
        form = AddDocumentForm(choices=choices)
    return render(
        request,
        "office/files_detail.html",
        {
            "case_file": case_file,
            "documents": selectors.case_file_documents(case_file=case_file),
            "clerk": clerk,
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def file_detail(request: HttpRequest, case_file_id: UUID) -> HttpResponse:
    return _render_detail(request, _file_or_404(request, case_file_id))


def _require_clerk(request: HttpRequest, case_file_id: UUID) -> CaseFile:
    case_file = _file_or_404(request, case_file_id)
    if not policy.can(request.user, Action.OFFICE_CLERK, case_file.plan.unit):
        raise DjangoPermissionDenied
    return case_file


def _refused(request: HttpRequest, case_file: CaseFile, exc: errors.DomainError) -> HttpResponse:
    if isinstance(exc, errors.PermissionDenied):
        raise DjangoPermissionDenied(str(exc.message)) from exc
    if isinstance(exc, errors.NotFound):
        raise Http404(str(exc.message)) from exc
    messages.error(request, str(exc.message))
    case_file.refresh_from_db()
    return _render_detail(request, case_file, status=exc.status)


@login_required
@require_POST
def file_add(request: HttpRequest, case_file_id: UUID) -> HttpResponse:
    case_file = _require_clerk(request, case_file_id)
    form = AddDocumentForm(request.POST, choices=[(request.POST.get("document", ""), "")])
    if not form.is_valid():
        messages.error(request, _("Choose a document."))
        return _render_detail(request, case_file, status=400)
    try:
        document = selectors.unit_document(
            case_file=case_file, document_id=form.cleaned_data["document"]
        )
        casefiles.case_file_add_document(actor=request.user, case_file=case_file, document=document)
    except errors.DomainError as exc:
        return _refused(request, case_file, exc)
    messages.success(request, _("Document added."))
    return redirect("office:file", case_file_id=case_file.pk)


@login_required
@require_POST
def file_close(request: HttpRequest, case_file_id: UUID) -> HttpResponse:
    case_file = _require_clerk(request, case_file_id)
    try:
        casefiles.case_file_close(actor=request.user, case_file=case_file)
    except errors.DomainError as exc:
        return _refused(request, case_file, exc)
    messages.success(request, _("Case file closed."))
    return redirect("office:file", case_file_id=case_file.pk)


@login_required
@require_GET
def file_export(request: HttpRequest, case_file_id: UUID) -> HttpResponse:
    case_file = _require_clerk(request, case_file_id)
    try:
        package = casefiles.case_file_export(actor=request.user, case_file=case_file)
    except errors.DomainError as exc:
        return _refused(request, case_file, exc)
    response = HttpResponse(package, content_type="application/zip")
    name = f"hoso-{case_file.plan.year}-{case_file.code}.zip".replace("/", "-")
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response


urlpatterns: list[URLPattern] = [
    path("files/", files_list, name="files"),
    path("files/open/", file_open, name="file_open"),
    path("files/<uuid:case_file_id>/", file_detail, name="file"),
    path("files/<uuid:case_file_id>/add/", file_add, name="file_add"),
    path("files/<uuid:case_file_id>/close/", file_close, name="file_close"),
    path("files/<uuid:case_file_id>/export/", file_export, name="file_export"),
]
