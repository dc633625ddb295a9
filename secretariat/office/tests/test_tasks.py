"""Task services: deadlines in working days, who may be assigned, sub-assignment rules,
completion, cancellation, reassignment, notifications and audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.office import workdays
from secretariat.office.models import Notification, TaskState
from secretariat.office.services import tasks as services

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def world(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """Leaders, a clerk and specialists in commune A (and one leader over the province);
    a specialist and a leader in commune B; an ordinary member of cell A."""
    u = tree
    people = {
        "leader_a": make_user("leader_a", role=Role.LEADER, unit=u["commune_a"]),
        "province_leader": make_user("province_leader", role=Role.LEADER, unit=u["province"]),
        "clerk_a": make_user("clerk_a", role=Role.RECORDS_CLERK, unit=u["commune_a"]),
        "spec_a": make_user(
            "spec_a", role=Role.SPECIALIST, unit=u["commune_a"], position=(u["cell_a"], "CV")
        ),
        "spec_a2": make_user("spec_a2", role=Role.SPECIALIST, unit=u["cell_a"]),
        "member_a": make_user("member_a", position=(u["cell_a"], "Đảng viên")),
        "spec_b": make_user("spec_b", role=Role.SPECIALIST, unit=u["commune_b"]),
        "leader_b": make_user("leader_b", role=Role.LEADER, unit=u["commune_b"]),
    }
    people["spec_a"].email = "spec_a@example.vn"
    people["spec_a"].language = "en"
    people["spec_a"].save()
    return {**u, **people}


def create(**kwargs: Any) -> Any:
    """`task_create` inside its own transaction, as the other office services call it."""
    with transaction.atomic():
        return services.task_create(**kwargs)


def set_today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    monkeypatch.setattr(clock, "today", lambda: day)


def test_a_deadline_in_working_days_skips_tet(world: dict[str, Any], monkeypatch: Any) -> None:
    """Friday 13 February 2026 + 3 working days: Tết (14–22 February) is skipped, so the task
    is due on Wednesday 25 February."""
    assert not workdays.is_working_day(D(2026, 2, 16))  # the calendar data holds Tết
    assert workdays.is_working_day(D(2026, 2, 23))
    set_today(monkeypatch, D(2026, 2, 13))
    task = create(
        actor=world["leader_a"],
        unit=world["commune_a"],
        title="Báo cáo sau Tết",
        assignee=world["spec_a"],
        working_days=3,
    )
    assert task.due_on == D(2026, 2, 25)
    assert task.created_by == world["leader_a"]
    event = AuditEvent.objects.get(action="office.task_created", object_id=str(task.pk))
    assert event.data["due_on"] == "2026-02-25"


def test_task_create_is_not_durable_and_needs_a_transaction(world: dict[str, Any]) -> None:
    """Other services call it inside their own transaction: nesting must work."""
    with transaction.atomic():
        task = services.task_create(
            actor=None, unit=world["commune_a"], title="Nested", assignee=world["spec_a"]
        )
        assert task.pk


def test_the_assignee_is_told_in_app_and_by_email(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        task = services.task_create_entry(
            actor=world["leader_a"],
            unit=world["commune_a"],
            title="Chuẩn bị hội nghị",
            assignee=world["spec_a"],
            due_on=clock.today() + dt.timedelta(days=10),
        )
    note = Notification.objects.get(user=world["spec_a"])
    assert "Chuẩn bị hội nghị" in note.message
    assert note.link.endswith(f"/office/tasks/{task.pk}/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["spec_a@example.vn"]


def test_the_assignee_must_hold_a_position_or_role_in_the_units_scope(
    world: dict[str, Any],
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        create(
            actor=world["leader_a"],
            unit=world["commune_a"],
            title="Ngoài phạm vi",
            assignee=world["spec_b"],
        )
    assert "assignee" in exc.value.field_errors
    # A member holding only a position in cell A may be given a task of commune A.
    task = create(
        actor=world["leader_a"], unit=world["commune_a"], title="OK", assignee=world["member_a"]
    )
    assert task.assignee == world["member_a"]
    # The province leader's grant covers commune A from above.
    task = create(
        actor=world["leader_a"],
        unit=world["commune_a"],
        title="OK2",
        assignee=world["province_leader"],
    )
    assert task.assignee == world["province_leader"]


def test_an_actor_outside_the_unit_is_refused(world: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        create(
            actor=world["leader_b"],
            unit=world["commune_a"],
            title="Không được",
            assignee=world["spec_a"],
        )
    with pytest.raises(PermissionDenied):
        create(actor=world["member_a"], unit=world["cell_a"], title="x", assignee=world["spec_a2"])
    assert not AuditEvent.objects.filter(action="office.task_created").exists()


def test_bad_input_is_named(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as exc:
        create(
            actor=world["leader_a"],
            unit=world["commune_a"],
            title=" ",
            assignee=world["spec_a"],
            due_on=clock.today() - dt.timedelta(days=1),
            working_days=2,
        )
    assert {"title", "due_on"} <= set(exc.value.field_errors)
    with pytest.raises(ValidationFailed) as exc:
        create(
            actor=world["leader_a"],
            unit=world["commune_a"],
            title="t",
            assignee=world["spec_a"],
            working_days=0,
        )
    assert "working_days" in exc.value.field_errors


def _parent(world: dict[str, Any], **kwargs: Any) -> Any:
    return create(
        actor=world["leader_a"],
        unit=world["commune_a"],
        title="Kế hoạch",
        assignee=kwargs.pop("assignee", world["spec_a"]),
        due_on=clock.today() + dt.timedelta(days=20),
        **kwargs,
    )


def test_a_sub_task_is_not_due_after_its_parent(world: dict[str, Any]) -> None:
    parent = _parent(world)
    with pytest.raises(ValidationFailed) as exc:
        services.task_subassign(
            actor=world["spec_a"],
            task=parent,
            assignee=world["spec_a2"],
            title="Phần 1",
            due_on=parent.due_on + dt.timedelta(days=1),
        )
    assert "due_on" in exc.value.field_errors
    # Without a date either: a sub-task of a task with a deadline has one too.
    with pytest.raises(ValidationFailed):
        services.task_subassign(
            actor=world["spec_a"], task=parent, assignee=world["spec_a2"], title="P", due_on=None
        )
    child = services.task_subassign(
        actor=world["spec_a"],
        task=parent,
        assignee=world["spec_a2"],
        title="Phần 1",
        due_on=parent.due_on,
    )
    assert child.parent == parent
    assert child.unit == parent.unit
    assert child.created_by == world["spec_a"]


def test_who_may_sub_assign(world: dict[str, Any]) -> None:
    """The assignee (even one with only a position) and the unit's leaders may; a colleague
    with `office.work` on the unit may not."""
    parent = _parent(world, assignee=world["member_a"])
    due = parent.due_on
    child = services.task_subassign(
        actor=world["member_a"], task=parent, assignee=world["spec_a2"], title="P1", due_on=due
    )
    assert child.created_by == world["member_a"]
    services.task_subassign(
        actor=world["leader_a"], task=parent, assignee=world["spec_a"], title="P2", due_on=due
    )
    with pytest.raises(PermissionDenied):
        services.task_subassign(
            actor=world["clerk_a"], task=parent, assignee=world["spec_a"], title="P3", due_on=due
        )


def test_complete_needs_closed_sub_tasks_and_a_result(world: dict[str, Any]) -> None:
    parent = _parent(world)
    child = services.task_subassign(
        actor=world["spec_a"],
        task=parent,
        assignee=world["spec_a2"],
        title="Phần 1",
        due_on=parent.due_on,
    )
    with pytest.raises(ValidationFailed):
        services.task_complete(actor=world["spec_a"], task=parent, result="  ")
    with pytest.raises(Conflict):
        services.task_complete(actor=world["spec_a"], task=parent, result="Xong")
    with pytest.raises(PermissionDenied):
        services.task_complete(actor=world["spec_a"], task=child, result="Xong")
    services.task_complete(actor=world["spec_a2"], task=child, result="Xong phần 1")
    done = services.task_complete(actor=world["spec_a"], task=parent, result="Xong")
    assert done.state == TaskState.DONE
    assert done.progress == 100
    assert done.completed_at is not None
    assert AuditEvent.objects.filter(action="office.task_completed").count() == 2
    # The assigner hears about it.
    assert Notification.objects.filter(user=world["leader_a"], message__contains="done").exists()
    with pytest.raises(Conflict):
        services.task_complete(actor=world["spec_a"], task=parent, result="Again")


def test_cancel_takes_the_open_sub_tasks_along(world: dict[str, Any]) -> None:
    parent = _parent(world)
    child = services.task_subassign(
        actor=world["spec_a"],
        task=parent,
        assignee=world["spec_a2"],
        title="P",
        due_on=parent.due_on,
    )
    with pytest.raises(PermissionDenied):
        services.task_cancel(actor=world["spec_a"], task=parent, reason="no")
    services.task_cancel(actor=world["leader_a"], task=parent, reason="Không còn cần")
    child.refresh_from_db()
    parent.refresh_from_db()
    assert parent.state == child.state == TaskState.CANCELLED
    assert AuditEvent.objects.filter(action="office.task_cancelled").count() == 2


def test_reassign_tells_both_and_restarts_the_reminder(world: dict[str, Any]) -> None:
    task = _parent(world)
    with pytest.raises(PermissionDenied):
        services.task_reassign(actor=world["spec_a"], task=task, assignee=world["spec_a2"])
    with pytest.raises(ValidationFailed):
        services.task_reassign(actor=world["leader_a"], task=task, assignee=world["spec_b"])
    task = services.task_reassign(actor=world["leader_a"], task=task, assignee=world["spec_a2"])
    assert task.assignee == world["spec_a2"]
    assert Notification.objects.filter(user=world["spec_a2"]).count() == 1
    assert Notification.objects.filter(user=world["spec_a"], message__contains="someone").exists()
    assert AuditEvent.objects.filter(action="office.task_reassigned").count() == 1


def test_notes_and_progress(world: dict[str, Any]) -> None:
    task = _parent(world, coordinators=[world["spec_a2"]])
    note = services.task_note_add(actor=world["spec_a"], task=task, text="Đang làm", progress=40)
    task.refresh_from_db()
    assert (task.progress, task.state, note.progress) == (40, TaskState.IN_PROGRESS, 40)
    # A coordinator adds notes but does not report the assignee's progress.
    services.task_note_add(actor=world["spec_a2"], task=task, text="Góp ý")
    with pytest.raises(ValidationFailed) as exc:
        services.task_note_add(actor=world["spec_a2"], task=task, text="x", progress=90)
    assert "progress" in exc.value.field_errors
    # Someone of another commune cannot.
    with pytest.raises(PermissionDenied):
        services.task_note_add(actor=world["spec_b"], task=task, text="x")
    assert AuditEvent.objects.filter(action="office.task_note_added").count() == 2


def test_start(world: dict[str, Any]) -> None:
    task = _parent(world)
    with pytest.raises(PermissionDenied):
        services.task_start(actor=world["leader_a"], task=task)
    assert services.task_start(actor=world["spec_a"], task=task).state == TaskState.IN_PROGRESS
    with pytest.raises(Conflict):
        services.task_start(actor=world["spec_a"], task=task)
