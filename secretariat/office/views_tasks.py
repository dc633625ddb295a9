"""Office pages: tasks, the overdue dashboard, notifications and the working-day calendar.

Thin: parse, call `services.tasks` / `selectors_tasks`, render. A task outside the user's scope
answers 404 (its existence is not revealed); an action the user may not take answers 403 before
the input is even read; bad input comes back on the page with status 400, never a 500.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import clock, errors
from secretariat.documents.forms_registers import PeriodForm
from secretariat.documents.models import Document
from secretariat.orgs.models import Unit

from . import selectors_tasks as selectors
from .forms_tasks import (
    AssigneeForm,
    CalendarDayForm,
    CancelForm,
    CompleteForm,
    NoteForm,
    SubassignForm,
    TaskCreateForm,
    TaskFilterForm,
)
from .models import Task
from .services import notifications as notification_services
from .services import tasks as services

PAGE_SIZE = 200


# --- Helpers --------------------------------------------------------------------------------------


def _task_or_404(request: HttpRequest, task_id: UUID) -> Task:
    try:
        return selectors.task_get(user=request.user, task_id=task_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _people(users: Any) -> list[tuple[str, str]]:
    return [(str(u.pk), u.full_name or u.username) for u in users]


def _apply_errors(form: Any, exc: errors.DomainError) -> None:
    for field, problems in exc.field_errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, str(problem))
    if not exc.field_errors:
        form.add_error(None, str(exc.message))


def _user(pk: str) -> Any:
    users = services.users_by_ids([uuid.UUID(pk)]) if pk else []
    return users[0] if users else None


def _detail(request: HttpRequest, task: Task, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The task page; `forms` replaces the blank action forms by bound ones with errors."""
    user = request.user
    people = _people(selectors.assignee_candidates(unit=task.unit).order_by("full_name"))
    is_open = task.state in services.OPEN_STATES
    context: dict[str, Any] = {
        "task": task,
        "overdue": selectors.is_overdue(task),
        "notes": selectors.task_notes(task=task),
        "children": selectors.task_children(task=task),
        "coordinators": list(task.coordinators.all()),
        "can_note": is_open and services.may_note(user, task),
        "can_start": task.state == "open" and services.may_complete(user, task),
        "can_complete": is_open and services.may_complete(user, task),
        "can_subassign": is_open and services.may_subassign(user, task),
        "can_cancel": is_open and services.may_cancel(user, task),
        "can_reassign": is_open and services.may_reassign(user, task),
        "note_form": forms.get("note_form") or NoteForm(),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "subassign_form": forms.get("subassign_form")
        or SubassignForm(people=people, initial={"due_on": task.due_on}),
        "reassign_form": forms.get("reassign_form") or AssigneeForm(people=people),
    }
    return render(request, "office/tasks_detail.html", context, status=status)


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


# --- Tasks --------------------------------------------------------------------------------------


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.may_see_tasks(user):
        raise DjangoPermissionDenied
    can_unit = policy.can(user, Action.OFFICE_WORK)
    filters = TaskFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    tab = data.get("tab") or "mine"
    if tab == "unit" and not can_unit:
        tab = "mine"
    queryset = (
        selectors.tasks_of_units(user=user) if tab == "unit" else selectors.tasks_of_user(user=user)
    )
    tasks = list(
        selectors.task_filter(
            queryset, state=data.get("state") or "", overdue=bool(data.get("overdue"))
        )[:PAGE_SIZE]
    )
    today = clock.today()
    return render(
        request,
        "office/tasks_list.html",
        {
            "filters": filters,
            "tab": tab,
            "can_unit": can_unit,
            "can_create": can_unit,
            "rows": [(t, selectors.is_overdue(t, today)) for t in tasks],
            "truncated": len(tasks) == PAGE_SIZE,
            "state": data.get("state") or "",
            "overdue": bool(data.get("overdue")),
        },
    )


@login_required
@require_GET
def task_detail(request: HttpRequest, task_id: UUID) -> HttpResponse:
    return _detail(request, _task_or_404(request, task_id))


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can(user, Action.OFFICE_WORK):
        raise DjangoPermissionDenied
    units_qs = policy.units_in_scope(user, Action.OFFICE_WORK).filter(active=True)
    units = [
        (str(u.pk), f"{'— ' * (u.depth - 1)}{u.display_name}") for u in units_qs.order_by("path")
    ]
    people = _people(selectors.people_in_units(units=units_qs))
    status = 200
    if request.method == "POST":
        form = TaskCreateForm(request.POST, units=units, people=people)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_create_entry(
                    actor=user,
                    unit=Unit.objects.get(pk=data["unit"]),
                    title=data["title"],
                    description=data["description"],
                    assignee=_user(data["assignee"]),
                    coordinators=services.users_by_ids(
                        [uuid.UUID(pk) for pk in data["coordinators"]]
                    ),
                    due_on=data["due_on"],
                    working_days=data["working_days"],
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Task created."))
                return redirect("office:task", task_id=task.pk)
        status = 400
    else:
        form = TaskCreateForm(units=units, people=people)
    return render(request, "office/tasks_create.html", {"form": form}, status=status)


def _act(
    request: HttpRequest,
    task: Task,
    form_name: str,
    form: Any,
    action: Any,
    success: str,
) -> HttpResponse:
    """Run one action of the task page: the form's data to the service, errors back on the
    page with status 400, success back to the task."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except errors.DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("office:task", task_id=task.pk)
    return _detail(request, task, status=400, **{form_name: form})


@login_required
@require_POST
def task_note(request: HttpRequest, task_id: UUID) -> HttpResponse:
    task = _task_or_404(request, task_id)
    _refuse_unless(services.may_note(request.user, task))

    def run(data: dict[str, Any]) -> None:
        attachment = None
        if data["attachment"]:
            attachment = Document.objects.filter(pk=data["attachment"]).first()
            if attachment is None:
                raise errors.ValidationFailed(
                    _("No such document."), field_errors={"attachment": [_("No such document.")]}
                )
        services.task_note_add(
            actor=request.user,
            task=task,
            text=data["text"],
            progress=data["progress"],
            attachment=attachment,
        )

    return _act(request, task, "note_form", NoteForm(request.POST), run, _("Note added."))


@login_required
@require_POST
def task_start(request: HttpRequest, task_id: UUID) -> HttpResponse:
    task = _task_or_404(request, task_id)
    _refuse_unless(services.may_complete(request.user, task))
    try:
        services.task_start(actor=request.user, task=task)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Work on the task has started."))
    return redirect("office:task", task_id=task.pk)


@login_required
@require_POST
def task_complete(request: HttpRequest, task_id: UUID) -> HttpResponse:
    task = _task_or_404(request, task_id)
    _refuse_unless(services.may_complete(request.user, task))
    return _act(
        request,
        task,
        "complete_form",
        CompleteForm(request.POST),
        lambda d: services.task_complete(actor=request.user, task=task, result=d["result"]),
        _("Task done."),
    )


@login_required
@require_POST
def task_cancel(request: HttpRequest, task_id: UUID) -> HttpResponse:
    task = _task_or_404(request, task_id)
    _refuse_unless(services.may_cancel(request.user, task))
    return _act(
        request,
        task,
        "cancel_form",
        CancelForm(request.POST),
        lambda d: services.task_cancel(actor=request.user, task=task, reason=d["reason"]),
        _("Task cancelled."),
    )


@login_required
@require_POST
def task_subassign(request: HttpRequest, task_id: UUID) -> HttpResponse:
    task = _task_or_404(request, task_id)
    _refuse_unless(services.may_subassign(request.user, task))
    people = _people(selectors.assignee_candidates(unit=task.unit))
    return _act(
        request,
        task,
        "subassign_form",
        SubassignForm(request.POST, people=people),
        lambda d: services.task_subassign(
            actor=request.user,
            task=task,
            assignee=_user(d["assignee"]),
            title=d["title"],
            due_on=d["due_on"],
        ),
        _("Sub-task created."),
    )


@login_required
@require_POST
def task_reassign(request: HttpRequest, task_id: UUID) -> HttpResponse:
    task = _task_or_404(request, task_id)
    _refuse_unless(services.may_reassign(request.user, task))
    people = _people(selectors.assignee_candidates(unit=task.unit))
    return _act(
        request,
        task,
        "reassign_form",
        AssigneeForm(request.POST, people=people),
        lambda d: services.task_reassign(
            actor=request.user, task=task, assignee=_user(d["assignee"])
        ),
        _("Task given to someone else."),
    )


# --- The overdue dashboard ------------------------------------------------------------------------


@login_required
@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise DjangoPermissionDenied
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
    rows, totals = selectors.overdue_dashboard(
        user=request.user, date_from=date_from, date_to=date_to
    )
    today = clock.today()
    return render(
        request,
        "office/tasks_overdue.html",
        {
            "period": period,
            "rows": rows,
            "totals": totals,
            "date_from": date_from or dt.date(today.year, 1, 1),
            "date_to": date_to or today,
        },
        status=status,
    )


# --- Notifications --------------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    items = list(selectors.notifications_of(user=request.user, unread_only=unread_only)[:PAGE_SIZE])
    return render(
        request,
        "office/notifications_list.html",
        {
            "items": items,
            "unread_only": unread_only,
            "unread": selectors.unread_count(user=request.user),
        },
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark the caller's notifications read: the ones named by `id` (ids that are not theirs
    or not ids at all are ignored), or all of them."""
    ids: list[UUID] | None = None
    if "all" not in request.POST:
        ids = []
        for value in request.POST.getlist("id"):
            try:
                ids.append(uuid.UUID(value))
            except ValueError:
                continue
    notification_services.notifications_mark_read(user=request.user, ids=ids)
    if request.headers.get("HX-Request"):
        return _badge(request)
    return redirect("office:notifications")


def _badge(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "office/notifications_badge.html",
        {"unread": selectors.unread_count(user=request.user)},
    )


@login_required
@require_GET
def notifications_badge(request: HttpRequest) -> HttpResponse:
    """The unread counter of the top bar (an HTMX partial that refreshes itself)."""
    return _badge(request)


# --- The calendar -----------------------------------------------------------------------------------


def _year(value: str | None) -> int:
    if value and value.isdigit() and 1900 <= int(value) <= 2200:
        return int(value)
    return clock.today().year


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    can_edit = services.can_edit_calendar(request.user)
    status = 200
    form = CalendarDayForm()
    year = _year(request.GET.get("year"))
    if request.method == "POST":
        _refuse_unless(can_edit)
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.calendar_day_set(
                    actor=request.user, date=data["date"], name=data["name"], kind=data["kind"]
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The calendar is updated."))
                return redirect(f"{reverse('office:calendar')}?year={data['date'].year}")
        status = 400
    return render(
        request,
        "office/calendar_list.html",
        {
            "year": year,
            "years": [year - 1, year, year + 1],
            "days": selectors.calendar_days(year=year),
            "can_edit": can_edit,
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def calendar_day_delete(request: HttpRequest, day: str) -> HttpResponse:
    _refuse_unless(services.can_edit_calendar(request.user))
    try:
        date = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise Http404 from exc
    try:
        services.calendar_day_remove(actor=request.user, date=date)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    messages.success(request, _("The calendar is updated."))
    return redirect(f"{reverse('office:calendar')}?year={date.year}")


urlpatterns: list[URLPattern] = [
    path("tasks/", task_list, name="tasks"),
    path("tasks/new/", task_create, name="task_create"),
    path("tasks/overdue/", overdue, name="overdue"),
    path("tasks/<uuid:task_id>/", task_detail, name="task"),
    path("tasks/<uuid:task_id>/note/", task_note, name="task_note"),
    path("tasks/<uuid:task_id>/start/", task_start, name="task_start"),
    path("tasks/<uuid:task_id>/complete/", task_complete, name="task_complete"),
    path("tasks/<uuid:task_id>/cancel/", task_cancel, name="task_cancel"),
    path("tasks/<uuid:task_id>/subassign/", task_subassign, name="task_subassign"),
    path("tasks/<uuid:task_id>/reassign/", task_reassign, name="task_reassign"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications_read"),
    path("notifications/badge/", notifications_badge, name="notifications_badge"),
    path("calendar/", calendar, name="calendar"),
    path("calendar/<str:day>/delete/", calendar_day_delete, name="calendar_day_delete"),
]
