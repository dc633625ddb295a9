"""The audit viewer: who sees what, the filters, paging by seq and bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from secretariat.audit import services
from secretariat.audit.models import AuditEvent
from secretariat.audit.tests.factories import event
from secretariat.audit.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree: dict[str, Any], make_user: Callable[..., Any]) -> dict[str, Any]:
    """An auditor of commune A, a clerk working in each commune, and their events."""
    auditor = make_user("auditor_a", role="auditor", unit=tree["commune_a"])
    clerk_a = make_user("clerk_a", role="records_clerk", unit=tree["commune_a"])
    clerk_b = make_user("clerk_b", role="records_clerk", unit=tree["commune_b"])
    return {
        "auditor": auditor,
        "clerk_a": clerk_a,
        "clerk_b": clerk_b,
        "in_a": event(
            actor=clerk_a, unit=tree["cell_a"], action="documents.registered", object_id="DOC-A"
        ),
        "in_b": event(
            actor=clerk_b, unit=tree["commune_b"], action="documents.registered", object_id="DOC-B"
        ),
        "own_b": event(actor=clerk_b, unit=tree["cell_b"], action="accounts.password_changed"),
    }


def _seqs(response: Any) -> set[int]:
    return {e.seq for e in response.context["events"]}


def test_login_required(client: Any) -> None:
    response = client.get(reverse("audit:events"))
    assert response.status_code == 302


def test_auditor_sees_the_audited_subtree_only(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["auditor"]).get(reverse("audit:events"))
    assert response.status_code == 200
    assert _seqs(response) == {world["in_a"].seq}
    assert "DOC-A" in response.text
    assert "DOC-B" not in response.text


def test_plain_user_sees_only_own_actions(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["clerk_b"]).get(reverse("audit:events"))
    assert _seqs(response) == {world["in_b"].seq, world["own_b"].seq}
    # Being a clerk of commune A does not show clerk B's events of the same kind there.
    response = client_for(world["clerk_a"]).get(reverse("audit:events"))
    assert _seqs(response) == {world["in_a"].seq}


def test_newest_first(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["clerk_b"]).get(reverse("audit:events"))
    assert [e.seq for e in response.context["events"]] == [world["own_b"].seq, world["in_b"].seq]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "CLERK_B"}, {"in_b", "own_b"}),
        ({"actor": "clerk_a"}, set()),
        ({"action": "accounts."}, {"own_b"}),
        ({"action": "documents.registered"}, {"in_b"}),
        ({"object": "DOC-B"}, {"in_b"}),
        ({"object": "DOC-A"}, set()),  # out of scope stays out of scope
    ],
)
def test_filters(
    world: dict[str, Any], client_for: Any, query: dict[str, str], expected: set[str]
) -> None:
    response = client_for(world["clerk_b"]).get(reverse("audit:events"), query)
    assert response.status_code == 200
    assert _seqs(response) == {world[k].seq for k in expected}


def test_object_type_filter(world: dict[str, Any], client_for: Any, tree: dict[str, Any]) -> None:
    renamed = event(actor=world["clerk_b"], unit=tree["cell_b"], obj=tree["cell_b"])
    response = client_for(world["clerk_b"]).get(reverse("audit:events"), {"object": "orgs.unit"})
    assert _seqs(response) == {renamed.seq}


def test_date_range(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["clerk_b"])
    today = services.clock.today()
    url = reverse("audit:events")
    assert _seqs(client.get(url, {"date_from": today.isoformat()})) == {
        world["in_b"].seq,
        world["own_b"].seq,
    }
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert _seqs(client.get(url, {"date_from": tomorrow})) == set()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert _seqs(client.get(url, {"date_to": yesterday})) == set()
    assert len(_seqs(client.get(url, {"date_from": yesterday, "date_to": today.isoformat()}))) == 2


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-13-45"},
        {"date_to": "yesterday"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    ],
)
def test_bad_dates_show_a_message(
    world: dict[str, Any], client_for: Any, query: dict[str, str]
) -> None:
    client = client_for(world["clerk_b"])
    response = client.get(reverse("audit:events"), query)
    assert response.status_code == 400
    assert "Some filters are not valid" in response.text
    # The htmx refresh replaces the stale results with the same message (htmx swaps only 2xx).
    partial = client.get(reverse("audit:events"), query, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "Some filters are not valid" in partial.text


def test_htmx_gets_only_the_results(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["clerk_b"]).get(
        reverse("audit:events"), {"action": "accounts."}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="audit-events"' in response.text


def test_older_link_pages_by_seq(
    world: dict[str, Any], client_for: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(PAGE_SIZE + 5):
        event(actor=world["clerk_a"], unit=None, object_id=f"N{i}")
    client = client_for(world["clerk_a"])
    with django_assert_max_num_queries(12):
        first = client.get(reverse("audit:events"))
    first_seqs = [e.seq for e in first.context["events"]]
    assert len(first_seqs) == PAGE_SIZE
    assert first.context["older_query"] == f"before={first_seqs[-1]}"
    older = client.get(reverse("audit:events") + "?" + first.context["older_query"])
    older_seqs = [e.seq for e in older.context["events"]]
    assert len(older_seqs) == 6  # 5 extra + the event in commune A
    assert max(older_seqs) < min(first_seqs)
    assert older.context["older_query"] == ""


def test_detail_shows_hashes_and_covering_checkpoint(
    world: dict[str, Any], client_for: Any, make_checkpoint: Callable[[], Any]
) -> None:
    checkpoint = make_checkpoint()
    stored = AuditEvent.objects.get(pk=world["in_a"].pk)
    response = client_for(world["auditor"]).get(reverse("audit:event", args=[stored.id]))
    assert response.status_code == 200
    for value in (stored.hash, stored.prev_hash, str(stored.id), checkpoint.root_hash):
        assert value in response.text


def test_detail_without_checkpoint_says_so(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["auditor"]).get(reverse("audit:event", args=[world["in_a"].id]))
    assert "No checkpoint covers this event yet" in response.text


def test_detail_out_of_scope_is_404(world: dict[str, Any], client_for: Any) -> None:
    response = client_for(world["auditor"]).get(reverse("audit:event", args=[world["in_b"].id]))
    assert response.status_code == 404
