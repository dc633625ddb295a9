"""Services and selectors of the user administration: who may do what, and what gets recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.accounts import policy, selectors
from secretariat.accounts.models import Position, Role, RoleGrant, User
from secretariat.accounts.services import users as services
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .factories import PositionFactory, RoleGrantFactory, UserFactory, build_people

STRONG = "Giấy-mời-họp-2025!"


@pytest.fixture
def people(tree: dict[str, Any]) -> dict[str, User]:
    return build_people(tree)


def fresh(user: User) -> User:
    """The user as a new request would load them (no cached grants)."""
    return User.objects.get(pk=user.pk)


def create(actor: User, unit: Any, username: str = "nguyenvanb", **kwargs: Any) -> User:
    params: dict[str, Any] = {
        "full_name": "Nguyễn Văn Bình",
        "password": STRONG,
        "language": "vi",
        "title": "Chuyên viên",
    }
    params.update(kwargs)
    return services.user_create(actor=actor, username=username, unit=unit, **params)


# --- user_create ---------------------------------------------------------------------------------


def test_create_makes_user_with_primary_position_and_audits(tree, people):
    user = create(people["admin_a"], tree["cell_a"], username="  NguyenVanB ")

    assert user.username == "nguyenvanb"
    assert user.check_password(STRONG)
    position = user.positions.get()
    assert (position.unit, position.title, position.is_primary) == (
        tree["cell_a"],
        "Chuyên viên",
        True,
    )
    event = AuditEvent.objects.get(action="accounts.user_created")
    assert event.object_id == str(user.pk)
    assert event.unit_id == tree["cell_a"].pk
    assert event.actor_id == people["admin_a"].pk
    assert event.data["unit"] == tree["cell_a"].code


def test_create_without_password_leaves_account_unusable(tree, people):
    user = create(people["admin_a"], tree["cell_a"], password=None)
    assert not user.has_usable_password()


def test_create_refuses_duplicate_username_ignoring_case(tree, people):
    with pytest.raises(ValidationFailed) as exc:
        create(people["admin_a"], tree["cell_a"], username="Clerk_A")
    assert "username" in exc.value.field_errors
    assert User.objects.filter(username__iexact="clerk_a").count() == 1


@pytest.mark.parametrize("username", ["ab", "1abc", "nguyễn", "has space", "a" * 151])
def test_create_refuses_badly_formed_username(tree, people, username):
    with pytest.raises(ValidationFailed) as exc:
        create(people["admin_a"], tree["cell_a"], username=username)
    assert list(exc.value.field_errors) == ["username"]


@pytest.mark.parametrize("password", ["short1!", "1234567890123", "password1234"])
def test_create_refuses_weak_password(tree, people, password):
    with pytest.raises(ValidationFailed) as exc:
        create(people["admin_a"], tree["cell_a"], password=password)
    assert exc.value.field_errors["password"]
    assert not User.objects.filter(username="nguyenvanb").exists()
    assert not AuditEvent.objects.filter(action="accounts.user_created").exists()


def test_create_refuses_a_unit_outside_manage_scope(tree, people):
    with pytest.raises(PermissionDenied):
        create(people["admin_a"], tree["cell_b"])
    # A leader sees the users of commune A but may not add any.
    with pytest.raises(PermissionDenied):
        create(people["leader_a"], tree["cell_a"])


def test_audit_never_holds_the_password(tree, people):
    user = create(people["admin_a"], tree["cell_a"])
    temporary = services.password_reset_by_admin(actor=people["admin_a"], user=user)
    for event in AuditEvent.objects.all():
        dumped = repr(event.data) + event.before_digest + event.after_digest
        assert STRONG not in dumped
        assert temporary not in dumped
        assert user.password not in dumped


# --- role grants ---------------------------------------------------------------------------------


def test_unit_admin_grants_a_working_role_in_their_subtree(tree, people):
    grant = services.role_grant(
        actor=people["admin_a"],
        user=people["clerk_a"],
        role=Role.RECORDS_CLERK,
        unit=tree["cell_a"],
        include_subtree=True,
        valid_until=None,
    )
    assert grant.granted_by == people["admin_a"]
    assert policy.can(fresh(people["clerk_a"]), policy.Action.ORGS_VIEW, tree["cell_a"])
    event = AuditEvent.objects.get(action="accounts.role_granted")
    assert event.data["role"] == Role.RECORDS_CLERK
    assert event.unit_id == tree["cell_a"].pk


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDITOR, Role.UNIT_ADMIN])
def test_unit_admin_cannot_grant_admin_or_auditor_roles(tree, people, role):
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=people["admin_a"],
            user=people["clerk_a"],
            role=role,
            unit=tree["cell_a"],
            include_subtree=True,
            valid_until=None,
        )
    assert not RoleGrant.objects.filter(user=people["clerk_a"]).exists()


def test_unit_admin_cannot_grant_outside_their_subtree(tree, people):
    # clerk_a is theirs, but commune B and the province above them are not.
    for unit in (tree["commune_b"], tree["province"]):
        with pytest.raises(PermissionDenied):
            services.role_grant(
                actor=people["admin_a"],
                user=people["clerk_a"],
                role=Role.SPECIALIST,
                unit=unit,
                include_subtree=False,
                valid_until=None,
            )
    # Nor to a user of commune B, even on a unit of their own.
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=people["admin_a"],
            user=people["clerk_b"],
            role=Role.SPECIALIST,
            unit=tree["cell_a"],
            include_subtree=False,
            valid_until=None,
        )


def test_system_admin_grants_any_role(tree, people):
    grant = services.role_grant(
        actor=people["sysadmin"],
        user=people["clerk_b"],
        role=Role.AUDITOR,
        unit=tree["province"],
        include_subtree=True,
        valid_until=None,
    )
    assert grant.role == Role.AUDITOR


def test_nobody_grants_themself(tree, people):
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=people["sysadmin"],
            user=people["sysadmin"],
            role=Role.AUDITOR,
            unit=tree["province"],
            include_subtree=True,
            valid_until=None,
        )


def test_identical_active_grant_is_refused_until_revoked(tree, people):
    kwargs: dict[str, Any] = {
        "user": people["clerk_a"],
        "role": Role.SPECIALIST,
        "unit": tree["cell_a"],
        "include_subtree": True,
        "valid_until": None,
    }
    grant = services.role_grant(actor=people["admin_a"], **kwargs)
    with pytest.raises(Conflict):
        services.role_grant(actor=people["admin_a"], **kwargs)
    services.role_revoke(actor=people["admin_a"], grant=grant)
    again = services.role_grant(actor=people["admin_a"], **kwargs)
    assert again.pk != grant.pk


def test_grant_ending_in_the_past_is_refused(tree, people):
    with pytest.raises(ValidationFailed) as exc:
        services.role_grant(
            actor=people["admin_a"],
            user=people["clerk_a"],
            role=Role.SPECIALIST,
            unit=tree["cell_a"],
            include_subtree=True,
            valid_until=clock.today() - dt.timedelta(days=1),
        )
    assert "valid_until" in exc.value.field_errors


def test_expired_grant_no_longer_gives_access(tree, people, monkeypatch):
    services.role_grant(
        actor=people["admin_a"],
        user=people["clerk_a"],
        role=Role.LEADER,
        unit=tree["commune_a"],
        include_subtree=True,
        valid_until=clock.today(),
    )
    assert policy.can(fresh(people["clerk_a"]), policy.Action.ACCOUNTS_VIEW, tree["cell_a"])
    assert selectors.users_visible_to(user=fresh(people["clerk_a"])).exists()

    tomorrow = clock.today() + dt.timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda: tomorrow)
    clerk = fresh(people["clerk_a"])
    assert not policy.can(clerk, policy.Action.ACCOUNTS_VIEW, tree["cell_a"])
    assert not selectors.users_visible_to(user=clerk).exists()


def test_revoked_grant_no_longer_gives_access(tree, people):
    grant = services.role_grant(
        actor=people["admin_a"],
        user=people["clerk_a"],
        role=Role.LEADER,
        unit=tree["commune_a"],
        include_subtree=True,
        valid_until=None,
    )
    services.role_revoke(actor=people["admin_a"], grant=grant)

    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert not policy.can(fresh(people["clerk_a"]), policy.Action.ACCOUNTS_VIEW)
    assert AuditEvent.objects.filter(
        action="accounts.role_revoked", object_id=str(grant.pk)
    ).exists()
    with pytest.raises(Conflict):
        services.role_revoke(actor=people["admin_a"], grant=grant)


def test_unit_admin_cannot_revoke_a_role_they_could_not_grant(tree, people):
    admin_grant = people["admin_a"].role_grants.get()
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=people["admin_b"], grant=admin_grant)
    leader_grant = people["leader_a"].role_grants.get()
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=people["admin_b"], grant=leader_grant)
    services.role_revoke(actor=people["admin_a"], grant=leader_grant)


# --- accounts: update, deactivate, password ------------------------------------------------------


def test_update_and_deactivate_are_audited(tree, people):
    clerk = people["clerk_a"]
    services.user_update(
        actor=people["admin_a"],
        user=clerk,
        full_name="Nguyễn  Văn  Ân",
        language="fr",
        is_active=True,
    )
    clerk.refresh_from_db()
    assert (clerk.full_name, clerk.language) == ("Nguyễn Văn Ân", "fr")
    services.user_deactivate(actor=people["admin_a"], user=clerk)
    clerk.refresh_from_db()
    assert not clerk.is_active
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["accounts.user_updated", "accounts.user_deactivated"]
    assert AuditEvent.objects.get(action="accounts.user_deactivated").unit_id == tree["cell_a"].pk


def test_update_refuses_unknown_language_and_empty_name(people):
    with pytest.raises(ValidationFailed) as exc:
        services.user_update(
            actor=people["admin_a"],
            user=people["clerk_a"],
            full_name="X",
            language="de",
            is_active=True,
        )
    assert "language" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.user_update(
            actor=people["admin_a"],
            user=people["clerk_a"],
            full_name="  ",
            language="vi",
            is_active=True,
        )
    assert "full_name" in exc.value.field_errors


def test_nobody_deactivates_themself(people):
    with pytest.raises(Conflict):
        services.user_deactivate(actor=people["admin_a"], user=people["admin_a"])


def test_leader_and_other_commune_cannot_change_accounts(people):
    for actor in (people["leader_a"], people["admin_b"], people["specialist_a"]):
        with pytest.raises(PermissionDenied):
            services.user_deactivate(actor=actor, user=people["clerk_a"])
        with pytest.raises(PermissionDenied):
            services.password_reset_by_admin(actor=actor, user=people["clerk_a"])


def test_password_reset_gives_a_working_temporary_password(people):
    clerk = people["clerk_a"]
    temporary = services.password_reset_by_admin(actor=people["admin_a"], user=clerk)
    clerk.refresh_from_db()
    assert clerk.check_password(temporary)
    assert len(temporary) >= 12
    assert AuditEvent.objects.filter(
        action="accounts.password_reset", object_id=str(clerk.pk)
    ).exists()


def test_unit_admin_cannot_take_over_a_more_powerful_account(tree, people):
    """A system administrator who also holds a post in commune A stays out of admin_a's reach,
    and so does a fellow unit administrator of commune A."""
    boss = UserFactory.create(username="boss")
    RoleGrantFactory.create(user=boss, role=Role.SYSTEM_ADMIN, unit=tree["province"])
    PositionFactory.create(user=boss, unit=tree["cell_a"], title="Bí thư")
    peer = UserFactory.create(username="peer")
    RoleGrantFactory.create(user=peer, role=Role.UNIT_ADMIN, unit=tree["commune_a"])
    for target in (boss, peer):
        assert selectors.user_get(user=people["admin_a"], user_id=target.pk) == target
        with pytest.raises(PermissionDenied):
            services.password_reset_by_admin(actor=people["admin_a"], user=target)
        with pytest.raises(PermissionDenied):
            services.user_deactivate(actor=people["admin_a"], user=target)
    # The system administrator may.
    services.password_reset_by_admin(actor=people["sysadmin"], user=peer)


# --- positions -----------------------------------------------------------------------------------


def test_new_primary_position_demotes_the_old_one(tree, people):
    clerk = people["clerk_a"]
    services.position_add(
        actor=people["admin_a"],
        user=clerk,
        unit=tree["commune_a"],
        title="Phó Chánh Văn phòng",
        is_primary=True,
    )
    primaries = list(clerk.positions.filter(is_primary=True).values_list("title", flat=True))
    assert primaries == ["Phó Chánh Văn phòng"]
    with pytest.raises(Conflict):
        services.position_add(
            actor=people["admin_a"],
            user=clerk,
            unit=tree["commune_a"],
            title="phó chánh văn phòng",
            is_primary=False,
        )


def test_position_outside_scope_is_refused(tree, people):
    with pytest.raises(PermissionDenied):
        services.position_add(
            actor=people["admin_a"],
            user=people["clerk_a"],
            unit=tree["cell_b"],
            title="Văn thư",
            is_primary=False,
        )


def test_ending_the_only_position_takes_the_user_out_of_scope(tree, people):
    position = people["clerk_a"].positions.get()
    with pytest.raises(ValidationFailed):
        services.position_end(
            actor=people["admin_a"],
            position=position,
            ended_on=clock.today() + dt.timedelta(days=1),
        )
    services.position_end(actor=people["admin_a"], position=position, ended_on=clock.today())

    assert Position.objects.get(pk=position.pk).ended_on == clock.today()
    with pytest.raises(NotFound):
        selectors.user_get(user=people["admin_a"], user_id=people["clerk_a"].pk)
    # The system administrator still finds the account, now claimed by no unit.
    assert selectors.user_get(user=people["sysadmin"], user_id=people["clerk_a"].pk)
    with pytest.raises(PermissionDenied):
        services.position_end(
            actor=people["admin_b"],
            position=people["clerk_a"].positions.get(),
            ended_on=clock.today(),
        )


# --- selectors -----------------------------------------------------------------------------------


def usernames(queryset: Any) -> set[str]:
    return {u.username for u in queryset}


def test_scope_of_each_role(people):
    a_side = {"admin_a", "leader_a", "specialist_a", "clerk_a"}
    assert usernames(selectors.users_visible_to(user=people["admin_a"])) == a_side
    assert usernames(selectors.users_visible_to(user=people["leader_a"])) == a_side
    assert usernames(selectors.users_visible_to(user=people["admin_b"])) == {"admin_b", "clerk_b"}
    assert not selectors.users_visible_to(user=people["specialist_a"]).exists()
    # Only the system administrator sees the user no unit claims.
    assert "orphan" in usernames(selectors.users_visible_to(user=people["sysadmin"]))
    # Leaders see, but do not manage.
    assert not selectors.users_visible_to(
        user=people["leader_a"], action=policy.Action.ACCOUNTS_MANAGE
    ).exists()


def test_search_and_unit_filter(tree, people):
    admin = people["sysadmin"]
    assert usernames(selectors.users_visible_to(user=admin, search="Văn An")) == {"clerk_a"}
    assert usernames(selectors.users_visible_to(user=admin, search="CLERK")) == {
        "clerk_a",
        "clerk_b",
    }
    assert usernames(selectors.users_visible_to(user=admin, unit=tree["commune_b"])) == {
        "admin_b",
        "clerk_b",
    }
    # The filter never widens the scope.
    assert not selectors.users_visible_to(user=people["admin_a"], unit=tree["commune_b"]).exists()


def test_user_get_hides_users_outside_scope(people):
    with pytest.raises(NotFound):
        selectors.user_get(user=people["admin_a"], user_id=people["clerk_b"].pk)
    with pytest.raises(NotFound):
        selectors.user_get(user=people["admin_a"], user_id="not-a-uuid")
    with pytest.raises(NotFound):
        selectors.grants_of(user=people["admin_b"], target=people["leader_a"])
    grants = list(selectors.grants_of(user=people["admin_a"], target=people["leader_a"]))
    assert [(g.role, vars(g)["is_active"]) for g in grants] == [(Role.LEADER, True)]


# --- idempotent helpers for the seeder -----------------------------------------------------------


def test_seeder_helpers_are_idempotent(tree):
    user, created = services.user_get_or_create(
        actor=None,
        username="seeded",
        full_name="Seeded",
        password=STRONG,
        unit=tree["office"],
        title="Chuyên viên",
    )
    again, created_again = services.user_get_or_create(
        actor=None,
        username="seeded",
        full_name="Other",
        password=None,
        unit=tree["cell_a"],
        title="X",
    )
    assert (created, created_again, again) == (True, False, user)

    first = services.role_ensure(
        actor=None, user=user, role=Role.RECORDS_CLERK, unit=tree["office"]
    )
    second = services.role_ensure(
        actor=None, user=user, role=Role.RECORDS_CLERK, unit=tree["office"]
    )
    assert first == second
    assert AuditEvent.objects.filter(action="accounts.role_granted").count() == 1
    assert AuditEvent.objects.filter(action="accounts.user_created").count() == 1


def test_role_ensure_with_an_actor_still_checks_may_grant(tree, people):
    with pytest.raises(PermissionDenied):
        services.role_ensure(
            actor=people["admin_a"],
            user=people["clerk_a"],
            role=Role.SYSTEM_ADMIN,
            unit=tree["cell_a"],
        )
