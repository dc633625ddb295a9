"""Task pages: lists by tab and filter, detail, create, actions; scope (commune A vs B) and
bad input (400, never 500)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.office.models import Task, TaskState
from secretariat.office.services import tasks as services
from secretariat.office.tests import test_tasks as shared

pytestmark = pytest.mark.django_db
world = shared.world  # the shared fixture


def _task(world: dict[str, Any], unit: str = "commune_a", **kwargs: Any) -> Any:
    with transaction.atomic():
        return services.task_create(
            actor=world.get(kwargs.pop("actor", "leader_a") or ""),
            unit=world[unit],
            title=kwargs.pop("title", "Tổng hợp báo cáo"),
            assignee=world[kwargs.pop("assignee", "spec_a")],
            due_on=kwargs.pop("due_on", clock.today() + dt.timedelta(days=14)),
            **kwargs,
        )


def test_my_tasks_and_unit_tasks(world: dict[str, Any], client_for: Any) -> None:
    mine = _task(world, title="MINE-TASK")
    other = _task(world, title="COLLEAGUE-TASK", assignee="spec_a2", unit="cell_a")
    outside = _task(
        world, unit="commune_b", title="OUTSIDE-TASK", actor="leader_b", assignee="spec_b"
    )
    client = client_for(world["spec_a"])
    body = client.get(reverse("office:tasks")).content.decode()
    assert mine.title in body
    assert other.title not in body
    body = client.get(reverse("office:tasks"), {"tab": "unit"}).content.decode()
    assert mine.title in body
    assert other.title in body
    assert outside.title not in body
    # Junk filters are ignored, not a 500.
    response = client.get(reverse("office:tasks"), {"tab": "x", "state": "<b>", "overdue": "maybe"})
    assert response.status_code == 200


def test_overdue_filter(world: dict[str, Any], client_for: Any) -> None:
    late = _task(world, title="LATE-TASK", actor=None)
    Task.objects.filter(pk=late.pk).update(due_on=clock.today() - dt.timedelta(days=3))
    _task(world, title="FINE-TASK")
    body = (
        client_for(world["spec_a"]).get(reverse("office:tasks"), {"overdue": "on"}).content.decode()
    )
    assert "LATE-TASK" in body
    assert "FINE-TASK" not in body


def test_a_member_with_only_a_position_sees_their_task(
    world: dict[str, Any], client_for: Any
) -> None:
    client = client_for(world["member_a"])
    assert client.get(reverse("office:tasks")).status_code == 403
    task = _task(world, assignee="member_a", title="MEMBER-TASK")
    assert "MEMBER-TASK" in client.get(reverse("office:tasks")).content.decode()
    assert client.get(reverse("office:task", args=[task.pk])).status_code == 200
    response = client.post(reverse("office:task_complete", args=[task.pk]), {"result": "Đã xong"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.DONE


def test_detail_outside_is_404(world: dict[str, Any], client_for: Any) -> None:
    outside = _task(world, unit="commune_b", actor="leader_b", assignee="spec_b")
    client = client_for(world["leader_a"])
    assert client.get(reverse("office:task", args=[outside.pk])).status_code == 404
    response = client.post(reverse("office:task_note", args=[outside.pk]), {"text": "x"})
    assert response.status_code == 404


def test_create_with_working_days(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["leader_a"])
    assert client.get(reverse("office:task_create")).status_code == 200
    response = client.post(
        reverse("office:task_create"),
        {
            "unit": str(world["commune_a"].pk),
            "title": "Rà soát hồ sơ",
            "assignee": str(world["spec_a"].pk),
            "coordinators": [str(world["spec_a2"].pk)],
            "working_days": "5",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(title="Rà soát hồ sơ")
    assert list(task.coordinators.all()) == [world["spec_a2"]]
    from secretariat.office.workdays import add_working_days

    assert task.due_on == add_working_days(clock.today(), 5)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"title": "x", "unit": "not-a-unit", "assignee": "nobody", "due_on": "31/02/2026"},
        {"title": "x", "working_days": "-3"},
        {"title": "x", "due_on": "2026-12-30", "working_days": "2"},
    ],
)
def test_create_bad_input_is_400(
    world: dict[str, Any], client_for: Any, data: dict[str, str]
) -> None:
    data = {"unit": str(world["commune_a"].pk), "assignee": str(world["spec_a"].pk), **data}
    response = client_for(world["leader_a"]).post(reverse("office:task_create"), data)
    assert response.status_code == 400
    assert not Task.objects.exists()


def test_create_for_someone_outside_the_unit_is_400(world: dict[str, Any], client_for: Any) -> None:
    """The province leader sees people of both communes; the service refuses a commune-B
    person for a commune-A task and the page says why."""
    response = client_for(world["province_leader"]).post(
        reverse("office:task_create"),
        {"unit": str(world["commune_a"].pk), "title": "x", "assignee": str(world["spec_b"].pk)},
    )
    assert response.status_code == 400
    assert "must hold a position or a role" in response.content.decode()


def test_actions_on_the_page(world: dict[str, Any], client_for: Any) -> None:
    task = _task(world)
    spec = client_for(world["spec_a"])
    page = spec.get(reverse("office:task", args=[task.pk])).content.decode()
    assert reverse("office:task_complete", args=[task.pk]) in page
    assert reverse("office:task_cancel", args=[task.pk]) not in page
    assert spec.post(reverse("office:task_start", args=[task.pk])).status_code == 302
    response = spec.post(
        reverse("office:task_note", args=[task.pk]), {"text": "50%", "progress": "50"}
    )
    assert response.status_code == 302
    response = spec.post(
        reverse("office:task_note", args=[task.pk]), {"text": "", "progress": "500"}
    )
    assert response.status_code == 400
    response = spec.post(
        reverse("office:task_subassign", args=[task.pk]),
        {
            "assignee": str(world["spec_a2"].pk),
            "title": "Phần A",
            "due_on": (task.due_on + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "on or before its parent" in response.content.decode()
    response = spec.post(
        reverse("office:task_subassign", args=[task.pk]),
        {
            "assignee": str(world["spec_a2"].pk),
            "title": "Phần A",
            "due_on": task.due_on.isoformat(),
        },
    )
    assert response.status_code == 302
    # Cancel: the assignee may not; the leader may.
    assert spec.post(reverse("office:task_cancel", args=[task.pk])).status_code == 403
    leader = client_for(world["leader_a"])
    assert (
        leader.post(reverse("office:task_cancel", args=[task.pk]), {"reason": "r"}).status_code
        == 302
    )
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED
    actions = set(
        AuditEvent.objects.filter(object_id=str(task.pk)).values_list("action", flat=True)
    )
    assert {"office.task_started", "office.task_note_added", "office.task_cancelled"} <= actions
    # A closed task refuses further notes with a message, not a 500.
    response = spec.post(reverse("office:task_note", args=[task.pk]), {"text": "late"})
    assert response.status_code == 400


def test_overdue_page(world: dict[str, Any], client_for: Any) -> None:
    late = _task(world, actor=None)
    Task.objects.filter(pk=late.pk).update(due_on=clock.today() - dt.timedelta(days=3))
    outside = _task(world, unit="commune_b", actor="leader_b", assignee="spec_b")
    Task.objects.filter(pk=outside.pk).update(due_on=clock.today() - dt.timedelta(days=3))
    client = client_for(world["leader_a"])
    body = client.get(reverse("office:overdue")).content.decode()
    assert world["commune_a"].code in body
    assert world["commune_b"].code not in body
    bad = client.get(
        reverse("office:overdue"), {"date_from": "2026-12-01", "date_to": "2026-01-01"}
    )
    assert bad.status_code == 400
    assert client_for(world["member_a"]).get(reverse("office:overdue")).status_code == 403


def test_list_query_count_does_not_grow(
    world: dict[str, Any], client_for: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        _task(world, title=f"T{i}")
    client = client_for(world["spec_a"])
    client.get(reverse("office:tasks"))  # warm the session
    with django_assert_max_num_queries(12):
        client.get(reverse("office:tasks"))
