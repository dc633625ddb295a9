"""Home page and error pages."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from secretariat.accounts import policy
from secretariat.accounts import selectors as account_selectors
from secretariat.accounts.models import User
from secretariat.audit.selectors import events_visible_to
from secretariat.core import clock
from secretariat.office.models import IncomingState, TaskState
from secretariat.office.selectors_incoming import incoming_visible_to
from secretariat.office.selectors_tasks import tasks_of_user
from secretariat.orgs.models import Unit


def scope_roots(units: Iterable[Unit]) -> list[tuple[Unit, int]]:
    """The topmost units of a scope (ordered by path), each with how many scope units it heads."""
    roots: list[tuple[Unit, int]] = []
    for unit in units:
        if roots and unit.path.startswith(roots[-1][0].path):
            roots[-1] = (roots[-1][0], roots[-1][1] + 1)
        else:
            roots.append((unit, 1))
    return roots


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    profile = account_selectors.user_profile(user=user)
    recent = events_visible_to(user=user).order_by("-seq")[:15]
    # The day's work: open tasks by deadline, documents presented to me, unread notifications.
    my_tasks = (
        tasks_of_user(user=user)
        .filter(state__in=[TaskState.OPEN, TaskState.IN_PROGRESS])
        .order_by(F("due_on").asc(nulls_last=True), "created_at")[:8]
    )
    presented = (
        incoming_visible_to(user=user)
        .filter(presented_to=user, state=IncomingState.PRESENTED)
        .select_related("document")
        .order_by("created_at")[:8]
    )
    if request.GET.get("fragment") == "activity":
        # The live-activity script reloads only this table.
        return render(request, "web/_recent_activity.html", {"recent_events": recent})
    return render(
        request,
        "web/home.html",
        {
            "profile": profile,
            "recent_events": recent,
            "my_tasks": my_tasks,
            "presented": presented,
            "today": clock.today(),
            "scope_roots": scope_roots(
                policy.units_in_scope(user, policy.Action.ORGS_VIEW).order_by("path")
            ),
        },
    )


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"title": title, "message": message}, status=status)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 403, _("Access denied"), _("You do not have permission to do this here.")
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Not found"), _("The page you asked for does not exist."))


def error_500(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _("Server error"),
        _("Something went wrong on our side. The incident has been logged."),
    )
