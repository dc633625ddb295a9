"""The search page, the search API and the `search` command, per role inside and outside scope."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.core import clock

from .matrix_cases_search import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs(tree: dict[str, Any]) -> dict[str, Any]:
    return {
        "in": make_document(
            tree["cell_a"], "Kế hoạch phòng chống dịch INSIDE", text="phòng chống dịch bệnh"
        ),
        "out": make_document(
            tree["cell_b"], "Kế hoạch phòng chống dịch OUTSIDE", text="phòng chống dịch bệnh"
        ),
    }


@pytest.fixture
def specialist(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("spec_a", role=Role.SPECIALIST, unit=tree["commune_a"])


def test_page_shows_hits_in_scope_only(docs: Any, specialist: Any, client_for: Any) -> None:
    client = client_for(specialist)
    response = client.get(reverse("documents:search"), {"q": "phong chong dich"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "INSIDE" in body
    assert "OUTSIDE" not in body
    assert "<mark>" in body


def test_page_live_results_are_a_fragment(docs: Any, specialist: Any, client_for: Any) -> None:
    response = client_for(specialist).get(
        reverse("documents:search"), {"q": "dịch bệnh"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "INSIDE" in body
    assert "<html" not in body


@pytest.mark.parametrize("query", ['"', "x" * 400, "***"])
def test_page_bad_input_is_a_message(specialist: Any, client_for: Any, query: str) -> None:
    response = client_for(specialist).get(reverse("documents:search"), {"q": query})
    assert response.status_code == 400
    assert 'class="message error"' in response.content.decode()


def test_page_bad_cursor_is_a_message(docs: Any, specialist: Any, client_for: Any) -> None:
    response = client_for(specialist).get(
        reverse("documents:search"), {"q": "dịch", "before": "%%%"}
    )
    assert response.status_code == 400
    assert "no longer valid" in response.content.decode()


def test_page_refused_without_document_rights(tree: Any, make_user: Any, client_for: Any) -> None:
    auditor = make_user("aud", role=Role.AUDITOR, unit=tree["province"])
    assert client_for(auditor).get(reverse("documents:search"), {"q": "x"}).status_code == 403


def test_api_returns_the_same_page(docs: Any, specialist: Any, client_for: Any) -> None:
    response = client_for(specialist).get("/api/v1/search/", {"q": "dich", "limit": 5})
    assert response.status_code == 200
    data = response.json()
    assert [hit["subject"] for hit in data["hits"]] == ["Kế hoạch phòng chống dịch INSIDE"]
    assert data["accent_insensitive"] is True
    assert data["next_cursor"] is None
    assert "<mark>" in data["hits"][0]["snippet"]


def test_api_bad_query_is_400_with_message(specialist: Any, client_for: Any) -> None:
    response = client_for(specialist).get("/api/v1/search/", {"q": '"'})
    assert response.status_code == 400
    assert "at least one word" in response.json()["message"]


def test_api_inbox_newest_of_a_unit(docs: Any, specialist: Any, client_for: Any, tree: Any) -> None:
    client = client_for(specialist)
    response = client.get("/api/v1/search/inbox", {"unit": tree["cell_a"].code})
    assert [item["subject"] for item in response.json()] == ["Kế hoạch phòng chống dịch INSIDE"]
    assert client.get("/api/v1/search/inbox", {"unit": tree["cell_b"].code}).status_code == 404


def test_api_inbox_is_newest_first_and_empty_is_not_missing(
    tree: Any, specialist: Any, client_for: Any
) -> None:
    client = client_for(specialist)
    # A unit in scope without documents is an empty inbox, not an unknown unit.
    response = client.get("/api/v1/search/inbox", {"unit": tree["commune_a"].code})
    assert response.status_code == 200
    assert response.json() == []
    start = clock.now() - dt.timedelta(days=3)
    for day in range(3):
        make_document(tree["cell_a"], f"Công văn {day}", created_at=start + dt.timedelta(days=day))
    response = client.get("/api/v1/search/inbox", {"unit": tree["cell_a"].code, "limit": 2})
    assert [item["subject"] for item in response.json()] == ["Công văn 2", "Công văn 1"]
    assert set(response.json()[0]) == {"id", "subject", "notation", "created_at"}
    assert client.get("/api/v1/search/inbox", {"unit": "no-such-code"}).status_code == 404


def test_command_json_contract(docs: Any, specialist: Any) -> None:
    out = StringIO()
    call_command("search", "phòng chống", "--user", "spec_a", "--json", "--limit", "5", stdout=out)
    hits = json.loads(out.getvalue())
    assert [hit["subject"] for hit in hits] == ["Kế hoạch phòng chống dịch INSIDE"]
    assert set(hits[0]) >= {"id", "subject", "snippet", "notation", "unit", "date"}
    assert hits[0]["id"] == str(docs["in"].pk)


def test_command_unknown_user_exits_2(db: Any) -> None:
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("search", "x", "--user", "nobody", "--json", stderr=err)
    assert exit_info.value.code == 2
    assert "unknown" in err.getvalue()
