"""The working-day calendar page: everyone reads it; records clerks and system administrators
add and remove holidays and worked days, audited; deadlines follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.office.models import CalendarDay
from secretariat.office.tests import test_tasks as shared
from secretariat.office.workdays import add_working_days

pytestmark = pytest.mark.django_db
world = shared.world  # the shared fixture
D = dt.date


def test_everyone_reads_the_year(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["member_a"]).get(reverse("office:calendar"), {"year": "2026"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "17/02/2026" in body  # Tết
    assert reverse("office:calendar_day_delete", args=["2026-02-17"]) not in body
    assert (
        client_for(world["member_a"]).get(reverse("office:calendar"), {"year": "abc"}).status_code
        == 200
    )


def test_clerk_adds_and_removes_a_day(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["clerk_a"])
    assert add_working_days(D(2026, 11, 19), 1) == D(2026, 11, 20)
    response = client.post(
        reverse("office:calendar"), {"date": "2026-11-20", "name": "Nghỉ bù", "kind": "holiday"}
    )
    assert response.status_code == 302
    assert add_working_days(D(2026, 11, 19), 1) == D(2026, 11, 23)
    event = AuditEvent.objects.get(action="office.calendar_day_set")
    assert event.data["date"] == "2026-11-20"
    response = client.post(reverse("office:calendar_day_delete", args=["2026-11-20"]))
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date=D(2026, 11, 20)).exists()
    assert AuditEvent.objects.filter(action="office.calendar_day_removed").count() == 1
    assert (
        client.post(reverse("office:calendar_day_delete", args=["2026-11-20"])).status_code == 404
    )
    assert (
        client.post(reverse("office:calendar_day_delete", args=["20-11-2026"])).status_code == 404
    )


def test_bad_input_is_400(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["clerk_a"])
    # A Tuesday cannot be a worked weekend day.
    response = client.post(
        reverse("office:calendar"), {"date": "2026-11-24", "name": "x", "kind": "working"}
    )
    assert response.status_code == 400
    assert "Saturday or a Sunday" in response.content.decode()
    response = client.post(
        reverse("office:calendar"), {"date": "2026-02-31", "name": "", "kind": "?"}
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="office.calendar_day_set").exists()


def test_others_may_not_edit(world: dict[str, Any], client_for: Any, make_user: Any) -> None:
    for name in ("leader_a", "spec_a", "member_a"):
        response = client_for(world[name]).post(
            reverse("office:calendar"), {"date": "2026-11-20", "name": "x", "kind": "holiday"}
        )
        assert response.status_code == 403, name
        response = client_for(world[name]).post(
            reverse("office:calendar_day_delete", args=["2026-02-17"])
        )
        assert response.status_code == 403, name
    admin = make_user("admin", role=Role.SYSTEM_ADMIN, unit=world["province"])
    response = client_for(admin).post(
        reverse("office:calendar"), {"date": "2026-11-21", "name": "Làm bù", "kind": "working"}
    )
    assert response.status_code == 302
