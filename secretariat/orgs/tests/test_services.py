"""The services that change the tree: rights, validation, history, audit, atomicity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from secretariat.accounts import policy
from secretariat.accounts.models import Position, RoleGrant
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.orgs import hooks, selectors, services
from secretariat.orgs.models import Unit, UnitEvent, UnitKind

pytestmark = pytest.mark.django_db


def fresh(unit: Unit) -> Unit:
    return Unit.objects.get(pk=unit.pk)


def parent_code(unit: Unit) -> str | None:
    parent = services.parent_of(fresh(unit))
    return parent.code if parent else None


def new_cell(actor: Any, parent: Unit, code: str = "000.01.02.T68", **extra: Any) -> Unit:
    return services.unit_create(
        actor=actor,
        parent=parent,
        name="Chi bộ thôn Bon Đơng",
        kind=UnitKind.CELL,
        code=code,
        abbreviation="CB",
        **extra,
    )


@pytest.fixture
def admin(tree: dict[str, Unit], make_user: Any) -> Any:
    return make_user("sysadmin", role="system_admin", unit=tree["province"])


@pytest.fixture
def admin_a(tree: dict[str, Unit], make_user: Any) -> Any:
    return make_user("admin_a", role="unit_admin", unit=tree["commune_a"])


# --- create -------------------------------------------------------------------------------------


def test_unit_admin_creates_a_cell_with_history_and_audit(tree: dict[str, Unit], admin_a: Any):
    unit = new_cell(admin_a, tree["commune_a"], valid_from=dt.date(2025, 7, 1))

    assert parent_code(unit) == "000.01.00.T68"
    assert unit.active
    event = UnitEvent.objects.get(unit=unit)
    assert (event.kind, event.effective_on) == ("created", dt.date(2025, 7, 1))
    audit = AuditEvent.objects.get(action="orgs.unit_created")
    assert audit.actor_username == "admin_a"
    assert audit.object_id == str(unit.pk)
    assert audit.data["code"] == "000.01.02.T68"


def test_unit_admin_cannot_create_outside_their_subtree(tree: dict[str, Unit], admin_a: Any):
    with pytest.raises(PermissionDenied):
        new_cell(admin_a, tree["commune_b"])
    assert not Unit.objects.filter(code="000.01.02.T68").exists()


def test_only_a_system_admin_creates_a_root(admin: Any, admin_a: Any):
    kwargs: dict[str, Any] = {
        "parent": None,
        "name": "Tỉnh ủy khác",
        "kind": UnitKind.PROVINCIAL_COMMITTEE,
        "code": "000.00.00.T69",
        "abbreviation": "TU",
    }
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=admin_a, **kwargs)
    root = services.unit_create(actor=admin, **kwargs)
    assert root.depth == 1


def test_create_reports_every_bad_field(tree: dict[str, Unit], admin: Any):
    with pytest.raises(ValidationFailed) as info:
        services.unit_create(
            actor=admin,
            parent=tree["province"],
            name="  ",
            kind="galaxy",
            code="12-34",
            abbreviation="",
        )
    assert set(info.value.field_errors) == {"name", "kind", "code", "abbreviation"}
    assert "12-34" in str(info.value.field_errors["code"][0])


def test_create_refuses_a_code_in_use(tree: dict[str, Unit], admin: Any):
    with pytest.raises(ValidationFailed) as info:
        new_cell(admin, tree["commune_a"], code="000.02.01.T68")
    assert "already in use" in str(info.value.field_errors["code"][0])


@override_settings(ORG_CODE_PATTERN=r"^[A-Z]{2}-\d{3}$")
def test_the_code_pattern_is_read_from_settings_at_call_time(tree: dict[str, Unit], admin: Any):
    with pytest.raises(ValidationFailed):
        new_cell(admin, tree["commune_a"], code="000.01.02.T68")
    assert new_cell(admin, tree["commune_a"], code="LD-001").code == "LD-001"


# --- update -------------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields(tree: dict[str, Unit], admin_a: Any):
    cell = services.unit_update(
        actor=admin_a, unit=tree["cell_a"], name_en="Dang Gia cell", valid_to=dt.date(2030, 1, 1)
    )
    assert (cell.name, cell.name_en, cell.valid_to) == (
        "Chi bộ thôn Đăng Gia",
        "Dang Gia cell",
        dt.date(2030, 1, 1),
    )
    event = UnitEvent.objects.get(unit=cell, kind="updated")
    assert event.details["changes"]["name_en"] == ["", "Dang Gia cell"]
    assert (
        AuditEvent.objects.filter(action="orgs.unit_updated", object_id=str(cell.pk)).count() == 1
    )


def test_update_without_change_writes_nothing(tree: dict[str, Unit], admin_a: Any):
    services.unit_update(actor=admin_a, unit=tree["cell_a"], name="Chi bộ thôn Đăng Gia")
    assert not UnitEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="orgs.unit_updated").exists()


def test_update_refuses_validity_ending_before_it_starts(tree: dict[str, Unit], admin_a: Any):
    with pytest.raises(ValidationFailed) as info:
        services.unit_update(
            actor=admin_a,
            unit=tree["cell_a"],
            valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2024, 1, 1),
        )
    assert "valid_to" in info.value.field_errors


def test_specialist_cannot_update(tree: dict[str, Unit], make_user: Any):
    specialist = make_user("spec", role="specialist", unit=tree["commune_a"])
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=specialist, unit=tree["cell_a"], name="X")


# --- move ---------------------------------------------------------------------------------------


def test_move_re_parents_the_whole_subtree(tree: dict[str, Unit], admin: Any):
    services.unit_move(actor=admin, unit=tree["commune_a"], new_parent=tree["office"])

    assert parent_code(tree["commune_a"]) == "000.00.01.T68"
    assert parent_code(tree["cell_a"]) == "000.01.00.T68"
    assert fresh(tree["cell_a"]).depth == 4
    assert fresh(tree["province"]).numchild == 2
    assert fresh(tree["office"]).numchild == 1
    event = UnitEvent.objects.get(unit=tree["commune_a"], kind="moved")
    assert event.details == {"from": "000.00.00.T68", "to": "000.00.01.T68"}
    assert AuditEvent.objects.filter(action="orgs.unit_moved").count() == 1
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_move_into_own_subtree_is_refused(tree: dict[str, Unit], admin: Any):
    for target in (tree["commune_a"], tree["cell_a"]):
        with pytest.raises(ValidationFailed) as info:
            services.unit_move(actor=admin, unit=tree["commune_a"], new_parent=target)
        assert "itself or one of its sub-units" in str(info.value.message)
    assert parent_code(tree["commune_a"]) == "000.00.00.T68"


def test_move_needs_rights_on_the_new_parent(tree: dict[str, Unit], admin_a: Any):
    with pytest.raises(PermissionDenied):
        services.unit_move(actor=admin_a, unit=tree["cell_a"], new_parent=tree["commune_b"])
    assert parent_code(tree["cell_a"]) == "000.01.00.T68"


def test_a_commune_admin_moved_with_their_subtree_still_sees_it(
    tree: dict[str, Unit], admin: Any, admin_a: Any
):
    services.unit_move(actor=admin, unit=tree["commune_a"], new_parent=tree["commune_b"])

    policy.forget(admin_a)
    visible = set(selectors.units_visible_to(user=admin_a).values_list("code", flat=True))
    assert visible == {"000.01.00.T68", "000.01.01.T68"}
    assert (
        services.unit_update(actor=admin_a, unit=tree["cell_a"], name_en="Cell").name_en == "Cell"
    )


# --- merge --------------------------------------------------------------------------------------


def test_merge_moves_children_and_people_and_revokes_grants(
    tree: dict[str, Unit], admin: Any, make_user: Any
):
    secretary = make_user(
        "bi_thu", role="leader", unit=tree["commune_a"], position=(tree["commune_a"], "Bí thư")
    )
    former = make_user("former", position=(tree["commune_a"], "Phó Bí thư"))
    Position.objects.filter(user=former).update(ended_on=dt.date(2024, 12, 31))

    services.unit_merge(
        actor=admin,
        source=tree["commune_a"],
        target=tree["commune_b"],
        effective_on=dt.date(2025, 7, 1),
    )

    source = fresh(tree["commune_a"])
    assert (source.active, source.valid_to, source.merged_into_id) == (
        False,
        dt.date(2025, 7, 1),
        tree["commune_b"].pk,
    )
    assert parent_code(tree["cell_a"]) == "000.02.00.T68"
    assert Position.objects.get(user=secretary).unit_id == tree["commune_b"].pk
    # The grant is revoked, not moved: it would otherwise cover all of commune B.
    grant = RoleGrant.objects.get(user=secretary)
    assert (grant.unit_id, grant.revoked_at is not None) == (source.pk, True)
    assert AuditEvent.objects.filter(action="accounts.grant_revoked_by_merge").count() == 1
    # An ended position is history of the old unit and stays with it.
    assert Position.objects.get(user=former).unit_id == source.pk
    assert UnitEvent.objects.get(unit=source, kind="merged").details["into"] == "000.02.00.T68"
    absorbed = UnitEvent.objects.get(unit=tree["commune_b"], kind="absorbed")
    assert absorbed.details == {"from": "000.01.00.T68", "children": ["000.01.01.T68"]}
    assert UnitEvent.objects.get(unit=tree["cell_a"], kind="moved").details["reason"] == "merge"
    assert AuditEvent.objects.filter(action="orgs.unit_merged").count() == 1
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_merge_into_own_sub_unit_or_itself_is_refused(tree: dict[str, Unit], admin: Any):
    for target in (tree["commune_a"], tree["cell_a"]):
        with pytest.raises(ValidationFailed):
            services.unit_merge(
                actor=admin, source=tree["commune_a"], target=target, effective_on=clock.today()
            )
    assert fresh(tree["commune_a"]).active


def test_merge_needs_rights_on_both_units(tree: dict[str, Unit], admin_a: Any):
    with pytest.raises(PermissionDenied):
        services.unit_merge(
            actor=admin_a,
            source=tree["cell_a"],
            target=tree["cell_b"],
            effective_on=clock.today(),
        )


class _FailingHook:
    def on_merge(self, *, actor: Any, source: Unit, target: Unit) -> None:
        raise RuntimeError("the members registry is down")


def test_a_failing_merge_hook_rolls_back_the_tree_and_the_audit(tree: dict[str, Unit], admin: Any):
    """The merge, its unit events, its audit events and the hooks share one transaction."""
    hook = _FailingHook()
    hooks.register_merge_hook(hook)
    try:
        with pytest.raises(RuntimeError):
            services.unit_merge(
                actor=admin,
                source=tree["commune_a"],
                target=tree["commune_b"],
                effective_on=clock.today(),
            )
    finally:
        hooks.unregister_merge_hook(hook)
    assert fresh(tree["commune_a"]).active
    assert parent_code(tree["cell_a"]) == "000.01.00.T68"
    assert not UnitEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="orgs.").exists()


# --- dissolve -----------------------------------------------------------------------------------


def test_dissolve_is_refused_while_sub_units_or_people_remain(
    tree: dict[str, Unit], admin: Any, make_user: Any
):
    with pytest.raises(ValidationFailed) as info:
        services.unit_dissolve(
            actor=admin, unit=tree["commune_a"], effective_on=clock.today(), reason="QĐ 12"
        )
    assert "1 active sub-unit" in str(info.value.message)

    make_user("member", position=(tree["cell_a"], "Đảng viên"))
    with pytest.raises(ValidationFailed) as info:
        services.unit_dissolve(
            actor=admin, unit=tree["cell_a"], effective_on=clock.today(), reason="QĐ 12"
        )
    assert "1 person(s) still hold a position" in str(info.value.message)
    assert fresh(tree["cell_a"]).active


def test_dissolve_keeps_the_unit_inactive_with_its_history(tree: dict[str, Unit], admin_a: Any):
    unit = services.unit_dissolve(
        actor=admin_a,
        unit=tree["cell_a"],
        effective_on=dt.date(2025, 7, 1),
        reason="Quyết định 45-QĐ/ĐU",
    )
    assert (unit.active, unit.valid_to) == (False, dt.date(2025, 7, 1))
    assert Unit.objects.filter(pk=unit.pk).exists()
    event = UnitEvent.objects.get(unit=unit)
    assert (event.kind, event.details["reason"]) == ("dissolved", "Quyết định 45-QĐ/ĐU")
    assert AuditEvent.objects.get(action="orgs.unit_dissolved").data["code"] == "000.01.01.T68"
    with pytest.raises(ValidationFailed):
        services.unit_dissolve(
            actor=admin_a, unit=unit, effective_on=dt.date(2025, 7, 2), reason="again"
        )


def test_dissolve_needs_a_reason(tree: dict[str, Unit], admin_a: Any):
    with pytest.raises(ValidationFailed) as info:
        services.unit_dissolve(
            actor=admin_a, unit=tree["cell_a"], effective_on=clock.today(), reason=" "
        )
    assert "reason" in info.value.field_errors
