"""Reminders before the deadline and escalation after it (`tasks_remind_and_escalate`), run
with explicit dates: once per task, to the right people, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from secretariat.audit.models import AuditEvent
from secretariat.office.models import Notification, Task
from secretariat.office.services import tasks as services
from secretariat.office.tests import test_tasks as shared

pytestmark = pytest.mark.django_db
world = shared.world  # the shared fixture
D = dt.date
# Monday 30 November 2026; Friday 27 is the working day before it.
DUE = D(2026, 11, 30)


def _task(world: dict[str, Any], due_on: dt.date = DUE, **kwargs: Any) -> Task:
    with transaction.atomic():
        task = services.task_create(
            actor=None,
            unit=world["commune_a"],
            title=kwargs.pop("title", "Báo cáo quý"),
            assignee=world["spec_a"],
            due_on=due_on,
            **kwargs,
        )
    task.created_by = world["clerk_a"]  # the assigner, told of the escalation
    task.save(update_fields=["created_by"])
    Notification.objects.all().delete()
    return task


def _messages(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("message", flat=True))


def test_reminder_one_working_day_before_once(world: dict[str, Any]) -> None:
    task = _task(world)
    # Thursday: the deadline is two working days away.
    assert services.tasks_remind_and_escalate(today=D(2026, 11, 26)) == {
        "reminded": 0,
        "escalated": 0,
    }
    # Friday: one working day (the weekend does not count).
    result = services.tasks_remind_and_escalate(today=D(2026, 11, 27))
    assert result == {"reminded": 1, "escalated": 0}
    task.refresh_from_db()
    assert task.reminded_at is not None
    assert any("Reminder" in m and "30/11/2026" in m for m in _messages(world["spec_a"]))
    event = AuditEvent.objects.get(action="office.task_reminded")
    assert event.object_id == str(task.pk)
    assert event.actor_id is None
    # Once only: the same day, and the deadline day itself.
    assert services.tasks_remind_and_escalate(today=D(2026, 11, 27))["reminded"] == 0
    assert services.tasks_remind_and_escalate(today=DUE)["reminded"] == 0
    assert len(_messages(world["spec_a"])) == 1
    assert AuditEvent.objects.filter(action="office.task_reminded").count() == 1


def test_the_reminder_horizon_is_a_setting(world: dict[str, Any], settings: Any) -> None:
    _task(world)
    settings.TASK_REMINDER_WORKING_DAYS = 2
    assert services.tasks_remind_and_escalate(today=D(2026, 11, 26))["reminded"] == 1


def test_reminder_skips_tet(world: dict[str, Any]) -> None:
    """A task due Monday 23 February 2026 is reminded on Friday 13 February, the last working
    day before Tết, not during the holiday."""
    _task(world, due_on=D(2026, 2, 23))
    assert services.tasks_remind_and_escalate(today=D(2026, 2, 12))["reminded"] == 0
    assert services.tasks_remind_and_escalate(today=D(2026, 2, 13))["reminded"] == 1


def test_escalation_the_day_after_the_deadline(world: dict[str, Any]) -> None:
    task = _task(world)
    # The deadline day itself is not late.
    assert services.tasks_remind_and_escalate(today=DUE)["escalated"] == 0
    result = services.tasks_remind_and_escalate(today=D(2026, 12, 1))
    assert result["escalated"] == 1
    task.refresh_from_db()
    assert task.escalated_at is not None
    # The assigner and the leaders of the unit and above; never a leader of another commune,
    # and not the assignee (whose reminder came before).
    for name in ("clerk_a", "leader_a", "province_leader"):
        messages = _messages(world[name])
        assert len(messages) == 1, name
        assert "Overdue" in messages[0]
        assert "Báo cáo quý" in messages[0]
    assert _messages(world["leader_b"]) == []
    event = AuditEvent.objects.get(action="office.task_escalated")
    assert set(event.data["notified"]) == {"clerk_a", "leader_a", "province_leader"}
    # Once only.
    assert services.tasks_remind_and_escalate(today=D(2026, 12, 2))["escalated"] == 0
    assert AuditEvent.objects.filter(action="office.task_escalated").count() == 1
    assert len(_messages(world["leader_a"])) == 1


def test_closed_tasks_and_tasks_without_deadline_are_left_alone(
    world: dict[str, Any],
) -> None:
    done = _task(world, title="Done")
    services.task_complete(actor=world["spec_a"], task=done, result="ok")
    cancelled = _task(world, title="Cancelled")
    services.task_cancel(actor=world["clerk_a"], task=cancelled)
    _task(world, due_on=None, title="No deadline")  # type: ignore[arg-type]
    assert services.tasks_remind_and_escalate(today=D(2026, 12, 10)) == {
        "reminded": 0,
        "escalated": 0,
    }


def test_an_overdue_task_is_escalated_not_reminded(world: dict[str, Any]) -> None:
    _task(world)
    assert services.tasks_remind_and_escalate(today=D(2026, 12, 3)) == {
        "reminded": 0,
        "escalated": 1,
    }


def test_the_huey_job_calls_the_service(world: dict[str, Any]) -> None:
    from secretariat.office import jobs_tasks

    _task(world, due_on=D(2020, 1, 6))
    result = jobs_tasks.tasks_remind_and_escalate.call_local()
    assert result == {"reminded": 0, "escalated": 1}
