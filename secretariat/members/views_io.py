"""Spreadsheet import (upload → column mapping → dry-run report → import) and export pages.

Both need `members.manage`: records officers only. The uploaded file is kept sealed for its
uploader between the steps (`importing.stage`); the token in the URL opens nothing for anyone
else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from secretariat.core import errors
from secretariat.orgs.models import Unit

from . import exporting, importing
from .forms_io import ExportForm, MappingForm, UploadForm, initial_mapping
from .views_common import apply_errors, managed_unit_choices, require_manage_somewhere


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    require_manage_somewhere(request)
    form = UploadForm(
        request.POST or None, request.FILES or None, units=managed_unit_choices(request)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read(importing.MAX_IMPORT_BYTES + 1)
        try:
            importing.read_table(content)
        except errors.ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            filename = upload.name or "upload"
            token = importing.stage(actor=request.user, content=content, filename=filename)
            table = importing.read_table(content)
            # Straight to the mapping, guessed from the header (its form posts to its own page).
            return _mapping_page(
                request,
                form=_mapping_form(request, table, unit=form.cleaned_data["unit"]),
                filename=filename,
                table=table,
                token=token,
            )
    return render(
        request,
        "members/import_upload.html",
        {"form": form, "max_mb": importing.MAX_IMPORT_BYTES // (1024 * 1024)},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, token: str) -> HttpResponse:
    require_manage_somewhere(request)
    try:
        content, filename = importing.staged(actor=request.user, token=token)
        table = importing.read_table(content)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.ValidationFailed as exc:
        raise Http404(str(exc.message)) from exc
    if request.method == "POST":
        form = MappingForm(request.POST, headers=table.headers, units=managed_unit_choices(request))
    else:
        form = _mapping_form(request, table, unit=request.GET.get("unit", ""))
    report = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            unit = Unit.objects.get(pk=form.cleaned_data["unit"])
            mapping = form.mapping()
            try:
                if request.POST.get("action") == "import":
                    count = importing.run_import(
                        actor=request.user,
                        content=content,
                        filename=filename,
                        mapping=mapping,
                        unit=unit,
                    )
                    importing.discard(token=token)
                    messages.success(
                        request, _("%(count)d member record(s) imported.") % {"count": count}
                    )
                    return redirect(f"{_list_url()}?unit={unit.pk}")
                report = importing.dry_run(
                    actor=request.user, table=table, mapping=mapping, unit=unit
                )
                status = 200 if report.ok else 400
            except importing.ImportRefused as exc:
                report = importing.DryRun(problems=exc.problems, lines=len(table.rows))
                form.add_error(None, str(exc.message))
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                apply_errors(form, exc)
    return _mapping_page(
        request,
        form=form,
        filename=filename,
        table=table,
        token=token,
        report=report,
        status=status,
    )


def _mapping_form(request: HttpRequest, table: importing.Table, *, unit: str) -> MappingForm:
    initial: dict[str, Any] = initial_mapping(table.headers)
    initial["unit"] = unit
    return MappingForm(headers=table.headers, units=managed_unit_choices(request), initial=initial)


def _mapping_page(
    request: HttpRequest,
    *,
    form: MappingForm,
    filename: str,
    table: importing.Table,
    token: str,
    report: importing.DryRun | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "members/import_mapping.html",
        {
            "form": form,
            "filename": filename,
            "table": table,
            "preview_lines": [line for line, _values in table.rows[:3]],
            "mapping_rows": [
                (
                    bound,
                    [
                        values[index] if index < len(values) else None
                        for _line, values in table.rows[:3]
                    ],
                )
                for index, bound in enumerate(form.columns())
            ],
            "report": report,
            "token": token,
        },
        status=status,
    )


def _list_url() -> str:
    return reverse("members:list")


@login_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    require_manage_somewhere(request)
    form = ExportForm(request.POST or None, units=managed_unit_choices(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = exporting.export_members(
                actor=request.user,
                unit=Unit.objects.get(pk=data["unit"]),
                fields=data["columns"],
                fmt=data["format"],
                include_former=data["include_former"],
            )
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except errors.DomainError as exc:
            apply_errors(form, exc)
        else:
            response = HttpResponse(result.content, content_type=result.content_type)
            response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
            response["Cache-Control"] = "private, no-store"
            return response
    return render(
        request,
        "members/export.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


urlpatterns: list[URLPattern] = [
    path("import/", import_upload, name="import"),
    path("import/<str:token>/", import_mapping, name="import_mapping"),
    path("export/", export, name="export"),
]
