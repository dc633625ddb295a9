"""Dues pages: a member's payment, the monthly sheet of a cell (tick or type every member's
payment of a month at once), the monthly statements per cell and committee, and the arrears with
the 3-month flag.

The payment and the sheet need `members.manage` on the member's unit; the statements are
aggregates, open to `members.reports` too (leaders); the arrears name people: records officers
only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import clock, errors
from secretariat.orgs.models import Unit

from . import dues, selectors_dues, selectors_members, services
from .forms_dues import ArrearsForm, PaymentForm, SheetForm, UnitMonthForm
from .forms_members import unit_choices
from .models import DuesPayment, Member
from .views_common import (
    apply_errors,
    managed_unit_choices,
    member_or_404,
    require_manage_somewhere,
    run_form,
)

# --- One member's payment ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def payment(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    month = dues.first_of_month(clock.today())
    expected = selectors_dues.expected_amount(member=member, month=month)
    form = PaymentForm(request.POST or None, initial={"month": month, "amount": expected})
    if request.method == "POST":
        done = run_form(
            request,
            form,
            lambda d: services.dues_payment_record(
                actor=request.user,
                member=member,
                period=d["month"],
                amount=d["amount"],
                correction_reason=d["correction_reason"],
            ),
            _("The payment is recorded."),
            lambda p: redirect(
                reverse("members:member", args=[member.pk]) + f"?year={p.period.year}"
            ),
        )
        if done is not None:
            return done
    return render(
        request,
        "members/member_simple_form.html",
        {"form": form, "member": member, "title": _("Record a dues payment")},
        status=400 if form.is_bound else 200,
    )


# --- The monthly sheet of a cell --------------------------------------------------------------


@dataclass(frozen=True)
class SheetLine:
    member: Member
    expected: int | None
    paid: int | None


def _sheet_lines(request: HttpRequest, unit: Unit, month: dt.date) -> list[SheetLine]:
    """The members of `unit` (and below) who owe `month`, with the expected amount and what is
    already recorded."""
    book = selectors_dues.RuleBook()
    members = [
        m
        for m in selectors_members.members_of_unit(user=request.user, unit=unit)
        .exclude(admitted_on__isnull=True)
        .order_by("unit__path", "full_name")
        if month
        in dues.owed_months(
            admitted_on=m.admitted_on,
            ended_on=selectors_dues.membership_end(m),
            year=month.year,
        )
    ]
    paid = dict(
        DuesPayment.objects.filter(
            member__in=[m.pk for m in members], period=month, superseded_at__isnull=True
        ).values_list("member_id", "amount")
    )
    return [SheetLine(m, book.expected(m, month), paid.get(m.pk)) for m in members]


@transaction.atomic(durable=True)
def _record_sheet(actor: Any, chosen: list[tuple[Member, int]], month: dt.date) -> int:
    """Every ticked payment of the sheet, or none (one transaction; each audited)."""
    for member, amount in chosen:
        try:
            services.dues_payment_record_nondurable(
                actor=actor, member=member, period=month, amount=amount
            )
        except errors.DomainError as exc:
            raise errors.ValidationFailed(
                _("%(name)s: %(problem)s") % {"name": member.full_name, "problem": exc.message},
                field_errors={f"amount_{member.pk.hex}": [str(exc.message)]},
            ) from exc
    return len(chosen)


@login_required
@require_http_methods(["GET", "POST"])
def dues_sheet(request: HttpRequest) -> HttpResponse:
    require_manage_somewhere(request)
    units = managed_unit_choices(request)
    picker = UnitMonthForm(
        request.GET or None,
        units=units,
        initial={"month": dues.first_of_month(clock.today())},
    )
    if not (picker.is_bound and picker.is_valid()):
        return render(
            request,
            "members/dues_sheet.html",
            {"picker": picker, "form": None},
            status=400 if picker.is_bound else 200,
        )
    unit = Unit.objects.get(pk=picker.cleaned_data["unit"])
    month = picker.cleaned_data["month"]
    lines = _sheet_lines(request, unit, month)
    open_lines = [line for line in lines if line.paid is None]
    form = SheetForm(request.POST or None, lines=open_lines)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            chosen = form.payments()
            if not chosen:
                form.add_error(None, _("Tick the members who paid."))
            else:
                try:
                    count = _record_sheet(request.user, chosen, month)
                except errors.PermissionDenied as exc:
                    raise DjangoPermissionDenied(str(exc.message)) from exc
                except errors.DomainError as exc:
                    apply_errors(form, exc)
                    form.add_error(None, str(exc.message))
                else:
                    messages.success(
                        request,
                        _("%(count)d payment(s) of %(month)s recorded.")
                        % {"count": count, "month": month.strftime("%m/%Y")},
                    )
                    return redirect(request.get_full_path())
    return render(
        request,
        "members/dues_sheet.html",
        {
            "picker": picker,
            "form": form,
            "unit": unit,
            "month": month,
            "paid_lines": [line for line in lines if line.paid is not None],
            "total_paid": sum(line.paid or 0 for line in lines),
        },
        status=status,
    )


# --- Statements and arrears ---------------------------------------------------------------------


def _statement_units(request: HttpRequest) -> list[tuple[str, str]]:
    scope = policy.unit_scope(request.user, Action.MEMBERS_MANAGE) | policy.unit_scope(
        request.user, Action.MEMBERS_REPORTS
    )
    return unit_choices(Unit.objects.filter(scope, active=True).order_by("path"))


@login_required
@require_GET
def dues_statement(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (policy.can(user, Action.MEMBERS_MANAGE) or policy.can(user, Action.MEMBERS_REPORTS)):
        raise DjangoPermissionDenied
    form = UnitMonthForm(
        request.GET or None,
        units=_statement_units(request),
        initial={"month": dues.first_of_month(clock.today())},
    )
    statement = None
    if form.is_bound and form.is_valid():
        try:
            statement = selectors_dues.dues_statement(
                user=user,
                unit=Unit.objects.get(pk=form.cleaned_data["unit"]),
                month=form.cleaned_data["month"],
            )
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
    return render(
        request,
        "members/dues_statement.html",
        {"form": form, "statement": statement},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_GET
def arrears(request: HttpRequest) -> HttpResponse:
    require_manage_somewhere(request)
    today = clock.today()
    form = ArrearsForm(
        request.GET or None, units=managed_unit_choices(request), initial={"year": today.year}
    )
    year, unit, flagged = today.year, None, False
    status = 200
    if form.is_bound:
        if form.is_valid():
            year = form.cleaned_data["year"]
            flagged = form.cleaned_data["flagged"]
            if form.cleaned_data["unit"]:
                unit = Unit.objects.get(pk=form.cleaned_data["unit"])
        else:
            status = 400
    rows = selectors_dues.dues_arrears(
        user=request.user, year=year, unit=unit, today=today, flagged_only=flagged
    )
    return render(
        request,
        "members/dues_arrears.html",
        {
            "form": form,
            "rows": rows,
            "year": year,
            "flagged_count": sum(r.arrears.flagged for r in rows),
        },
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("dues/sheet/", dues_sheet, name="dues_sheet"),
    path("dues/statements/", dues_statement, name="dues_statement"),
    path("dues/arrears/", arrears, name="arrears"),
    path("<uuid:member_id>/payment/", payment, name="payment"),
]
