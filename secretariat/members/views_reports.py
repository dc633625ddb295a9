"""The statutory reports page: choose a unit, a date and a period, read the tables, download
them as PDF or XLSX (`reports.py` builds, watermarks and audits the files).

Open to `members.reports` (leaders) and `members.manage` (records officers) on the unit; the
tables are aggregates, and the list of probationary members due for recognition is filled by
`reports.statutory_report` only for records officers.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import errors
from secretariat.orgs.models import Unit

from . import reports
from .forms_members import unit_choices
from .forms_reports import ReportDownloadForm, ReportForm
from .views_common import apply_errors


def _require_reports(request: HttpRequest) -> list[tuple[str, str]]:
    user = request.user
    if not (policy.can(user, Action.MEMBERS_REPORTS) or policy.can(user, Action.MEMBERS_MANAGE)):
        raise DjangoPermissionDenied
    return unit_choices(reports.reportable_units(user).filter(active=True))


@login_required
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    units = _require_reports(request)
    # Opened from the menu: the report of the caller's first unit today, at once.
    initial = {"unit": units[0][0]} if units else None
    form = ReportForm(request.GET or initial, units=units)
    report = None
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = reports.statutory_report(
                    user=request.user,
                    unit=Unit.objects.get(pk=data["unit"]),
                    as_of=data["as_of"],
                    period_from=data["period_from"],
                    period_to=data["period_to"],
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                apply_errors(form, exc)
            else:
                status = 200
    due = None
    if report is not None and report.due_list is not None:
        # Raw SQL gives the ids as the database stores them (hex text on SQLite).
        due = [(row, uuid.UUID(str(row.member_id))) for row in report.due_list]
    return render(
        request,
        "members/reports.html",
        {"form": form, "report": report, "due_rows": due},
        status=status,
    )


@login_required
@require_POST
def report_download(request: HttpRequest) -> HttpResponse:
    units = _require_reports(request)
    form = ReportDownloadForm(request.POST, units=units)
    if form.is_valid():
        data = form.cleaned_data
        try:
            export = reports.report_export(
                user=request.user,
                unit=Unit.objects.get(pk=data["unit"]),
                fmt=data["fmt"],
                as_of=data["as_of"],
                period_from=data["period_from"],
                period_to=data["period_to"],
            )
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except errors.DomainError as exc:
            apply_errors(form, exc)
        else:
            response = HttpResponse(export.content, content_type=export.content_type)
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            response["Cache-Control"] = "private, no-store"
            return response
    return render(request, "members/reports.html", {"form": form, "report": None}, status=400)


urlpatterns: list[URLPattern] = [
    path("reports/", report_page, name="reports"),
    path("reports/download/", report_download, name="reports_download"),
]
