"""Services of tasks: the only code that changes tasks, their notes, and the working-day calendar.

A task is work with one owner (the assignee) and a deadline counted in working days (Decree
30/2020/NĐ-CP Art. 23–24: the leader's instruction names who handles a document and by when, and
someone follows up). Every public service takes keyword-only arguments, the acting user first
(`actor=None` is the system: the reminder job, management commands), checks the actor's rights
through `accounts.policy` on the task's unit, writes, and appends an audit event in the same
transaction. Notifications are written in that transaction too (a notification exists only if
the change it announces does); e-mails leave after the commit.

Entry points called by views, the API and jobs are `@transaction.atomic(durable=True)` so they
cannot be nested by accident. `task_create` is the exception: the incoming-processing and
directive services call it inside their own transactions, so it is non-durable and must be
called inside a transaction (the views use `task_create_entry`, its durable twin).

Who may do what on a task (besides the unit-wide right `office.work`, which lets a user see
and annotate the tasks of their units):

* the assignee starts it, reports progress, sub-assigns parts of it and completes it;
* the assigner (`created_by`) and the unit's leaders (`office.instruct`) reassign and cancel it,
  and may sub-assign it too;
* coordinators see it and add notes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.models import User
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update, serialize_writes
from secretariat.documents.models import Document
from secretariat.documents.selectors import documents_visible_to
from secretariat.orgs.models import Unit

from .. import workdays
from ..models import CalendarDay, CalendarDayKind, Instruction, Task, TaskNote, TaskState
from ..selectors_tasks import assignee_candidates, unit_leaders
from .notifications import notify

log = logging.getLogger(__name__)

OPEN_STATES = (TaskState.OPEN, TaskState.IN_PROGRESS)
DEFAULT_REMINDER_WORKING_DAYS = 1
MAX_WORKING_DAYS = 366

__all__ = [
    "OPEN_STATES",
    "assignee_candidates",
    "calendar_day_remove",
    "calendar_day_set",
    "can_edit_calendar",
    "may_cancel",
    "may_complete",
    "may_note",
    "may_reassign",
    "may_subassign",
    "task_cancel",
    "task_complete",
    "task_create",
    "task_create_entry",
    "task_note_add",
    "task_reassign",
    "task_start",
    "task_subassign",
    "tasks_remind_and_escalate",
    "unit_leaders",
]


# --- Who ----------------------------------------------------------------------------------------


def _is(user: Any, other_id: Any) -> bool:
    return user is not None and other_id is not None and user.pk == other_id


def _is_coordinator(user: Any, task: Task) -> bool:
    return task.coordinators.filter(pk=user.pk).exists()


def may_note(user: Any, task: Task) -> bool:
    """Participants and anyone with `office.work` on the task's unit may add a note."""
    if user is None:
        return True
    return (
        _is(user, task.assignee_id)
        or _is(user, task.created_by_id)
        or policy.can(user, Action.OFFICE_WORK, task.unit)
        or _is_coordinator(user, task)
    )


def may_complete(user: Any, task: Task) -> bool:
    return user is None or _is(user, task.assignee_id)


def may_reassign(user: Any, task: Task) -> bool:
    if user is None:
        return True
    return _is(user, task.created_by_id) or policy.can(user, Action.OFFICE_INSTRUCT, task.unit)


may_cancel = may_reassign


def may_subassign(user: Any, task: Task) -> bool:
    return may_complete(user, task) or may_reassign(user, task)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You do not have permission to do this here."))


def _require_open(task: Task) -> None:
    if task.state not in OPEN_STATES:
        raise Conflict(_("This task is closed."))


# --- Notifications ------------------------------------------------------------------------------


def _tell(user: User, message: Promise | str, task: Task) -> None:
    """An in-app notification, and an e-mail after the commit when the user has an address.
    Written in the user's own language: the job that sends reminders has no request."""
    link = reverse("office:task", args=[task.pk])
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        text = str(message)
        subject = str(_("Secretariat: %(title)s") % {"title": task.title[:120]})
    notify(user=user, message=text, link=link)
    email = (user.email or "").strip()
    if email:

        def _send() -> None:
            # A mail server that is down must not undo the change nor fail the job: the in-app
            # notification is already there.
            try:
                send_mail(subject, f"{text}\n\n{link}", None, [email], fail_silently=False)
            except Exception:
                log.warning("could not e-mail a notification to user %s", user.pk, exc_info=True)

        transaction.on_commit(_send)


def _snapshot(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "assignee": str(task.assignee_id),
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "state": task.state,
        "progress": task.progress,
        "result": task.result,
    }


def _audit(actor: Any, action: str, task: Task, before: Any, data: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        action=action,
        unit=task.unit,
        obj=task,
        before=before,
        after=_snapshot(task),
        data={"title": task.title[:120], **data},
    )


def _lock(task: Task) -> Task:
    # Lock the task row only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer
    # join that `created_by` brings, and the unit and the people are not changed here.
    return (
        for_update(Task.objects, of=("self",))
        .select_related("unit", "assignee", "created_by")
        .get(pk=task.pk)
    )


# --- Creating -----------------------------------------------------------------------------------


def _check_assignee(unit: Unit, assignee: Any, field: str = "assignee") -> None:
    if assignee is None or not assignee_candidates(unit=unit).filter(pk=assignee.pk).exists():
        message = _("The assignee must hold a position or a role in this unit or below it.")
        raise ValidationFailed(message, field_errors={field: [message]})


def task_create(
    *,
    actor: Any | None,
    unit: Unit,
    title: str,
    assignee: User,
    description: str = "",
    due_on: dt.date | None = None,
    working_days: int | None = None,
    coordinators: Sequence[User] = (),
    source_document: Document | None = None,
    instruction: Instruction | None = None,
    parent: Task | None = None,
) -> Task:
    """Create a task and tell its assignee. NON-durable: runs inside the caller's transaction
    (incoming processing and directives create tasks as part of their own change); views and
    the API call `task_create_entry`.

    `working_days` gives the deadline as that many working days after today (weekends, holidays
    and worked Saturdays from the calendar); it and `due_on` are exclusive. A sub-task
    (`parent`) belongs to the parent's unit or a unit below it and is due no later than the
    parent.
    """
    if actor is not None:
        policy.require(actor, Action.OFFICE_WORK, unit)
    return _create(
        actor=actor,
        unit=unit,
        title=title,
        assignee=assignee,
        description=description,
        due_on=due_on,
        working_days=working_days,
        coordinators=coordinators,
        source_document=source_document,
        instruction=instruction,
        parent=parent,
    )


def _create(
    *,
    actor: Any | None,
    unit: Unit,
    title: str,
    assignee: User,
    description: str = "",
    due_on: dt.date | None = None,
    working_days: int | None = None,
    coordinators: Sequence[User] = (),
    source_document: Document | None = None,
    instruction: Instruction | None = None,
    parent: Task | None = None,
) -> Task:
    """`task_create` once the actor's right is established."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("task_create must run inside a transaction")
    errors: dict[str, list[str | Promise]] = {}
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("The title must not be empty."))
    elif len(title) > 300:
        errors.setdefault("title", []).append(_("The title is too long (300 characters at most)."))
    if due_on is not None and working_days is not None:
        errors.setdefault("due_on", []).append(
            _("Give either a due date or a number of working days, not both.")
        )
    if working_days is not None:
        if not 0 < working_days <= MAX_WORKING_DAYS:
            errors.setdefault("working_days", []).append(
                _("The number of working days must be between 1 and %(max)d.")
                % {"max": MAX_WORKING_DAYS}
            )
        else:
            due_on = workdays.add_working_days(clock.today(), working_days)
    # The system may record tasks with past deadlines (imports); people may not.
    if due_on is not None and actor is not None and due_on < clock.today():
        errors.setdefault("due_on", []).append(_("The due date is in the past."))
    if parent is not None:
        if not unit.path.startswith(parent.unit.path):
            errors.setdefault("unit", []).append(
                _("A sub-task belongs to the unit of its parent task or a unit below it.")
            )
        if parent.state not in OPEN_STATES:
            errors.setdefault("parent", []).append(_("The parent task is closed."))
        if parent.due_on is not None and (due_on is None or due_on > parent.due_on):
            errors.setdefault("due_on", []).append(
                _("A sub-task must be due on or before its parent task (%(date)s).")
                % {"date": parent.due_on.strftime("%d/%m/%Y")}
            )
    if errors:
        raise ValidationFailed(_("The task cannot be created."), field_errors=errors)
    _check_assignee(unit, assignee)
    for coordinator in coordinators:
        _check_assignee(unit, coordinator, "coordinators")
    serialize_writes()
    task = Task.objects.create(
        unit=unit,
        title=title,
        description=description or "",
        assignee=assignee,
        created_by=actor,
        parent=parent,
        instruction=instruction,
        source_document=source_document,
        due_on=due_on,
    )
    coordinator_list = [c for c in coordinators if c.pk != assignee.pk]
    if coordinator_list:
        task.coordinators.set(coordinator_list)
    _audit(
        actor,
        "office.task_created",
        task,
        None,
        {
            "assignee": assignee.username,
            "due_on": due_on.isoformat() if due_on else None,
            "parent": str(parent.pk) if parent else None,
        },
    )
    due = due_on.strftime("%d/%m/%Y") if due_on else _("no deadline")
    _tell(
        assignee,
        _("New task for you: %(title)s (due %(due)s).") % {"title": title, "due": due},
        task,
    )
    for coordinator in coordinator_list:
        _tell(
            coordinator,
            _("You coordinate the task: %(title)s (due %(due)s).") % {"title": title, "due": due},
            task,
        )
    return task


@transaction.atomic(durable=True)
def task_create_entry(
    *,
    actor: Any | None,
    unit: Unit,
    title: str,
    assignee: User,
    description: str = "",
    due_on: dt.date | None = None,
    working_days: int | None = None,
    coordinators: Sequence[User] = (),
    source_document: Document | None = None,
    parent: Task | None = None,
) -> Task:
    """`task_create` in its own durable transaction (views, the API, commands).

    A document the actor cannot read is refused here: only the callers that already checked
    their own documents (incoming processing) pass one to `task_create` directly."""
    if (
        actor is not None
        and source_document is not None
        and not documents_visible_to(user=actor).filter(pk=source_document.pk).exists()
    ):
        raise NotFound(_("No such document."))
    return task_create(
        actor=actor,
        unit=unit,
        title=title,
        assignee=assignee,
        description=description,
        due_on=due_on,
        working_days=working_days,
        coordinators=coordinators,
        source_document=source_document,
        parent=parent,
    )


# --- Working on a task --------------------------------------------------------------------------


@transaction.atomic(durable=True)
def task_start(*, actor: Any | None, task: Task) -> Task:
    """The assignee starts work: open → in progress."""
    task = _lock(task)
    _require(may_complete(actor, task))
    if task.state != TaskState.OPEN:
        raise Conflict(_("Only an open task can be started."))
    before = _snapshot(task)
    task.state = TaskState.IN_PROGRESS
    task.save(update_fields=["state", "updated_at"])
    _audit(actor, "office.task_started", task, before, {})
    return task


def task_note_add_in(
    *,
    actor: Any,
    task: Task,
    text: str,
    progress: int | None = None,
    attachment: Document | None = None,
) -> TaskNote:
    """Add a progress note (non-durable: for services that already hold a transaction).

    Only the assignee reports progress (0–100 %); a note with progress starts an open task.
    A note always has a person as author: the system writes none."""
    if actor is None:
        raise ValueError("a task note needs an author")
    task = _lock(task)
    _require(may_note(actor, task))
    _require_open(task)
    errors: dict[str, list[str | Promise]] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("The note must not be empty.")]
    if progress is not None:
        if not 0 <= progress <= 100:
            errors["progress"] = [_("Progress is a percentage between 0 and 100.")]
        elif not may_complete(actor, task):
            errors["progress"] = [_("Only the assignee reports the progress of a task.")]
    if errors:
        raise ValidationFailed(_("The note cannot be added."), field_errors=errors)
    if (
        attachment is not None
        and actor is not None
        and not documents_visible_to(user=actor).filter(pk=attachment.pk).exists()
    ):
        message = _("No such document.")
        raise ValidationFailed(message, field_errors={"attachment": [message]})
    before = _snapshot(task)
    note = TaskNote.objects.create(
        task=task, author=actor, text=text, progress=progress, attachment=attachment
    )
    if progress is not None:
        task.progress = progress
        if task.state == TaskState.OPEN:
            task.state = TaskState.IN_PROGRESS
        task.save(update_fields=["progress", "state", "updated_at"])
    _audit(
        actor,
        "office.task_note_added",
        task,
        before,
        {"note": str(note.pk), "progress": progress},
    )
    return note


@transaction.atomic(durable=True)
def task_note_add(
    *,
    actor: Any,
    task: Task,
    text: str,
    progress: int | None = None,
    attachment: Document | None = None,
) -> TaskNote:
    """Add a progress note to an open task (see `task_note_add_in`)."""
    return task_note_add_in(
        actor=actor, task=task, text=text, progress=progress, attachment=attachment
    )


@transaction.atomic(durable=True)
def task_subassign(
    *, actor: Any | None, task: Task, assignee: User, title: str, due_on: dt.date | None
) -> Task:
    """Hand part of a task to someone else: a child task in the same unit, due no later than
    the parent. The parent stays with its assignee, who answers for the whole."""
    task = _lock(task)
    _require(may_subassign(actor, task))
    _require_open(task)
    # The right comes from the task itself, not from `office.work` on the unit: its assignee
    # may hold only a position there.
    return _create(
        actor=actor, unit=task.unit, title=title, assignee=assignee, due_on=due_on, parent=task
    )


@transaction.atomic(durable=True)
def task_complete(*, actor: Any | None, task: Task, result: str) -> Task:
    """The assignee reports the task done with its result. A task with open sub-tasks is not
    done: they are finished or cancelled first."""
    task = _lock(task)
    _require(may_complete(actor, task))
    _require_open(task)
    result = (result or "").strip()
    if not result:
        message = _("Describe the result.")
        raise ValidationFailed(message, field_errors={"result": [message]})
    if task.children.filter(state__in=OPEN_STATES).exists():
        raise Conflict(_("Finish or cancel the sub-tasks first."))
    before = _snapshot(task)
    task.state = TaskState.DONE
    task.result = result
    task.progress = 100
    task.completed_at = clock.now()
    task.save(update_fields=["state", "result", "progress", "completed_at", "updated_at"])
    on_time = task.due_on is None or clock.today() <= task.due_on
    _audit(actor, "office.task_completed", task, before, {"on_time": on_time})
    if task.created_by is not None and not _is(actor, task.created_by_id):
        _tell(task.created_by, _("Task done: %(title)s.") % {"title": task.title}, task)
    return task


@transaction.atomic(durable=True)
def task_cancel(*, actor: Any | None, task: Task, reason: str = "") -> Task:
    """The assigner or a leader cancels a task; its open sub-tasks go with it (they only
    served it)."""
    task = _lock(task)
    _require(may_cancel(actor, task))
    _require_open(task)
    return _cancel_tree(actor=actor, task=task, reason=(reason or "").strip())


def _cancel_tree(*, actor: Any | None, task: Task, reason: str) -> Task:
    before = _snapshot(task)
    task.state = TaskState.CANCELLED
    task.result = reason
    task.save(update_fields=["state", "result", "updated_at"])
    _audit(actor, "office.task_cancelled", task, before, {"reason": reason[:200]})
    if not _is(actor, task.assignee_id):
        _tell(task.assignee, _("Task cancelled: %(title)s.") % {"title": task.title}, task)
    children = for_update(Task.objects, of=("self",)).select_related(
        "unit", "assignee", "created_by"
    )
    for child in children.filter(parent=task, state__in=OPEN_STATES).order_by("pk"):
        _cancel_tree(actor=actor, task=child, reason=reason)
    return task


@transaction.atomic(durable=True)
def task_reassign(*, actor: Any | None, task: Task, assignee: User) -> Task:
    """Give an open task to someone else (the assigner or a leader). The reminder and the
    escalation start afresh for the new assignee."""
    task = _lock(task)
    _require(may_reassign(actor, task))
    _require_open(task)
    _check_assignee(task.unit, assignee)
    if assignee.pk == task.assignee_id:
        message = _("This person already has the task.")
        raise ValidationFailed(message, field_errors={"assignee": [message]})
    before = _snapshot(task)
    previous = task.assignee
    task.assignee = assignee
    task.reminded_at = None
    task.save(update_fields=["assignee", "reminded_at", "updated_at"])
    _audit(
        actor,
        "office.task_reassigned",
        task,
        before,
        {"from": previous.username, "to": assignee.username},
    )
    due = task.due_on.strftime("%d/%m/%Y") if task.due_on else _("no deadline")
    _tell(
        assignee,
        _("New task for you: %(title)s (due %(due)s).") % {"title": task.title, "due": due},
        task,
    )
    _tell(previous, _("Task given to someone else: %(title)s.") % {"title": task.title}, task)
    return task


# --- Reminders and escalation -------------------------------------------------------------------


def _reminder_working_days() -> int:
    value = getattr(settings, "TASK_REMINDER_WORKING_DAYS", DEFAULT_REMINDER_WORKING_DAYS)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return DEFAULT_REMINDER_WORKING_DAYS


def _remind_one(task_id: Any, today: dt.date) -> bool:
    with transaction.atomic(durable=True):
        # Re-read under the lock: another worker may have reminded it meanwhile.
        task = (
            for_update(Task.objects, of=("self",))
            .select_related("unit", "assignee")
            .filter(pk=task_id, reminded_at__isnull=True, state__in=OPEN_STATES)
            .first()
        )
        if task is None or task.due_on is None:
            return False
        task.reminded_at = clock.now()
        task.save(update_fields=["reminded_at", "updated_at"])
        left = workdays.working_days_between(today, task.due_on)
        audit.record(
            actor=None,
            action="office.task_reminded",
            unit=task.unit,
            obj=task,
            data={"title": task.title[:120], "due_on": task.due_on.isoformat(), "left": left},
        )
        _tell(
            task.assignee,
            _("Reminder: the task %(title)s is due on %(date)s.")
            % {"title": task.title, "date": task.due_on.strftime("%d/%m/%Y")},
            task,
        )
        return True


def _escalate_one(task_id: Any) -> bool:
    with transaction.atomic(durable=True):
        task = (
            for_update(Task.objects, of=("self",))
            .select_related("unit", "assignee", "created_by")
            .filter(pk=task_id, escalated_at__isnull=True, state__in=OPEN_STATES)
            .first()
        )
        if task is None or task.due_on is None:
            return False
        task.escalated_at = clock.now()
        task.save(update_fields=["escalated_at", "updated_at"])
        recipients: dict[Any, User] = {u.pk: u for u in unit_leaders(unit=task.unit)}
        if task.created_by is not None and task.created_by.is_active:
            recipients[task.created_by.pk] = task.created_by
        audit.record(
            actor=None,
            action="office.task_escalated",
            unit=task.unit,
            obj=task,
            data={
                "title": task.title[:120],
                "due_on": task.due_on.isoformat(),
                "assignee": task.assignee.username,
                "notified": sorted(u.username for u in recipients.values()),
            },
        )
        name = task.assignee.full_name or task.assignee.username
        for user in sorted(recipients.values(), key=lambda u: str(u.pk)):
            _tell(
                user,
                _("Overdue: the task %(title)s of %(name)s was due on %(date)s.")
                % {"title": task.title, "name": name, "date": task.due_on.strftime("%d/%m/%Y")},
                task,
            )
        return True


def tasks_remind_and_escalate(*, today: dt.date | None = None) -> dict[str, int]:
    """Remind assignees of tasks due within `TASK_REMINDER_WORKING_DAYS` working days (setting,
    default 1), and escalate tasks whose deadline has passed to their assigner and the leaders
    of their unit (Decree 30 Art. 24: someone follows up). Each happens once per task. Every
    task is handled in its own transaction, so one failure does not undo the others and two
    workers running the job at once do not notify twice."""
    today = today or clock.today()
    horizon = workdays.add_working_days(today, _reminder_working_days())
    due_soon = Task.objects.filter(
        state__in=OPEN_STATES,
        reminded_at__isnull=True,
        escalated_at__isnull=True,
        due_on__gte=today,
        due_on__lte=horizon,
    )
    overdue = Task.objects.filter(
        state__in=OPEN_STATES, escalated_at__isnull=True, due_on__lt=today
    )
    reminded = sum(
        _remind_one(pk, today)
        for pk in due_soon.order_by("due_on", "pk").values_list("pk", flat=True)
    )
    escalated = sum(
        _escalate_one(pk) for pk in overdue.order_by("due_on", "pk").values_list("pk", flat=True)
    )
    return {"reminded": reminded, "escalated": escalated}


# --- Calendar -------------------------------------------------------------------------------------


def can_edit_calendar(user: Any) -> bool:
    """Records clerks (anywhere) and system administrators keep the node's one calendar."""
    return policy.can(user, Action.OFFICE_CLERK) or policy.is_system_admin(user)


@transaction.atomic(durable=True)
def calendar_day_set(*, actor: Any | None, date: dt.date, name: str, kind: str) -> CalendarDay:
    """Declare a holiday or a worked weekend day (a compensation day). Deadlines already
    computed keep their date; new ones count the new calendar."""
    if actor is not None and not can_edit_calendar(actor):
        raise PermissionDenied(_("You do not have permission to do this here."))
    errors: dict[str, list[str | Promise]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the day a name.")]
    elif len(name) > 150:
        errors["name"] = [_("The name is too long (150 characters at most).")]
    if kind not in CalendarDayKind.values:
        errors["kind"] = [_("Choose a holiday or a worked weekend day.")]
    elif kind == CalendarDayKind.WORKING and date.weekday() not in workdays.WEEKEND:
        errors["kind"] = [_("Only a Saturday or a Sunday can be a worked weekend day.")]
    if errors:
        raise ValidationFailed(_("The day cannot be saved."), field_errors=errors)
    serialize_writes()
    existing = CalendarDay.objects.filter(date=date).first()
    before = {"name": existing.name, "kind": existing.kind} if existing else None
    day, _created = CalendarDay.objects.update_or_create(
        date=date, defaults={"name": name, "kind": kind}
    )
    audit.record(
        actor=actor,
        action="office.calendar_day_set",
        object_type="office.calendarday",
        object_id=date.isoformat(),
        before=before,
        after={"name": name, "kind": kind},
        data={"date": date.isoformat(), "name": name[:120], "kind": kind},
    )
    return day


@transaction.atomic(durable=True)
def calendar_day_remove(*, actor: Any | None, date: dt.date) -> None:
    """Remove a day from the calendar: it becomes an ordinary weekday or weekend day."""
    if actor is not None and not can_edit_calendar(actor):
        raise PermissionDenied(_("You do not have permission to do this here."))
    serialize_writes()
    day = CalendarDay.objects.filter(date=date).first()
    if day is None:
        raise NotFound(_("This day is not in the calendar."))
    before = {"name": day.name, "kind": day.kind}
    day.delete()
    audit.record(
        actor=actor,
        action="office.calendar_day_removed",
        object_type="office.calendarday",
        object_id=date.isoformat(),
        before=before,
        data={"date": date.isoformat(), "name": before["name"][:120]},
    )


def users_by_ids(ids: Iterable[Any]) -> list[User]:
    """Active users by primary key (for forms and the API), in the given order."""
    wanted = list(ids)
    found = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    return [found[i] for i in wanted if i in found]
