"""Task endpoints, mounted at `/api/v1/office/tasks`: tasks, their notes, completion, the overdue
dashboard, and the caller's notifications.

A task outside the caller's scope answers 404 (its existence is not revealed). Errors are the
API's JSON errors, raised as `core.errors` exceptions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from secretariat.accounts import policy
from secretariat.accounts.models import User
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents.models import Document
from secretariat.orgs.models import Unit

from . import selectors_tasks as selectors
from .models import Notification, Task, TaskNote
from .services import notifications as notification_services
from .services import tasks as services

router = Router(tags=["office"])

MAX_LIMIT = 200


class TaskOut(Schema):
    id: UUID
    unit_code: str
    title: str
    description: str
    assignee: str
    coordinators: list[str]
    created_by: str | None
    parent_id: UUID | None
    due_on: dt.date | None
    state: str
    progress: int
    result: str
    overdue: bool
    completed_at: dt.datetime | None


class TaskIn(Schema):
    unit_code: str
    title: str = Field(..., max_length=300)
    assignee: str = Field(..., description="username")
    description: str = ""
    due_on: dt.date | None = None
    working_days: int | None = Field(None, ge=1, le=366)
    coordinators: list[str] = Field(default_factory=list, max_length=50)
    source_document_id: UUID | None = None
    parent_id: UUID | None = None


class TaskQuery(Schema):
    tab: Literal["mine", "unit"] = "mine"
    state: str = ""
    overdue: bool = False
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class NoteIn(Schema):
    text: str = Field(..., max_length=10_000)
    progress: int | None = Field(None, ge=0, le=100)
    attachment_id: UUID | None = None


class NoteOut(Schema):
    id: UUID
    author: str
    text: str
    progress: int | None
    attachment_id: UUID | None
    created_at: dt.datetime


class CompleteIn(Schema):
    result: str = Field(..., max_length=10_000)


class DashboardQuery(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class UnitStatsOut(Schema):
    unit_code: str | None
    unit_name: str | None
    open: int
    open_overdue: int
    due_this_week: int
    done_on_time: int
    done_late: int
    on_time_rate: float | None


class DashboardOut(Schema):
    date_from: dt.date
    date_to: dt.date
    units: list[UnitStatsOut]
    totals: UnitStatsOut


class NotificationOut(Schema):
    id: UUID
    message: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class MarkReadIn(Schema):
    ids: list[UUID] | None = Field(None, description="null: all unread", max_length=500)


class MarkReadOut(Schema):
    marked: int
    unread: int


def _task_out(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "unit_code": task.unit.code,
        "title": task.title,
        "description": task.description,
        "assignee": task.assignee.username,
        "coordinators": [u.username for u in task.coordinators.all()],
        "created_by": task.created_by.username if task.created_by else None,
        "parent_id": task.parent_id,
        "due_on": task.due_on,
        "state": task.state,
        "progress": task.progress,
        "result": task.result,
        "overdue": selectors.is_overdue(task),
        "completed_at": task.completed_at,
    }


def _note_out(note: TaskNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "author": note.author.username,
        "text": note.text,
        "progress": note.progress,
        "attachment_id": note.attachment_id,
        "created_at": note.created_at,
    }


def _user_named(username: str, field: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        message = _("No such user.")
        raise ValidationFailed(message, field_errors={field: [message]})
    return user


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You do not have permission to do this here."))


@router.get("/", response=list[TaskOut], summary="The caller's tasks, or the tasks of their units")
def list_tasks(request: HttpRequest, query: Query[TaskQuery]) -> list[dict[str, Any]]:
    _refuse_unless(selectors.may_see_tasks(request.user))
    if query.tab == "unit":
        _refuse_unless(policy.can(request.user, Action.OFFICE_WORK))
        queryset = selectors.tasks_of_units(user=request.user)
    else:
        queryset = selectors.tasks_of_user(user=request.user)
    tasks = selectors.task_filter(queryset, state=query.state, overdue=query.overdue)
    return [_task_out(t) for t in tasks.prefetch_related("coordinators")[: query.limit]]


@router.post("/", response={201: TaskOut}, summary="Create a task")
def create_task(request: HttpRequest, payload: TaskIn) -> Status[dict[str, Any]]:
    # Refuse callers who work on no unit before reading what the body names.
    _refuse_unless(policy.can(request.user, Action.OFFICE_WORK))
    unit = (
        policy.units_in_scope(request.user, Action.OFFICE_WORK)
        .filter(code=payload.unit_code, active=True)
        .first()
    )
    if unit is None:
        message = _("No such unit among those you work on.")
        raise ValidationFailed(message, field_errors={"unit_code": [message]})
    parent = (
        selectors.task_get(user=request.user, task_id=payload.parent_id)
        if payload.parent_id
        else None
    )
    document = None
    if payload.source_document_id:
        document = Document.objects.filter(pk=payload.source_document_id).first()
        if document is None:
            message = _("No such document.")
            raise ValidationFailed(message, field_errors={"source_document_id": [message]})
    task = services.task_create_entry(
        actor=request.user,
        unit=unit,
        title=payload.title,
        assignee=_user_named(payload.assignee, "assignee"),
        description=payload.description,
        due_on=payload.due_on,
        working_days=payload.working_days,
        coordinators=[_user_named(u, "coordinators") for u in payload.coordinators],
        source_document=document,
        parent=parent,
    )
    return Status(201, _task_out(task))


@router.get("/overdue", response=DashboardOut, summary="Overdue dashboard of the caller's units")
def overdue_dashboard(request: HttpRequest, query: Query[DashboardQuery]) -> dict[str, Any]:
    _refuse_unless(policy.can(request.user, Action.OFFICE_WORK))
    if query.date_from and query.date_to and query.date_to < query.date_from:
        message = _("The end of the period is before its start.")
        raise ValidationFailed(message, field_errors={"date_to": [message]})
    rows, totals = selectors.overdue_dashboard(
        user=request.user, date_from=query.date_from, date_to=query.date_to
    )
    today = clock.today()

    def out(unit: Unit | None, row: selectors.UnitTaskStats) -> dict[str, Any]:
        return {
            "unit_code": unit.code if unit else None,
            "unit_name": unit.name if unit else None,
            "open": row.open,
            "open_overdue": row.open_overdue,
            "due_this_week": row.due_this_week,
            "done_on_time": row.done_on_time,
            "done_late": row.done_late,
            "on_time_rate": row.on_time_rate,
        }

    return {
        "date_from": query.date_from or dt.date(today.year, 1, 1),
        "date_to": query.date_to or today,
        "units": [out(r.unit, r) for r in rows],
        "totals": out(None, totals),
    }


@router.get("/notifications", response=list[NotificationOut], summary="The caller's notifications")
def list_notifications(
    request: HttpRequest, unread: bool = False, limit: int = Query(50, ge=1, le=MAX_LIMIT)
) -> list[Notification]:
    return list(selectors.notifications_of(user=request.user, unread_only=unread)[:limit])


@router.post(
    "/notifications/read",
    response=MarkReadOut,
    summary="Mark the caller's notifications read (the given ids, or all)",
)
def mark_notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    marked = notification_services.notifications_mark_read(user=request.user, ids=payload.ids)
    return {"marked": marked, "unread": selectors.unread_count(user=request.user)}


@router.get("/{uuid:task_id}", response=TaskOut, summary="One task")
def get_task(request: HttpRequest, task_id: UUID) -> dict[str, Any]:
    return _task_out(selectors.task_get(user=request.user, task_id=task_id))


@router.get("/{uuid:task_id}/notes", response=list[NoteOut], summary="The notes of a task")
def list_task_notes(request: HttpRequest, task_id: UUID) -> list[dict[str, Any]]:
    task = selectors.task_get(user=request.user, task_id=task_id)
    return [_note_out(n) for n in selectors.task_notes(task=task)]


@router.post("/{uuid:task_id}/notes", response={201: NoteOut}, summary="Add a note to a task")
def add_task_note(request: HttpRequest, task_id: UUID, payload: NoteIn) -> Status[dict[str, Any]]:
    task = selectors.task_get(user=request.user, task_id=task_id)
    _refuse_unless(services.may_note(request.user, task))
    attachment = None
    if payload.attachment_id:
        attachment = Document.objects.filter(pk=payload.attachment_id).first()
        if attachment is None:
            message = _("No such document.")
            raise ValidationFailed(message, field_errors={"attachment_id": [message]})
    note = services.task_note_add(
        actor=request.user,
        task=task,
        text=payload.text,
        progress=payload.progress,
        attachment=attachment,
    )
    return Status(201, _note_out(note))


@router.post("/{uuid:task_id}/complete", response=TaskOut, summary="Report a task done")
def complete_task(request: HttpRequest, task_id: UUID, payload: CompleteIn) -> dict[str, Any]:
    task = selectors.task_get(user=request.user, task_id=task_id)
    _refuse_unless(services.may_complete(request.user, task))
    task = services.task_complete(actor=request.user, task=task, result=payload.result)
    return _task_out(task)


__all__ = ["router"]
