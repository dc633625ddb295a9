"""The JSON API of user administration: 404 outside the view scope, 403 without the right to
change, 400 with field errors on invalid input."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from secretariat.accounts.models import Position, Role, RoleGrant, User
from secretariat.audit.models import AuditEvent
from secretariat.core import clock

from .factories import build_people

API = "/api/v1"
STRONG = "Giấy-mời-họp-2025!"


@pytest.fixture
def people(tree: dict[str, Any]) -> dict[str, User]:
    return build_people(tree)


@pytest.fixture
def api_for(client_for: Any) -> Any:
    def _api(user: User) -> Any:
        return client_for(user)

    return _api


def new_user(tree: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "username": "lethid",
        "full_name": "Lê Thị Dung",
        "password": STRONG,
        "language": "vi",
        "unit": tree["cell_a"].code,
        "title": "Đảng viên",
    }
    body.update(overrides)
    return body


# --- reading -------------------------------------------------------------------------------------


def test_list_is_limited_to_scope(api_for, people):
    response = api_for(people["admin_a"]).get(f"{API}/users")
    assert response.status_code == 200
    data = response.json()
    names = {u["username"] for u in data["items"]}
    assert names == {"admin_a", "leader_a", "specialist_a", "clerk_a"}
    assert data["count"] == 4
    clerk = next(u for u in data["items"] if u["username"] == "clerk_a")
    assert clerk["positions"][0]["unit_code"] == "000.01.01.T68"


def test_list_search_and_unit(api_for, people, tree):
    client = api_for(people["sysadmin"])
    items = client.get(f"{API}/users", {"search": "Bình"}).json()["items"]
    assert [u["username"] for u in items] == ["clerk_b"]
    items = client.get(f"{API}/users", {"unit": tree["commune_a"].code}).json()["items"]
    assert {u["username"] for u in items} == {"admin_a", "leader_a", "specialist_a", "clerk_a"}
    response = client.get(f"{API}/users", {"unit": "nope"})
    assert response.status_code == 400
    assert "unit" in response.json()["errors"]


def test_list_forbidden_without_accounts_view(api_for, people):
    assert api_for(people["specialist_a"]).get(f"{API}/users").status_code == 403


def test_anonymous_gets_401(client, db):
    assert client.get(f"{API}/users").status_code == 401


def test_get_one_user_in_and_out_of_scope(api_for, people):
    client = api_for(people["admin_a"])
    response = client.get(f"{API}/users/{people['leader_a'].pk}")
    assert response.status_code == 200
    assert response.json()["roles"][0]["role"] == Role.LEADER
    assert client.get(f"{API}/users/{people['clerk_b'].pk}").status_code == 404
    assert client.get(f"{API}/users/{uuid.uuid4()}").status_code == 404
    assert client.get(f"{API}/users/not-a-uuid").status_code == 404
    assert (
        api_for(people["specialist_a"]).get(f"{API}/users/{people['clerk_a'].pk}").status_code
        == 404
    )


def test_grants_list_includes_history(api_for, people, tree):
    grant = people["leader_a"].role_grants.get()
    grant.revoked_at = clock.now()
    grant.save()
    response = api_for(people["sysadmin"]).get(f"{API}/users/{people['leader_a'].pk}/grants")
    assert response.status_code == 200
    [item] = response.json()
    assert (item["role"], item["active"]) == (Role.LEADER, False)
    assert item["revoked_at"] is not None
    assert (
        api_for(people["admin_b"]).get(f"{API}/users/{people['leader_a'].pk}/grants").status_code
        == 404
    )


# --- creating and changing users -----------------------------------------------------------------


def test_create_user(api_for, people, tree):
    response = api_for(people["admin_a"]).post(
        f"{API}/users", new_user(tree), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["username"] == "lethid"
    assert data["positions"][0]["is_primary"] is True
    assert User.objects.get(username="lethid").check_password(STRONG)
    assert "password" not in data


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "1234567890"}, "password"),
        ({"username": "clerk_a"}, "username"),
        ({"username": "x"}, "username"),
        ({"unit": "no-such-code"}, "unit"),
        ({"language": "de"}, "language"),
        ({"full_name": "   "}, "full_name"),
        ({"title": None}, "title"),
    ],
)
def test_create_user_validation_is_400_with_field_errors(api_for, people, tree, overrides, field):
    response = api_for(people["admin_a"]).post(
        f"{API}/users", new_user(tree, **overrides), content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not User.objects.filter(username="lethid").exists()


def test_create_user_outside_manage_scope_is_403(api_for, people, tree):
    body = new_user(tree, unit=tree["cell_b"].code)
    assert (
        api_for(people["admin_a"])
        .post(f"{API}/users", body, content_type="application/json")
        .status_code
        == 403
    )
    body = new_user(tree)
    assert (
        api_for(people["leader_a"])
        .post(f"{API}/users", body, content_type="application/json")
        .status_code
        == 403
    )


def test_patch_user(api_for, people):
    target = people["clerk_a"]
    client = api_for(people["admin_a"])
    response = client.patch(
        f"{API}/users/{target.pk}", {"language": "fr"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["language"] == "fr"
    target.refresh_from_db()
    assert (target.language, target.full_name) == ("fr", "Nguyễn Văn An")

    response = client.patch(
        f"{API}/users/{target.pk}", {"is_active": False}, content_type="application/json"
    )
    assert response.json()["is_active"] is False
    assert AuditEvent.objects.filter(
        action="accounts.user_deactivated", object_id=str(target.pk)
    ).exists()


def test_patch_needs_manage_right(api_for, people):
    body = {"full_name": "Hacked"}
    target = people["clerk_a"]
    assert (
        api_for(people["leader_a"])
        .patch(f"{API}/users/{target.pk}", body, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        api_for(people["admin_b"])
        .patch(f"{API}/users/{target.pk}", body, content_type="application/json")
        .status_code
        == 404
    )
    target.refresh_from_db()
    assert target.full_name == "Nguyễn Văn An"


def test_reset_password(api_for, people):
    target = people["clerk_a"]
    response = api_for(people["admin_a"]).post(f"{API}/users/{target.pk}/reset-password")
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.check_password(response.json()["temporary_password"])
    assert (
        api_for(people["leader_a"]).post(f"{API}/users/{target.pk}/reset-password").status_code
        == 403
    )
    assert (
        api_for(people["admin_b"]).post(f"{API}/users/{target.pk}/reset-password").status_code
        == 404
    )


# --- grants and positions ------------------------------------------------------------------------


def test_grant_then_duplicate_then_revoke(api_for, people, tree):
    client = api_for(people["admin_a"])
    target = people["clerk_a"]
    body = {"role": Role.RECORDS_CLERK, "unit": tree["cell_a"].code}
    response = client.post(f"{API}/users/{target.pk}/grants", body, content_type="application/json")
    assert response.status_code == 201, response.content
    grant_id = response.json()["id"]
    assert response.json()["granted_by"] == "admin_a"

    assert (
        client.post(
            f"{API}/users/{target.pk}/grants", body, content_type="application/json"
        ).status_code
        == 409
    )

    # Another commune's admin does not even see the grant; a leader sees it but may not revoke it.
    assert api_for(people["admin_b"]).delete(f"{API}/grants/{grant_id}").status_code == 404
    assert api_for(people["leader_a"]).delete(f"{API}/grants/{grant_id}").status_code == 403
    response = client.delete(f"{API}/grants/{grant_id}")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert RoleGrant.objects.get(pk=grant_id).revoked_at is not None
    assert client.delete(f"{API}/grants/{grant_id}").status_code == 409
    assert client.delete(f"{API}/grants/not-a-uuid").status_code == 404


@pytest.mark.parametrize(
    ("role", "unit"),
    [
        (Role.SYSTEM_ADMIN, "cell_a"),
        (Role.AUDITOR, "commune_a"),
        (Role.UNIT_ADMIN, "cell_a"),
        (Role.SPECIALIST, "commune_b"),
        (Role.SPECIALIST, "province"),
    ],
)
def test_grant_escalation_is_403(api_for, people, tree, role, unit):
    body = {"role": role, "unit": tree[unit].code}
    response = api_for(people["admin_a"]).post(
        f"{API}/users/{people['clerk_a'].pk}/grants", body, content_type="application/json"
    )
    assert response.status_code == 403
    assert not RoleGrant.objects.filter(user=people["clerk_a"]).exists()


def test_grant_validation_is_400(api_for, people, tree):
    client = api_for(people["admin_a"])
    path = f"{API}/users/{people['clerk_a'].pk}/grants"
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    cases = [
        ({"role": "overlord", "unit": tree["cell_a"].code}, "role"),
        ({"role": Role.SPECIALIST, "unit": "nope"}, "unit"),
        (
            {"role": Role.SPECIALIST, "unit": tree["cell_a"].code, "valid_until": yesterday},
            "valid_until",
        ),
        (
            {"role": Role.SPECIALIST, "unit": tree["cell_a"].code, "valid_until": "31/12/2030"},
            "valid_until",
        ),
    ]
    for body, field in cases:
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], response.json()


def test_add_position(api_for, people, tree):
    client = api_for(people["admin_a"])
    target = people["clerk_a"]
    body = {"unit": tree["commune_a"].code, "title": "Phó Văn phòng", "is_primary": True}
    response = client.post(
        f"{API}/users/{target.pk}/positions", body, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["is_primary"] is True
    assert Position.objects.filter(user=target, is_primary=True).count() == 1

    body["unit"] = tree["cell_b"].code
    assert (
        client.post(
            f"{API}/users/{target.pk}/positions", body, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        api_for(people["leader_a"])
        .post(f"{API}/users/{target.pk}/positions", body, content_type="application/json")
        .status_code
        == 403
    )
