"""Audit API: auditors only, scoped, 404 outside the scope."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from secretariat.audit.tests.factories import event

pytestmark = pytest.mark.django_db

BASE = "/api/v1/audit"


@pytest.fixture
def world(tree: dict[str, Any], make_user: Callable[..., Any]) -> dict[str, Any]:
    auditor = make_user("auditor_a", role="auditor", unit=tree["commune_a"])
    clerk = make_user("clerk", role="records_clerk", unit=tree["province"])
    return {
        "auditor": auditor,
        "clerk": clerk,
        "in_a": [
            event(actor=clerk, unit=tree["cell_a"], action=f"documents.step{i}", object_id=f"A{i}")
            for i in range(5)
        ],
        "in_b": event(actor=clerk, unit=tree["commune_b"], action="documents.step0"),
    }


def test_non_auditor_gets_403(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["clerk"])
    for url in (f"{BASE}/events", f"{BASE}/events/{world['in_a'][0].id}", f"{BASE}/checkpoints"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["message"]


def test_anonymous_gets_401(world: dict[str, Any], client: Any) -> None:
    assert client.get(f"{BASE}/events").status_code == 401


def test_auditor_lists_their_scope_newest_first(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["auditor"]).get(f"{BASE}/events")
    assert response.status_code == 200
    body = response.json()
    assert [item["seq"] for item in body["items"]] == [e.seq for e in reversed(world["in_a"])]
    assert body["next_before_seq"] is None
    assert body["items"][0]["hash"] == world["in_a"][-1].hash


def test_filters_and_paging(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["auditor"])
    page = client.get(f"{BASE}/events", {"limit": 2}).json()
    assert len(page["items"]) == 2
    older = client.get(f"{BASE}/events", {"limit": 2, "before_seq": page["next_before_seq"]})
    assert [i["seq"] for i in older.json()["items"]] == [world["in_a"][2].seq, world["in_a"][1].seq]
    by_action = client.get(f"{BASE}/events", {"action": "documents.step3"}).json()["items"]
    assert [i["object_id"] for i in by_action] == ["A3"]
    by_object = client.get(
        f"{BASE}/events", {"object_type": "", "object_id": "A1", "actor": "CLERK"}
    ).json()
    assert [i["object_id"] for i in by_object["items"]] == ["A1"]
    assert client.get(f"{BASE}/events", {"date_to": "2000-01-01"}).json()["items"] == []


def test_bad_input_is_400(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["auditor"])
    assert client.get(f"{BASE}/events", {"limit": 201}).status_code == 400
    assert client.get(f"{BASE}/events", {"date_from": "2026-13-01"}).status_code == 400


def test_event_in_scope(world: dict[str, Any], client_for: Any) -> None:
    target = world["in_a"][0]
    response = client_for(world["auditor"]).get(f"{BASE}/events/{target.id}")
    assert response.status_code == 200
    assert response.json()["seq"] == target.seq


def test_event_out_of_scope_is_404_like_a_missing_one(
    world: dict[str, Any], client_for: Any
) -> None:
    client = client_for(world["auditor"])
    out_of_scope = client.get(f"{BASE}/events/{world['in_b'].id}")
    missing = client.get(f"{BASE}/events/{uuid.uuid4()}")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()


def test_checkpoints(
    world: dict[str, Any], client_for: Any, make_checkpoint: Callable[[], Any]
) -> None:
    checkpoint = make_checkpoint()
    body = client_for(world["auditor"]).get(f"{BASE}/checkpoints").json()
    assert [c["id"] for c in body] == [str(checkpoint.id)]
    assert body[0]["tree_size"] == 6
    assert body[0]["signature"] == checkpoint.signature
