"""The user administration pages, per role, inside and outside the caller's scope."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Position, Role, RoleGrant, User
from secretariat.core import clock

from .factories import PositionFactory, UserFactory, build_people

STRONG = "Giấy-mời-họp-2025!"


@pytest.fixture
def people(tree: dict[str, Any]) -> dict[str, User]:
    return build_people(tree)


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"accounts:{name}", kwargs=kwargs)


# --- list ----------------------------------------------------------------------------------------


def test_list_shows_only_users_in_scope(client_for, people):
    response = client_for(people["admin_a"]).get(url("users"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "clerk_a" in body
    assert "clerk_b" not in body
    assert "orphan" not in body
    assert url("user_create") in body


def test_leader_sees_the_list_without_the_create_button(client_for, people):
    response = client_for(people["leader_a"]).get(url("users"))
    assert response.status_code == 200
    assert "clerk_a" in response.content.decode()
    assert url("user_create") not in response.content.decode()


def test_list_is_forbidden_without_accounts_view(client_for, people):
    assert client_for(people["specialist_a"]).get(url("users")).status_code == 403
    assert client_for(people["clerk_a"]).get(url("users")).status_code == 403


def test_list_requires_login(client, db):
    response = client.get(url("users"))
    assert response.status_code == 302


def test_search_and_unit_filter(client_for, people, tree):
    client = client_for(people["sysadmin"])
    body = client.get(url("users"), {"q": "Văn An"}).content.decode()
    assert "clerk_a" in body
    assert "clerk_b" not in body
    body = client.get(url("users"), {"unit": tree["commune_b"].code}).content.decode()
    assert "clerk_b" in body
    assert "clerk_a" not in body


def test_unknown_unit_code_is_a_form_error_not_a_crash(client_for, people):
    response = client_for(people["admin_a"]).get(
        url("users"), {"unit": "999.99.99.X00"}, headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert "No unit with this code." in response.content.decode()


def test_live_search_returns_the_table_only(client_for, people):
    response = client_for(people["admin_a"]).get(
        url("users"), {"q": "clerk"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "clerk_a" in body


def test_list_query_count_does_not_grow_with_users(
    client_for, people, tree, django_assert_max_num_queries
):
    for n in range(40):
        user = UserFactory.create(username=f"member{n:02d}")
        PositionFactory.create(user=user, unit=tree["cell_a"], title="Đảng viên")
        RoleGrant.objects.create(user=user, role=Role.SPECIALIST, unit=tree["cell_a"])
    client = client_for(people["admin_a"])
    client.get(url("users"))  # warm the session
    # session, user, caller's grants, count, unit picker, page, its positions, its grants, and
    # the session save (savepoint, update, release), and the navigation's four (unread
    # notifications, own tasks, the tree's roots for the node-wide exchange entry, whether the
    # caller has a Party member record): 15 whatever the number of users listed.
    with django_assert_max_num_queries(15):
        response = client.get(url("users"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 44
    assert response.content.decode().count("member") == 40


# --- detail --------------------------------------------------------------------------------------


def test_detail_in_scope_shows_profile_positions_and_grants(client_for, people):
    response = client_for(people["admin_a"]).get(url("user", user_id=people["leader_a"].pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "leader_a" in body
    assert 'data-role="leader"' in body
    assert 'id="grant-role"' in body


def test_detail_outside_scope_is_404(client_for, people):
    client = client_for(people["admin_a"])
    assert client.get(url("user", user_id=people["clerk_b"].pk)).status_code == 404
    assert client.get(url("user", user_id=people["orphan"].pk)).status_code == 404
    assert client.get(url("user", user_id=uuid.uuid4())).status_code == 404
    assert client.get("/accounts/users/not-a-uuid/").status_code == 404


def test_specialist_gets_404_on_detail(client_for, people):
    client = client_for(people["specialist_a"])
    assert client.get(url("user", user_id=people["clerk_a"].pk)).status_code == 404


def test_leader_sees_detail_but_cannot_change(client_for, people, tree):
    client = client_for(people["leader_a"])
    target = people["clerk_a"]
    response = client.get(url("user", user_id=target.pk))
    assert response.status_code == 200
    assert 'id="grant-role"' not in response.content.decode()

    data = {"full_name": "Changed", "language": "vi", "is_active": "on"}
    assert client.post(url("user_edit", user_id=target.pk), data).status_code == 403
    assert client.post(url("user_password_reset", user_id=target.pk)).status_code == 403
    assert client.post(url("user_deactivate", user_id=target.pk)).status_code == 403
    grant = {"role": Role.SPECIALIST, "unit": tree["cell_a"].code, "include_subtree": "on"}
    # The grant form offers the leader no role at all, so the request fails as input, not silently.
    response = client.post(url("user_grant", user_id=target.pk), grant)
    assert response.status_code in (400, 403)
    target.refresh_from_db()
    assert target.full_name != "Changed"
    assert target.is_active
    assert not RoleGrant.objects.filter(user=target).exists()


def test_post_on_user_outside_scope_is_404(client_for, people):
    client = client_for(people["admin_a"])
    target = people["clerk_b"]
    assert client.post(url("user_password_reset", user_id=target.pk)).status_code == 404
    assert client.post(url("user_deactivate", user_id=target.pk)).status_code == 404


# --- create --------------------------------------------------------------------------------------


def test_create_page_creates_and_redirects(client_for, people, tree):
    client = client_for(people["admin_a"])
    assert client.get(url("user_create")).status_code == 200
    response = client.post(
        url("user_create"),
        {
            "username": "tranvanc",
            "full_name": "Trần Văn Cường",
            "language": "vi",
            "unit": tree["cell_a"].code,
            "title": "Đảng viên",
            "password": STRONG,
        },
    )
    user = User.objects.get(username="tranvanc")
    assert response.status_code == 302
    assert response["Location"] == url("user", user_id=user.pk)
    assert user.positions.get().unit == tree["cell_a"]


def test_create_without_password_shows_a_temporary_one_once(client_for, people, tree):
    response = client_for(people["admin_a"]).post(
        url("user_create"),
        {
            "username": "tranvanc",
            "full_name": "Trần Văn Cường",
            "language": "vi",
            "unit": tree["cell_a"].code,
            "title": "Đảng viên",
        },
    )
    assert response.status_code == 200
    password = response.context["temporary_password"]
    assert password
    assert password in response.content.decode()
    assert User.objects.get(username="tranvanc").check_password(password)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit", "000.02.01.T68", "No unit with this code in your scope."),
        ("unit", "garbage", "No unit with this code in your scope."),
        ("password", "12345678901", "This password is entirely numeric."),
        ("username", "clerk_a", "This username is already taken."),
        ("username", "Bad Name", "Use 3 to 150 characters"),
    ],
)
def test_create_shows_errors_inline(client_for, people, tree, field, value, message):
    data = {
        "username": "tranvanc",
        "full_name": "Trần Văn Cường",
        "language": "vi",
        "unit": tree["cell_a"].code,
        "title": "Đảng viên",
        "password": STRONG,
    }
    data[field] = value
    client = client_for(people["admin_a"])
    response = client.post(url("user_create"), data, headers={"accept-language": "en"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="tranvanc").exists()


def test_create_is_forbidden_to_leaders(client_for, people):
    assert client_for(people["leader_a"]).get(url("user_create")).status_code == 403


# --- manage actions ------------------------------------------------------------------------------


def test_edit_and_deactivate(client_for, people):
    client = client_for(people["admin_a"])
    target = people["clerk_a"]
    response = client.post(
        url("user_edit", user_id=target.pk),
        {"full_name": "Nguyễn Văn Ấn", "language": "en", "is_active": "on"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.full_name, target.language) == ("Nguyễn Văn Ấn", "en")
    client.post(url("user_deactivate", user_id=target.pk))
    target.refresh_from_db()
    assert not target.is_active


def test_edit_with_blank_name_is_an_inline_error(client_for, people):
    response = client_for(people["admin_a"]).post(
        url("user_edit", user_id=people["clerk_a"].pk), {"full_name": "", "language": "vi"}
    )
    assert response.status_code == 400
    assert response.context["edit_form"].errors["full_name"]


def test_password_reset_page_shows_the_password_once(client_for, people):
    client = client_for(people["admin_a"])
    target = people["clerk_a"]
    response = client.post(url("user_password_reset", user_id=target.pk))
    assert response.status_code == 200
    password = response.context["temporary_password"]
    target.refresh_from_db()
    assert target.check_password(password)
    assert password not in client.get(url("user", user_id=target.pk)).content.decode()


def test_grant_and_revoke_through_the_page(client_for, people, tree):
    client = client_for(people["admin_a"])
    target = people["clerk_a"]
    response = client.post(
        url("user_grant", user_id=target.pk),
        {"role": Role.RECORDS_CLERK, "unit": tree["cell_a"].code, "include_subtree": "on"},
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=target)
    assert (grant.role, grant.unit, grant.include_subtree) == (
        Role.RECORDS_CLERK,
        tree["cell_a"],
        True,
    )

    response = client.post(url("user_grant_revoke", user_id=target.pk, grant_id=grant.pk))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None


@pytest.mark.parametrize(
    ("role", "unit"),
    [(Role.SYSTEM_ADMIN, "cell_a"), (Role.AUDITOR, "cell_a"), (Role.SPECIALIST, "commune_b")],
)
def test_grant_page_refuses_escalation_inline(client_for, people, tree, role, unit):
    response = client_for(people["admin_a"]).post(
        url("user_grant", user_id=people["clerk_a"].pk),
        {"role": role, "unit": tree[unit].code},
    )
    assert response.status_code == 400
    assert response.context["grant_form"].errors
    assert not RoleGrant.objects.filter(user=people["clerk_a"]).exists()


def test_grant_with_past_date_is_an_inline_error(client_for, people, tree):
    yesterday = clock.today() - dt.timedelta(days=1)
    response = client_for(people["admin_a"]).post(
        url("user_grant", user_id=people["clerk_a"].pk),
        {
            "role": Role.SPECIALIST,
            "unit": tree["cell_a"].code,
            "valid_until": yesterday.isoformat(),
        },
    )
    assert response.status_code == 400
    assert response.context["grant_form"].errors["valid_until"]


def test_revoking_a_grant_of_another_user_is_404(client_for, people):
    leader_grant = people["leader_a"].role_grants.get()
    response = client_for(people["admin_a"]).post(
        url("user_grant_revoke", user_id=people["clerk_a"].pk, grant_id=leader_grant.pk)
    )
    assert response.status_code == 404


def test_add_and_end_position(client_for, people, tree):
    client = client_for(people["admin_a"])
    target = people["clerk_a"]
    response = client.post(
        url("user_position_add", user_id=target.pk),
        {"unit": tree["commune_a"].code, "title": "Phó Văn phòng"},
    )
    assert response.status_code == 302
    position = Position.objects.get(user=target, unit=tree["commune_a"])

    response = client.post(
        url("user_position_end", user_id=target.pk, position_id=position.pk),
        {"ended_on": clock.today().isoformat()},
    )
    assert response.status_code == 302
    position.refresh_from_db()
    assert position.ended_on == clock.today()


def test_ending_a_position_with_a_future_date_is_an_error(client_for, people):
    position = people["clerk_a"].positions.get()
    response = client_for(people["admin_a"]).post(
        url("user_position_end", user_id=people["clerk_a"].pk, position_id=position.pk),
        {"ended_on": (clock.today() + dt.timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 400
    position.refresh_from_db()
    assert position.ended_on is None
