"""Register pages under /documents/registers/. Thin: parse, call `registers` / `exports`, render.

A register outside the user's scope answers 404 (its existence is not revealed); a user without
the right to read or keep registers anywhere gets 403; bad input (dates, format) comes back on
the page with status 400, never a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import errors

from . import exports, registers
from .forms_registers import ConfidentialEntryForm, PeriodForm
from .models import Register

PAGE_SIZE = 50


def _register_or_404(request: HttpRequest, register_id: UUID) -> Register:
    try:
        return registers.register_get(user=request.user, register_id=register_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _require_view_somewhere(request: HttpRequest) -> None:
    if not policy.can(request.user, Action.REGISTERS_VIEW):
        raise DjangoPermissionDenied


def _positive_int(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


@login_required
@require_GET
def register_list(request: HttpRequest) -> HttpResponse:
    _require_view_somewhere(request)
    years = registers.register_years(user=request.user)
    year = _positive_int(request.GET.get("year"))
    if year not in years:
        year = years[0] if years else None
    items = list(registers.registers_visible_to(user=request.user, year=year)) if year else []
    return render(
        request,
        "documents/registers_list.html",
        {
            "years": years,
            "year": year,
            "registers": items,
            "can_enter_confidential": policy.can(request.user, Action.REGISTERS_MANAGE),
        },
    )


@login_required
@require_GET
def register_detail(request: HttpRequest, register_id: UUID) -> HttpResponse:
    register = _register_or_404(request, register_id)
    period = PeriodForm(request.GET or None)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status = 200
    if period.is_bound:
        if period.is_valid():
            date_from = period.cleaned_data["date_from"]
            date_to = period.cleaned_data["date_to"]
        else:
            status = 400
    before = _positive_int(request.GET.get("before"))
    entries, has_more = registers.register_entries(
        register=register,
        date_from=date_from,
        date_to=date_to,
        before_number=before,
        limit=PAGE_SIZE,
    )
    query = {k: v.isoformat() for k, v in (("date_from", date_from), ("date_to", date_to)) if v}
    return render(
        request,
        "documents/registers_detail.html",
        {
            "register": register,
            "period": period,
            "entries": [(e, registers.display_subject(e.document)) for e in entries],
            "next_before": entries[-1].number if has_more and entries else None,
            "query": query,
            "formats": list(exports.Format),
        },
        status=status,
    )


@login_required
@require_GET
def register_export(request: HttpRequest, register_id: UUID) -> HttpResponse:
    register = _register_or_404(request, register_id)
    period = PeriodForm(request.GET)
    fmt = request.GET.get("fmt", "")
    if not period.is_valid() or fmt not in {f.value for f in exports.Format}:
        messages.error(request, _("Choose PDF or XLSX and a valid period."))
        return redirect("documents:register", register_id=register.pk)
    try:
        content, content_type, filename = exports.register_export(
            user=request.user,
            register=register,
            fmt=fmt,
            date_from=period.cleaned_data["date_from"],
            date_to=period.cleaned_data["date_to"],
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _unit_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (str(u.pk), f"{'— ' * (u.depth - 1)}{u.display_name}")
        for u in registers.confidential_units(user=request.user)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def register_confidential(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.REGISTERS_MANAGE):
        raise DjangoPermissionDenied
    units = _unit_choices(request)
    status = 200
    if request.method == "POST":
        form = ConfidentialEntryForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            unit = registers.confidential_units(user=request.user).get(pk=data["unit"])
            metadata = registers.ConfidentialMetadata(
                confidentiality=data["confidentiality"],
                issued_on=data["issued_on"],
                issuing_body=data["issuing_body"],
                notation=data["notation"],
                subject=data["subject"],
                doc_type=data["doc_type"],
                urgency=data["urgency"],
            )
            try:
                entry = registers.register_confidential(
                    actor=request.user, unit=unit, kind=data["kind"], metadata=metadata
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                for field, problems in exc.field_errors.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, str(problem))
                if not exc.field_errors:
                    form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Entered as number %(number)d in %(register)s.")
                    % {"number": entry.number, "register": entry.register},
                )
                return redirect("documents:register", register_id=entry.register_id)
        status = 400
    else:
        form = ConfidentialEntryForm(units=units)
    context: dict[str, Any] = {"form": form}
    return render(request, "documents/registers_confidential.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("registers/", register_list, name="registers"),
    path("registers/confidential/", register_confidential, name="register_confidential"),
    path("registers/<uuid:register_id>/", register_detail, name="register"),
    path("registers/<uuid:register_id>/export/", register_export, name="register_export"),
]
