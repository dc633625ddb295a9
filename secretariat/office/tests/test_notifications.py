"""Notifications: the list, marking read (own ones only), the unread counter partial, and the
API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from secretariat.office.models import Notification
from secretariat.office.services.notifications import notify
from secretariat.office.tests import test_tasks as shared

pytestmark = pytest.mark.django_db
world = shared.world  # the shared fixture


@pytest.fixture
def notes(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "mine1": notify(user=world["spec_a"], message="MSG-ONE", link="/office/tasks/"),
        "mine2": notify(user=world["spec_a"], message="MSG-TWO"),
        "theirs": notify(user=world["spec_b"], message="MSG-THEIRS"),
    }


def test_list_shows_only_my_notifications(
    world: dict[str, Any], notes: Any, client_for: Any
) -> None:
    body = client_for(world["spec_a"]).get(reverse("office:notifications")).content.decode()
    assert "MSG-ONE" in body
    assert "MSG-TWO" in body
    assert "MSG-THEIRS" not in body


def test_mark_read_own_only_and_bad_ids_ignored(
    world: dict[str, Any], notes: Any, client_for: Any
) -> None:
    client = client_for(world["spec_a"])
    response = client.post(
        reverse("office:notifications_read"),
        {"id": [str(notes["mine1"].pk), str(notes["theirs"].pk), "garbage"]},
    )
    assert response.status_code == 302
    states = {n.message: n.read_at is not None for n in Notification.objects.all()}
    assert states == {"MSG-ONE": True, "MSG-TWO": False, "MSG-THEIRS": False}
    badge = client.get(reverse("office:notifications_badge")).content.decode()
    assert ">1<" in badge
    # HTMX: mark all, answer with the refreshed counter.
    response = client.post(
        reverse("office:notifications_read"), {"all": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="notifications-badge"' in response.content.decode()
    assert "badge off" not in response.content.decode()
    assert Notification.objects.get(message="MSG-THEIRS").read_at is None


def test_api(world: dict[str, Any], notes: Any, client_for: Any) -> None:
    client = client_for(world["spec_a"])
    messages = [n["message"] for n in client.get("/api/v1/office/tasks/notifications").json()]
    assert sorted(messages) == ["MSG-ONE", "MSG-TWO"]
    response = client.post(
        "/api/v1/office/tasks/notifications/read",
        data=json.dumps({"ids": [str(notes["theirs"].pk), str(notes["mine2"].pk)]}),
        content_type="application/json",
    )
    assert response.json() == {"marked": 1, "unread": 1}
    unread = client.get("/api/v1/office/tasks/notifications?unread=true").json()
    assert [n["message"] for n in unread] == ["MSG-ONE"]
    response = client.post(
        "/api/v1/office/tasks/notifications/read", data="{}", content_type="application/json"
    )
    assert response.json() == {"marked": 1, "unread": 0}
