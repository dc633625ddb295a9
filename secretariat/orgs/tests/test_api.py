"""The JSON API per role, inside and outside the caller's scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from secretariat.orgs.models import Unit

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orgs"


@pytest.fixture
def as_admin_a(tree: dict[str, Unit], make_user: Any, client_for: Any) -> Client:
    client: Client = client_for(make_user("admin_a", role="unit_admin", unit=tree["commune_a"]))
    return client


@pytest.fixture
def as_specialist_a(tree: dict[str, Unit], make_user: Any, client_for: Any) -> Client:
    client: Client = client_for(make_user("spec_a", role="specialist", unit=tree["commune_a"]))
    return client


@pytest.fixture
def as_sysadmin(tree: dict[str, Unit], make_user: Any, client_for: Any) -> Client:
    client: Client = client_for(make_user("root", role="system_admin", unit=tree["province"]))
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_list_shows_only_the_callers_units(as_admin_a: Client):
    response = as_admin_a.get(f"{BASE}/units")
    assert response.status_code == 200
    rows = response.json()
    assert [r["code"] for r in rows] == ["000.01.00.T68", "000.01.01.T68"]
    assert rows[1]["parent_code"] == "000.01.00.T68"
    assert rows[1]["depth"] == 3
    assert rows[1]["display_name"] == "Chi bộ thôn Đăng Gia"


def test_anonymous_is_401(tree: dict[str, Unit]):
    assert Client().get(f"{BASE}/units").status_code == 401


def test_unit_outside_scope_is_404_on_read_and_write(as_admin_a: Client):
    assert as_admin_a.get(f"{BASE}/units/000.02.00.T68").status_code == 404
    response = as_admin_a.patch(
        f"{BASE}/units/000.02.01.T68", json.dumps({"name": "X"}), content_type="application/json"
    )
    assert response.status_code == 404
    assert (
        post(as_admin_a, f"{BASE}/units/000.02.01.T68/dissolve", {"reason": "x"}).status_code == 404
    )
    assert Unit.objects.get(code="000.02.01.T68").active


def test_detail_has_history(as_admin_a: Client):
    as_admin_a.patch(
        f"{BASE}/units/000.01.01.T68",
        json.dumps({"name_fr": "Cellule"}),
        content_type="application/json",
    )
    body = as_admin_a.get(f"{BASE}/units/000.01.01.T68").json()
    assert body["name_fr"] == "Cellule"
    assert body["history"][0]["kind"] == "updated"


def test_specialist_in_scope_reads_but_gets_403_on_writes(as_specialist_a: Client):
    assert as_specialist_a.get(f"{BASE}/units/000.01.01.T68").status_code == 200
    create = {
        "parent_code": "000.01.00.T68",
        "name": "Chi bộ",
        "kind": "cell",
        "code": "000.01.02.T68",
        "abbreviation": "CB",
    }
    assert post(as_specialist_a, f"{BASE}/units", create).status_code == 403
    patch = as_specialist_a.patch(
        f"{BASE}/units/000.01.01.T68", json.dumps({"name": "X"}), content_type="application/json"
    )
    assert patch.status_code == 403
    dissolve = post(as_specialist_a, f"{BASE}/units/000.01.01.T68/dissolve", {"reason": "x"})
    assert dissolve.status_code == 403
    upload = SimpleUploadedFile("u.csv", b"code\n")
    assert as_specialist_a.post(f"{BASE}/import", {"file": upload}).status_code == 403
    assert not Unit.objects.filter(code="000.01.02.T68").exists()


def test_create_with_validation_errors_is_400_with_field_errors(as_admin_a: Client):
    response = post(
        as_admin_a,
        f"{BASE}/units",
        {
            "parent_code": "000.01.00.T68",
            "name": "",
            "kind": "cell",
            "code": "1",
            "abbreviation": "CB",
        },
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "code"}


def test_create_under_a_parent_outside_scope_is_refused_like_an_unknown_one(as_admin_a: Client):
    body = {"name": "X", "kind": "cell", "code": "000.02.02.T68", "abbreviation": "CB"}
    outside = post(as_admin_a, f"{BASE}/units", {**body, "parent_code": "000.02.00.T68"})
    unknown = post(as_admin_a, f"{BASE}/units", {**body, "parent_code": "999.99.99.T99"})
    assert outside.status_code == unknown.status_code == 400
    assert "parent_code" in outside.json()["errors"]


def test_unit_admin_creates_and_dissolves_in_scope(as_admin_a: Client):
    response = post(
        as_admin_a,
        f"{BASE}/units",
        {
            "parent_code": "000.01.00.T68",
            "name": "Chi bộ mới",
            "kind": "cell",
            "code": "000.01.02.T68",
            "abbreviation": "CB",
        },
    )
    assert response.status_code == 201
    assert response.json()["history"][0]["kind"] == "created"
    response = post(as_admin_a, f"{BASE}/units/000.01.02.T68/dissolve", {"reason": "QĐ 3"})
    assert response.status_code == 200
    assert response.json()["active"] is False


def test_move_and_merge_need_rights_on_both_sides(as_admin_a: Client, as_sysadmin: Client):
    moved = post(
        as_admin_a, f"{BASE}/units/000.01.01.T68/move", {"new_parent_code": "000.02.00.T68"}
    )
    assert moved.status_code == 400  # the new parent is not visible to the commune admin
    moved = post(
        as_sysadmin, f"{BASE}/units/000.01.01.T68/move", {"new_parent_code": "000.02.00.T68"}
    )
    assert moved.status_code == 200
    assert moved.json()["parent_code"] == "000.02.00.T68"
    into_self = post(
        as_sysadmin, f"{BASE}/units/000.02.00.T68/move", {"new_parent_code": "000.01.01.T68"}
    )
    assert into_self.status_code == 400
    merged = post(
        as_sysadmin, f"{BASE}/units/000.01.00.T68/merge", {"target_code": "000.02.00.T68"}
    )
    assert merged.status_code == 200
    assert merged.json()["merged_into_code"] == "000.02.00.T68"


def test_export_and_import_over_the_api(as_admin_a: Client):
    exported = as_admin_a.get(f"{BASE}/export", {"fmt": "csv"})
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    assert "000.02.00.T68" not in text
    text += "000.01.02.T68,000.01.00.T68,Chi bộ mới,,,cell,CB,true,,\n"
    upload = SimpleUploadedFile("a.csv", text.encode())
    response = as_admin_a.post(f"{BASE}/import", {"file": upload, "fmt": "csv"})
    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 2}


def test_bad_import_over_the_api_lists_the_lines(as_admin_a: Client):
    upload = SimpleUploadedFile("a.json", b"[1, 2")
    response = as_admin_a.post(f"{BASE}/import", {"file": upload})
    assert response.status_code == 400
    assert response.json()["errors"]["file"][0].startswith("line 1: Malformed JSON")
