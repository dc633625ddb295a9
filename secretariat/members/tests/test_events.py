"""Life-cycle services: events validated over the whole sequence, derived columns, transfers
confirmed by the receiving unit, audit in the same transaction, nothing written on refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.members import services
from secretariat.members.choices import EventKind as K
from secretariat.members.choices import Status
from secretariat.members.models import Member, MemberEvent
from secretariat.members.tests.factories import admitted, event, make_member, official
from secretariat.orgs import services as org_services

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
        "leader": make_user("leader", role="leader", unit=tree["province"]),
    }


def test_admission_and_recognition_update_the_record(people: dict[str, Any]) -> None:
    member = make_member(people["cell_a"], actor=people["officer_a"])
    assert member.status == Status.UNRECORDED
    event(member, K.CANDIDATE, D(2021, 9, 1), actor=people["officer_a"], to_unit=people["cell_a"])
    event(member, K.ADMISSION, D(2022, 3, 1), actor=people["officer_a"], to_unit=people["cell_a"])
    member.refresh_from_db()
    assert member.status == Status.PROBATIONARY
    assert member.admitted_on == D(2022, 3, 1)
    assert member.probation_ends_on == D(2023, 3, 1)
    assert member.admitting_unit == people["cell_a"]
    # The recognition file: both forms, recorded from the paper by the officer.
    for kind in ("self_review", "helper_comment"):
        services.probation_review_submit(
            actor=people["officer_a"],
            member=member,
            kind=kind,
            strengths="Tốt",
            weaknesses="Ít",
            conclusion="Đề nghị công nhận",
            written_on=D(2023, 2, 20),
            author_name="Trần Văn Bình",
        )
    event(member, K.OFFICIAL, D(2023, 3, 1), actor=people["officer_a"], decision_number="45-QĐ/ĐU")
    member.refresh_from_db()
    assert member.status == Status.OFFICIAL
    assert member.official_on == D(2023, 3, 1)
    assert list(member.events.values_list("kind", flat=True)) == [
        K.CANDIDATE,
        K.ADMISSION,
        K.OFFICIAL,
    ]
    recorded = AuditEvent.objects.filter(
        action="members.event_recorded", object_type="members.memberevent"
    )
    assert recorded.count() == 3
    last = recorded.order_by("-seq").first()
    assert last is not None
    assert last.data["status"] == Status.OFFICIAL


def test_an_invalid_event_writes_nothing(people: dict[str, Any]) -> None:
    member = admitted(people["cell_a"], D(2022, 3, 1))
    audit_count = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match="before the probation ends on 01/03/2023"):
        event(member, K.OFFICIAL, D(2022, 12, 1), actor=people["officer_a"])
    assert MemberEvent.objects.filter(member=member).count() == 1
    assert AuditEvent.objects.count() == audit_count
    member.refresh_from_db()
    assert member.status == Status.PROBATIONARY
    assert member.event_count == 1


def test_future_dates_and_typed_in_expulsions_are_refused(people: dict[str, Any]) -> None:
    member = official(people["cell_a"])
    with pytest.raises(ValidationFailed) as failure:
        event(member, K.EXEMPTION, D(2999, 1, 1))
    assert "effective_on" in failure.value.field_errors
    with pytest.raises(ValidationFailed, match="discipline decision"):
        event(member, K.EXPULSION, D(2023, 1, 1))


def test_transfer_of_a_removed_member_is_refused(people: dict[str, Any]) -> None:
    member = official(people["cell_a"])
    event(member, K.REMOVAL, D(2023, 6, 1), actor=people["officer_a"])
    with pytest.raises(ValidationFailed, match="cannot be transferred"):
        event(
            member,
            K.TRANSFER_OFFICIAL,
            D(2023, 7, 1),
            actor=people["officer_a"],
            to_unit=people["cell_b"],
        )


def test_official_transfer_is_confirmed_by_the_receiving_unit(people: dict[str, Any]) -> None:
    member = official(people["cell_a"])
    transfer = event(
        member,
        K.TRANSFER_OFFICIAL,
        D(2023, 6, 1),
        actor=people["officer_a"],
        to_unit=people["cell_b"],
    )
    member.refresh_from_db()
    assert member.unit == people["cell_a"]
    assert member.pending_transfer == transfer
    assert transfer.from_unit == people["cell_a"]
    # The sending officer cannot confirm; the receiving one can.
    with pytest.raises(PermissionDenied):
        services.member_transfer_confirm(actor=people["officer_a"], event=transfer)
    services.member_transfer_confirm(actor=people["officer_b"], event=transfer)
    member.refresh_from_db()
    assert member.unit == people["cell_b"]
    assert member.pending_transfer is None
    transfer.refresh_from_db()
    assert transfer.confirmed_by == people["officer_b"]
    assert AuditEvent.objects.filter(action="members.transfer_confirmed").count() == 1
    with pytest.raises(Conflict):
        services.member_transfer_confirm(actor=people["officer_b"], event=transfer)
    # Now the receiving unit keeps the record, the sending one no longer may.
    with pytest.raises(PermissionDenied):
        event(member, K.EXEMPTION, D(2023, 8, 1), actor=people["officer_a"])
    event(member, K.EXEMPTION, D(2023, 8, 1), actor=people["officer_b"])


def test_transfer_within_the_committee_stays_in_the_committee(people: dict[str, Any]) -> None:
    member = official(people["cell_a"])
    with pytest.raises(ValidationFailed, match="same Party committee"):
        event(member, K.TRANSFER_WITHIN, D(2023, 6, 1), to_unit=people["cell_b"])


def test_transfer_out_of_the_node_waits_with_its_destination(people: dict[str, Any]) -> None:
    member = official(people["cell_a"])
    transfer = event(
        member,
        K.TRANSFER_OUT,
        D(2023, 6, 1),
        actor=people["officer_a"],
        external_destination="Đảng ủy phường 1, Tỉnh ủy Khánh Hòa",
    )
    member.refresh_from_db()
    assert member.status == Status.OFFICIAL
    assert member.pending_transfer == transfer
    # Outside the node, the sending unit records the other side's confirmation.
    with pytest.raises(PermissionDenied):
        services.member_transfer_confirm(actor=people["officer_b"], event=transfer)
    services.member_transfer_confirm(actor=people["officer_a"], event=transfer)
    member.refresh_from_db()
    assert member.status == Status.TRANSFERRED_OUT
    # Coming back later, to another unit, is recorded by the receiving unit.
    event(member, K.TRANSFER_IN, D(2024, 6, 1), actor=people["officer_b"], to_unit=people["cell_b"])
    member.refresh_from_db()
    assert member.status == Status.OFFICIAL
    assert member.unit == people["cell_b"]


def test_an_officer_acts_only_in_scope(people: dict[str, Any]) -> None:
    member = admitted(people["cell_a"])
    with pytest.raises(PermissionDenied):
        event(member, K.EXEMPTION, D(2023, 1, 1), actor=people["officer_b"])
    with pytest.raises(PermissionDenied):
        event(member, K.EXEMPTION, D(2023, 1, 1), actor=people["leader"])
    with pytest.raises(PermissionDenied):
        make_member(people["cell_a"], actor=people["officer_b"])


def test_members_follow_their_cell_when_it_is_merged(
    people: dict[str, Any], make_user: Any
) -> None:
    admin = make_user("admin", role="system_admin", unit=people["province"])
    member = official(people["cell_a"])
    gone = official(people["cell_a"], full_name="Trần Thị Bình")
    event(gone, K.DEATH, D(2024, 1, 1))
    org_services.unit_merge(
        actor=admin, source=people["cell_a"], target=people["commune_a"], effective_on=D(2026, 1, 1)
    )
    member.refresh_from_db()
    gone.refresh_from_db()
    assert member.unit == people["commune_a"]
    last = member.events.last()
    assert last is not None
    assert last.kind == K.UNIT_REORGANIZED
    assert gone.unit == people["cell_a"]  # history stays with the old cell


def test_expulsion_by_discipline_ends_the_membership(people: dict[str, Any]) -> None:
    member = official(people["cell_a"])
    discipline = services.discipline_add(
        actor=people["officer_a"],
        member=member,
        form="expulsion",
        decided_on=D(2024, 2, 1),
        decision_number="07-QĐ/UBKT",
        reason="Vi phạm",
    )
    member.refresh_from_db()
    assert member.status == Status.EXPELLED
    assert discipline.event is not None
    assert discipline.event.kind == K.EXPULSION
    with pytest.raises(ValidationFailed, match="Only a Party member can be disciplined"):
        services.discipline_add(
            actor=people["officer_a"], member=member, form="warning", decided_on=D(2024, 3, 1)
        )
    event(member, K.RESTORATION, D(2025, 1, 1), actor=people["officer_a"])
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL


def test_birth_date_change_is_checked_against_the_admission(people: dict[str, Any]) -> None:
    member = admitted(people["cell_a"], D(2022, 3, 1))
    with pytest.raises(ValidationFailed, match="18 years old"):
        services.member_update(
            actor=people["officer_a"], member=member, changes={"birth_date": D(2010, 1, 1)}
        )
    member.refresh_from_db()
    assert member.birth_date == D(1990, 5, 17)
