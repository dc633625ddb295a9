"""Task API: create, list, get, notes, complete, dashboard; scope and JSON errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import transaction

from secretariat.core import clock
from secretariat.office.services import tasks as services
from secretariat.office.tests import test_tasks as shared

pytestmark = pytest.mark.django_db
world = shared.world  # the shared fixture
BASE = "/api/v1/office/tasks"


def _post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_create_get_note_complete(world: dict[str, Any], client_for: Any) -> None:
    leader = client_for(world["leader_a"])
    response = _post(
        leader,
        BASE + "/",
        {
            "unit_code": world["commune_a"].code,
            "title": "API task",
            "assignee": "spec_a",
            "working_days": 2,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    task_id = body["id"]
    assert body["assignee"] == "spec_a"
    assert body["state"] == "open"
    spec = client_for(world["spec_a"])
    assert [t["id"] for t in spec.get(BASE + "/").json()] == [task_id]
    assert spec.get(f"{BASE}/{task_id}").json()["title"] == "API task"
    response = _post(spec, f"{BASE}/{task_id}/notes", {"text": "Half", "progress": 50})
    assert response.status_code == 201
    assert spec.get(f"{BASE}/{task_id}/notes").json()[0]["progress"] == 50
    # Only the assignee completes.
    assert _post(leader, f"{BASE}/{task_id}/complete", {"result": "x"}).status_code == 403
    response = _post(spec, f"{BASE}/{task_id}/complete", {"result": "Done"})
    assert response.status_code == 200
    assert response.json()["state"] == "done"
    dashboard = leader.get(BASE + "/overdue").json()
    codes = [u["unit_code"] for u in dashboard["units"]]
    assert codes == [world["commune_a"].code]
    assert dashboard["totals"]["done_on_time"] == 1
    assert dashboard["totals"]["on_time_rate"] == 100.0


def test_errors_are_json(world: dict[str, Any], client_for: Any) -> None:
    leader = client_for(world["leader_a"])
    response = _post(
        leader,
        BASE + "/",
        {"unit_code": world["commune_b"].code, "title": "x", "assignee": "spec_b"},
    )
    assert response.status_code == 400
    assert "unit_code" in response.json()["errors"]
    response = _post(
        leader,
        BASE + "/",
        {"unit_code": world["commune_a"].code, "title": "x", "assignee": "spec_b"},
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]
    response = _post(
        leader,
        BASE + "/",
        {"unit_code": world["commune_a"].code, "title": "x", "assignee": "ghost"},
    )
    assert response.status_code == 400
    assert leader.get(BASE + "/overdue?date_from=2026-02-30").status_code == 400
    assert leader.get(BASE + "/not-a-uuid").status_code == 404
    assert client_for(world["member_a"]).get(BASE + "/").status_code == 403


def test_outside_task_is_404(world: dict[str, Any], client_for: Any) -> None:
    with transaction.atomic():
        outside = services.task_create(
            actor=None,
            unit=world["commune_b"],
            title="B",
            assignee=world["spec_b"],
            due_on=clock.today() + dt.timedelta(days=3),
        )
    client = client_for(world["leader_a"])
    assert client.get(f"{BASE}/{outside.pk}").status_code == 404
    assert _post(client, f"{BASE}/{outside.pk}/notes", {"text": "x"}).status_code == 404
    assert client.get(BASE + "/?tab=unit").json() == []
