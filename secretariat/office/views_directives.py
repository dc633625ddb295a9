"""Directive pages under /office/directives/. Thin: parse, call the selectors and services of
directives, render.

A directive or receiving unit outside the user's scope answers 404 (its existence is not
revealed); a user with no office work anywhere gets 403; a refused action inside the scope 403.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import errors

from . import selectors_directives as selectors
from .forms_directives import DirectiveForm, ReportForm
from .models import Directive, DirectiveRecipient
from .services import directives as services


def _directive_or_404(request: HttpRequest, directive_id: UUID) -> Directive:
    try:
        return selectors.directive_get(user=request.user, directive_id=directive_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _recipient_or_404(request: HttpRequest, recipient_id: UUID) -> DirectiveRecipient:
    try:
        return selectors.recipient_get(user=request.user, recipient_id=recipient_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _unit_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (str(u.pk), f"{'— ' * (u.depth - 1)}{u.display_name}")
        for u in selectors.sending_units(user=request.user)
    ]


@login_required
@require_GET
def directive_list(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise DjangoPermissionDenied
    return render(
        request,
        "office/directives_list.html",
        {
            "sent": selectors.directives_sent(user=request.user),
            "received": selectors.recipients_received(user=request.user),
            "can_send": policy.can(request.user, Action.OFFICE_INSTRUCT),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def directive_create(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.OFFICE_INSTRUCT):
        raise DjangoPermissionDenied
    units = _unit_choices(request)
    if request.method != "POST":
        form = DirectiveForm(units=units)
        return render(request, "office/directives_create.html", {"form": form})
    form = DirectiveForm(request.POST, units=units)
    if form.is_valid():
        data = form.cleaned_data
        scope = selectors.sending_units(user=request.user)
        try:
            directive = services.directive_send(
                actor=request.user,
                unit=scope.get(pk=data["unit"]),
                title=data["title"],
                body=data["body"],
                target=scope.get(pk=data["target"]),
                include_subtree=data["include_subtree"],
                acknowledge_within_hours=data["acknowledge_within_hours"],
                report_by=data["report_by"],
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
            messages.success(request, _("The directive was sent."))
            return redirect("office:directive", directive_id=directive.pk)
    return render(request, "office/directives_create.html", {"form": form}, status=400)


def _matrix_context(request: HttpRequest, directive: Directive) -> dict[str, Any]:
    matrix = selectors.directive_matrix(user=request.user, directive=directive)
    return {"directive": directive, "matrix": matrix}


@login_required
@require_GET
def directive_detail(request: HttpRequest, directive_id: UUID) -> HttpResponse:
    directive = _directive_or_404(request, directive_id)
    own = selectors.own_recipients(user=request.user, directive=directive)
    # Opening the page is reading it: the first opening by someone of a receiving unit is the
    # "read" column of the sender's matrix.
    own = [
        row if row.read_at else services.directive_mark_read(actor=request.user, recipient=row)
        for row in own
    ]
    answering = [(row, selectors.may_answer_for(user=request.user, unit=row.unit)) for row in own]
    context = _matrix_context(request, directive) | {
        "own": answering,
        "report_form": ReportForm(),
    }
    return render(request, "office/directives_detail.html", context)


@login_required
@require_GET
def directive_matrix(request: HttpRequest, directive_id: UUID) -> HttpResponse:
    """The matrix alone, reloaded by directives.js when the socket says it changed."""
    directive = _directive_or_404(request, directive_id)
    return render(request, "office/directives_matrix.html", _matrix_context(request, directive))


def _act(request: HttpRequest, recipient: DirectiveRecipient, action: Any, success: str) -> None:
    try:
        action()
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        problems = [str(p) for ps in exc.field_errors.values() for p in ps]
        messages.error(request, " ".join(problems) or str(exc.message))
    else:
        messages.success(request, success)


@login_required
@require_POST
def directive_acknowledge(request: HttpRequest, recipient_id: UUID) -> HttpResponse:
    recipient = _recipient_or_404(request, recipient_id)
    _act(
        request,
        recipient,
        lambda: services.directive_acknowledge(actor=request.user, recipient=recipient),
        _("Receipt acknowledged."),
    )
    return redirect("office:directive", directive_id=recipient.directive_id)


@login_required
@require_POST
def directive_report(request: HttpRequest, recipient_id: UUID) -> HttpResponse:
    recipient = _recipient_or_404(request, recipient_id)
    # The service checks the text (empty, too long) after the actor: a refused actor learns
    # nothing about the form.
    text = request.POST.get("text", "")
    _act(
        request,
        recipient,
        lambda: services.directive_report(actor=request.user, recipient=recipient, text=text),
        _("Report sent."),
    )
    return redirect("office:directive", directive_id=recipient.directive_id)


urlpatterns: list[URLPattern] = [
    path("directives/", directive_list, name="directives"),
    path("directives/new/", directive_create, name="directive_create"),
    path("directives/<uuid:directive_id>/", directive_detail, name="directive"),
    path("directives/<uuid:directive_id>/matrix/", directive_matrix, name="directive_matrix"),
    path(
        "directives/recipients/<uuid:recipient_id>/acknowledge/",
        directive_acknowledge,
        name="directive_acknowledge",
    ),
    path(
        "directives/recipients/<uuid:recipient_id>/report/",
        directive_report,
        name="directive_report",
    ),
]
