"""Read queries of tasks and notifications. Each takes the acting user and applies the scope: a
user sees the tasks they take part in (assignee, coordinator, assigner) and the tasks of the
units where they hold `office.work`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, NullIf, TruncDate
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.models import Position, Role, RoleGrant, User
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.core.errors import NotFound
from secretariat.orgs.models import Unit

from .models import CalendarDay, Notification, Task, TaskNote, TaskState

OPEN_STATES = (TaskState.OPEN, TaskState.IN_PROGRESS)
_RELATED = ("unit", "assignee", "created_by", "parent")


def _base() -> QuerySet[Task]:
    return Task.objects.select_related(*_RELATED)


def _participant(user: Any) -> Q:
    return Q(assignee=user) | Q(coordinators=user) | Q(created_by=user)


def tasks_of_user(*, user: Any) -> QuerySet[Task]:
    """The user's own tasks: those assigned to them or that they coordinate."""
    ids = Task.objects.filter(Q(assignee=user) | Q(coordinators=user)).values("pk")
    return _base().filter(pk__in=ids)


def tasks_of_units(*, user: Any) -> QuerySet[Task]:
    """The tasks of the units where the user holds `office.work`."""
    return policy.scoped(_base(), user, Action.OFFICE_WORK)


def tasks_visible_to(*, user: Any) -> QuerySet[Task]:
    """Every task the user may open: their own, or of a unit in their scope."""
    units = policy.units_in_scope(user, Action.OFFICE_WORK).values("pk")
    ids = Task.objects.filter(_participant(user) | Q(unit__in=units)).values("pk")
    return _base().filter(pk__in=ids)


def may_see_tasks(user: Any) -> bool:
    """Whether the task pages concern the user at all: `office.work` somewhere, or a task of
    their own (an ordinary member may be given one)."""
    return policy.can(user, Action.OFFICE_WORK) or (
        getattr(user, "is_authenticated", False)
        and Task.objects.filter(_participant(user)).exists()
    )


def task_get(*, user: Any, task_id: Any) -> Task:
    """A task the user may open. NotFound when it does not exist *or* is outside the user's
    scope: the answer must not tell which."""
    task = tasks_visible_to(user=user).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such task."))
    return task


def task_filter(
    queryset: QuerySet[Task],
    *,
    state: str = "",
    overdue: bool = False,
    today: dt.date | None = None,
) -> QuerySet[Task]:
    """Narrow a task list: by state ("open" means open or in progress), or to overdue tasks.
    Ordered by deadline, tasks without one last."""
    today = today or clock.today()
    if state == "open":
        queryset = queryset.filter(state__in=OPEN_STATES)
    elif state in TaskState.values:
        queryset = queryset.filter(state=state)
    if overdue:
        queryset = queryset.filter(state__in=OPEN_STATES, due_on__lt=today)
    return queryset.order_by(F("due_on").asc(nulls_last=True), "-created_at")


def task_notes(*, task: Task) -> QuerySet[TaskNote]:
    """The notes of a task the caller has already opened with `task_get`."""
    return task.notes.select_related("author", "attachment").order_by("created_at")


def task_children(*, task: Task) -> QuerySet[Task]:
    return _base().filter(parent=task).order_by(F("due_on").asc(nulls_last=True), "created_at")


def is_overdue(task: Task, today: dt.date | None = None) -> bool:
    today = today or clock.today()
    return task.state in OPEN_STATES and task.due_on is not None and task.due_on < today


# --- People ---------------------------------------------------------------------------------------


def _active_grants() -> QuerySet[RoleGrant]:
    today = clock.today()
    return RoleGrant.objects.filter(revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def assignee_candidates(*, unit: Unit) -> QuerySet[User]:
    """The active users who may be given a task of `unit`: those holding a position in the unit
    or below it, a role on the unit or below it, or a role whose subtree covers the unit."""
    ancestors = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    positions = Position.objects.filter(ended_on__isnull=True, unit__path__startswith=unit.path)
    grants = _active_grants().filter(
        Q(unit__path__startswith=unit.path)
        | Q(unit__path__in=ancestors, include_subtree=True)
        | Q(unit=unit)
    )
    return User.objects.filter(is_active=True).filter(
        Q(pk__in=positions.values("user_id")) | Q(pk__in=grants.values("user_id"))
    )


def unit_leaders(*, unit: Unit) -> QuerySet[User]:
    """Users holding the leader role on the unit or on an ancestor whose grant covers it."""
    ancestors = [unit.path[:i] for i in range(Unit.steplen, len(unit.path), Unit.steplen)]
    grants = (
        _active_grants()
        .filter(role=Role.LEADER)
        .filter(Q(unit=unit) | Q(unit__path__in=ancestors, include_subtree=True))
    )
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id"))


def people_in_units(*, units: QuerySet[Unit]) -> QuerySet[User]:
    """Active users holding a position or a role on one of `units` (the choices of a form;
    the service checks the chosen unit's own rule)."""
    unit_ids = units.values("pk")
    positions = Position.objects.filter(ended_on__isnull=True, unit__in=unit_ids)
    grants = _active_grants().filter(unit__in=unit_ids)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=positions.values("user_id")) | Q(pk__in=grants.values("user_id")))
        .order_by("full_name", "username")
    )


# --- The overdue dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitTaskStats:
    unit: Unit | None  # None on the totals row
    open: int
    open_overdue: int
    due_this_week: int
    done_on_time: int
    done_late: int
    on_time_rate: float | None  # percent; None when nothing with a deadline was done


def _stats(queryset: QuerySet[Task], today: dt.date, start: dt.date, end: dt.date) -> Any:
    """The aggregate expressions of the dashboard, in SQL.

    The completion day is taken in the platform's time zone (TruncDate uses the current time
    zone, Asia/Ho_Chi_Minh): a task closed at 23:30 local time on its due date is on time,
    although in UTC it was closed the day before the next."""
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    is_open = Q(state__in=OPEN_STATES)
    done_in_period = Q(
        state=TaskState.DONE,
        due_on__isnull=False,
        done_on__gte=start,
        done_on__lte=end,
    )
    return {
        "open": Count("pk", filter=is_open),
        "open_overdue": Count("pk", filter=is_open & Q(due_on__lt=today)),
        "due_this_week": Count(
            "pk", filter=is_open & Q(due_on__gte=max(today, monday), due_on__lte=sunday)
        ),
        "done_on_time": Count("pk", filter=done_in_period & Q(done_on__lte=F("due_on"))),
        "done_late": Count("pk", filter=done_in_period & Q(done_on__gt=F("due_on"))),
        "done_with_due": Count("pk", filter=done_in_period),
    }


def _rate() -> ExpressionWrapper:
    # NULLIF turns "nothing done" into NULL rather than a division by zero.
    return ExpressionWrapper(
        Cast(F("done_on_time"), FloatField())
        * Value(100.0)
        / NullIf(Cast(F("done_with_due"), FloatField()), Value(0.0)),
        output_field=FloatField(),
    )


def overdue_dashboard(
    *,
    user: Any,
    today: dt.date | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> tuple[list[UnitTaskStats], UnitTaskStats]:
    """Per unit in the user's `office.work` scope that has tasks: open tasks, open overdue, due
    this week (from today to Sunday), done on time and done late among tasks with a deadline
    completed in the period (default: 1 January of this year to today), and the on-time rate
    (done on or before the due date / done with a due date). Rows sorted by overdue count;
    and the totals row. One grouped query and one aggregate."""
    today = today or clock.today()
    start = date_from or dt.date(today.year, 1, 1)
    end = date_to or today
    tasks = tasks_of_units(user=user).annotate(done_on=TruncDate("completed_at"))
    expressions = _stats(tasks, today, start, end)
    grouped = (
        tasks.order_by()
        .values("unit")
        .annotate(**expressions)
        .annotate(on_time_rate=_rate())
        .order_by("-open_overdue", "-open", "unit")
    )
    rows = list(grouped)
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[r["unit"] for r in rows])}
    totals = tasks.order_by().aggregate(**expressions)

    def stats(unit: Unit | None, values: dict[str, Any]) -> UnitTaskStats:
        done = values["done_with_due"] or 0
        rate = values.get("on_time_rate")
        if "on_time_rate" not in values:
            rate = round(values["done_on_time"] * 100.0 / done, 1) if done else None
        return UnitTaskStats(
            unit=unit,
            open=values["open"] or 0,
            open_overdue=values["open_overdue"] or 0,
            due_this_week=values["due_this_week"] or 0,
            done_on_time=values["done_on_time"] or 0,
            done_late=values["done_late"] or 0,
            on_time_rate=None if rate is None else round(float(rate), 1),
        )

    return [stats(units[r["unit"]], r) for r in rows], stats(None, totals)


# --- Notifications and the calendar -------------------------------------------------------------


def notifications_of(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    queryset = Notification.objects.filter(user=user).order_by("-created_at")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def calendar_days(*, year: int) -> QuerySet[CalendarDay]:
    """The calendar's departures from the Monday–Friday week in a year (public data)."""
    return CalendarDay.objects.filter(date__year=year).order_by("date")
