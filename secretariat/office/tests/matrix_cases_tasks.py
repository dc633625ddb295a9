"""Permission-matrix cases of tasks, notifications and the calendar (see
secretariat/api/tests/matrix.py).

Inside (commune A) a task assigned to the specialist actor by the leader actor; outside
(commune B) one assigned to the outside target. Who may act on a task:
* open it, annotate it: `office.work` on its unit (clerks, leaders, specialists) or a part in it;
* start, complete: its assignee (the specialist);
* sub-assign: its assignee and the unit's leaders; cancel, reassign: its assigner (the leader)
  and the unit's leaders.
The calendar is read by everyone and kept by records clerks and system administrators.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import EVERYONE, Case, Ctx
from secretariat.core import clock
from secretariat.office.services import tasks as services

OFFICE_WORKERS = frozenset({Role.RECORDS_CLERK, Role.LEADER, Role.SPECIALIST})
ASSIGNEE = frozenset({Role.SPECIALIST})
ASSIGNER = frozenset({Role.LEADER})
CALENDAR_KEEPERS = frozenset({Role.RECORDS_CLERK, Role.SYSTEM_ADMIN})

EXEMPT = {
    # Personal: marks the caller's own notifications read, whoever they are; not an audited
    # change of the record (read marks are the reader's own state). test_notifications.py
    # checks that other people's ids are ignored; the API twin is in CASES below.
    "office:notifications_read",
}


def setup(ctx: Ctx, make_user: Any) -> None:
    due = clock.today() + dt.timedelta(days=30)
    with transaction.atomic():
        ctx.extra["task_in"] = services.task_create(
            actor=ctx.actors[Role.LEADER],
            unit=ctx.units["commune_a"],
            title="Nhiệm vụ MATRIX-TASK-IN",
            assignee=ctx.actors[Role.SPECIALIST],
            due_on=due,
        )
        ctx.extra["task_out"] = services.task_create(
            actor=None,
            unit=ctx.units["commune_b"],
            title="Nhiệm vụ MATRIX-TASK-OUT",
            assignee=ctx.targets["out"],
            due_on=due,
        )


def _task(c: Ctx, side: str) -> Any:
    return c.extra[f"task_{side}"]


def _marker(c: Ctx, side: str) -> str:
    return f"MATRIX-TASK-{side.upper()}"


def _unit(c: Ctx, side: str) -> Any:
    return c.units["commune_a" if side == "in" else "commune_b"]


def _page(name: str) -> Any:
    return lambda c, s: reverse(f"office:{name}", args=[_task(c, s).pk])


def _api(suffix: str = "") -> Any:
    return lambda c, s: f"/api/v1/office/tasks/{_task(c, s).pk}{suffix}"


CASES = [
    Case(
        "office:tasks",
        "get",
        lambda c, s: reverse("office:tasks") + "?tab=unit",
        OFFICE_WORKERS,
        scoped=False,
        shows=_marker,
    ),
    Case("office:task", "get", _page("task"), OFFICE_WORKERS),
    Case(
        "office:task_create",
        "get",
        lambda c, s: reverse("office:task_create"),
        OFFICE_WORKERS,
        scoped=False,
    ),
    Case(
        "office:task_create",
        "post",
        lambda c, s: reverse("office:task_create"),
        OFFICE_WORKERS,
        write=True,
        data=lambda c, s: {
            "unit": str(_unit(c, s).pk),
            "title": "Nhiệm vụ mới",
            "assignee": str(c.targets[s].pk),
            "working_days": "3",
        },
    ),
    Case(
        "office:task_note",
        "post",
        _page("task_note"),
        OFFICE_WORKERS,
        write=True,
        data=lambda c, s: {"text": "Ghi chú"},
    ),
    Case("office:task_start", "post", _page("task_start"), ASSIGNEE, write=True),
    Case(
        "office:task_complete",
        "post",
        _page("task_complete"),
        ASSIGNEE,
        write=True,
        data=lambda c, s: {"result": "Đã xong"},
    ),
    Case(
        "office:task_subassign",
        "post",
        _page("task_subassign"),
        ASSIGNEE | ASSIGNER,
        write=True,
        data=lambda c, s: {
            "assignee": str(c.targets[s].pk),
            "title": "Phần việc",
            "due_on": _task(c, s).due_on.isoformat(),
        },
    ),
    Case(
        "office:task_cancel",
        "post",
        _page("task_cancel"),
        ASSIGNER,
        write=True,
        data=lambda c, s: {"reason": "r"},
    ),
    Case(
        "office:task_reassign",
        "post",
        _page("task_reassign"),
        ASSIGNER,
        write=True,
        data=lambda c, s: {"assignee": str(c.targets[s].pk)},
    ),
    Case(
        "office:overdue",
        "get",
        lambda c, s: reverse("office:overdue"),
        OFFICE_WORKERS,
        scoped=False,
        shows=lambda c, s: _unit(c, s).code,
    ),
    Case(
        "office:notifications",
        "get",
        lambda c, s: reverse("office:notifications"),
        EVERYONE,
        scoped=False,
    ),
    Case(
        "office:notifications_badge",
        "get",
        lambda c, s: reverse("office:notifications_badge"),
        EVERYONE,
        scoped=False,
    ),
    Case(
        "office:calendar",
        "get",
        lambda c, s: reverse("office:calendar") + "?year=2026",
        EVERYONE,
        scoped=False,
    ),
    Case(
        "office:calendar",
        "post",
        lambda c, s: reverse("office:calendar"),
        CALENDAR_KEEPERS,
        write=True,
        scoped=False,
        data=lambda c, s: {"date": "2026-11-20", "name": "Nghỉ bù", "kind": "holiday"},
    ),
    Case(
        "office:calendar_day_delete",
        "post",
        lambda c, s: reverse("office:calendar_day_delete", args=["2026-02-17"]),
        CALENDAR_KEEPERS,
        write=True,
        scoped=False,
    ),
    # API
    Case(
        "api:list_tasks",
        "get",
        lambda c, s: "/api/v1/office/tasks/?tab=unit",
        OFFICE_WORKERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "api:create_task",
        "post",
        lambda c, s: "/api/v1/office/tasks/",
        OFFICE_WORKERS,
        write=True,
        json_body=True,
        data=lambda c, s: {
            "unit_code": _unit(c, s).code,
            "title": "Nhiệm vụ API",
            "assignee": c.targets[s].username,
            "working_days": 2,
        },
    ),
    Case("api:get_task", "get", _api(), OFFICE_WORKERS),
    Case("api:list_task_notes", "get", _api("/notes"), OFFICE_WORKERS),
    Case(
        "api:add_task_note",
        "post",
        _api("/notes"),
        OFFICE_WORKERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"text": "Ghi chú"},
    ),
    Case(
        "api:complete_task",
        "post",
        _api("/complete"),
        ASSIGNEE,
        write=True,
        json_body=True,
        data=lambda c, s: {"result": "Đã xong"},
    ),
    Case(
        "api:overdue_dashboard",
        "get",
        lambda c, s: "/api/v1/office/tasks/overdue",
        OFFICE_WORKERS,
        scoped=False,
        shows=lambda c, s: _unit(c, s).code,
    ),
    Case(
        "api:list_notifications",
        "get",
        lambda c, s: "/api/v1/office/tasks/notifications",
        EVERYONE,
        scoped=False,
    ),
    # Personal state, not audited: a plain 200 for everyone (write=False).
    Case(
        "api:mark_notifications_read",
        "post",
        lambda c, s: "/api/v1/office/tasks/notifications/read",
        EVERYONE,
        scoped=False,
        json_body=True,
        data=lambda c, s: {"ids": None},
    ),
]
