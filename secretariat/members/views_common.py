"""What the member pages share: the scope checks, the domain errors shown on forms, units by code.

Views are thin: parse, call the services / selectors, render. A record outside the caller's
scope answers 404 (its existence is not revealed); a page the caller has no right to at all
answers 403 before its input is read; bad input comes back on the page with status 400 and a
translated message, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import errors
from secretariat.orgs.models import Unit

from . import selectors_members
from .forms_members import unit_choices
from .models import Member


def require_manage_somewhere(request: HttpRequest) -> None:
    """403 unless the caller keeps the records of some unit."""
    if not policy.can(request.user, Action.MEMBERS_MANAGE):
        raise DjangoPermissionDenied


def member_or_404(request: HttpRequest, member_id: Any) -> Member:
    try:
        return selectors_members.member_get(user=request.user, member_id=member_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def managed_units(request: HttpRequest) -> QuerySet[Unit]:
    return (
        policy.units_in_scope(request.user, Action.MEMBERS_MANAGE)
        .filter(active=True)
        .order_by("path")
    )


def managed_unit_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return unit_choices(managed_units(request))


def unit_from_choice(value: str) -> Unit:
    """The unit a validated choice names (choices are built from the caller's scope)."""
    return Unit.objects.get(pk=value)


def unit_by_code(code: str, field: str) -> Unit | None:
    """The unit with this electronic code; None for an empty code."""
    code = (code or "").strip()
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        message = _("No unit has the code “%(code)s”.") % {"code": code}
        raise errors.ValidationFailed(message, field_errors={field: [message]})
    return unit


def apply_errors(form: forms.Form, exc: errors.DomainError) -> None:
    """The service's messages on the form's fields (or above the form)."""
    placed = False
    for field, problems in exc.field_errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, str(problem))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def run_form(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], Any],
    success: str,
    done: Callable[[Any], HttpResponse],
) -> HttpResponse | None:
    """Validate `form`, run `action` with its data; the redirect on success, None when the form
    must be shown again (with the problems on it)."""
    if not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        apply_errors(form, exc)
        return None
    messages.success(request, success)
    return done(result)
