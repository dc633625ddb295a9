"""Profiles: validation, sensitive fields sealed at rest (read from the raw column), duplicates
found by digest, scope per role, an audit event for every full-profile view, own profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from secretariat.audit.models import AuditEvent
from secretariat.core import keys
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.members import sealing, selectors_members, services
from secretariat.members.models import Member
from secretariat.members.tests.factories import make_member, profile

pytestmark = pytest.mark.django_db
D = dt.date
SECRETS = {
    "citizen_id": "068090001234",
    "religion_detail": "Phật giáo Hòa Hảo, quy y 2001",
    "health": "Bệnh tim mạch",
    "relatives_abroad": "Anh trai ở Pháp",
    "economic_situation": "Nhà 3 tầng",
}


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
        "leader": make_user("leader", role="leader", unit=tree["province"]),
        "clerk": make_user("clerk", role="records_clerk", unit=tree["province"]),
    }


def _raw(member: Member, column: str) -> bytes:
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608
            [member.pk.hex if connection.vendor == "sqlite" else member.pk],
        )
        value = cursor.fetchone()[0]
    return bytes(value) if value is not None else b""


def test_sensitive_fields_are_sealed_at_rest(people: dict[str, Any]) -> None:
    member = make_member(people["cell_a"], actor=people["officer_a"], **SECRETS)
    for name, secret in SECRETS.items():
        raw = _raw(member, f"{name}_sealed")
        assert raw, name
        assert secret.encode("utf-8") not in raw
        assert secret.split()[0].encode("utf-8") not in raw
    # The digest finds the citizen ID without holding it.
    assert member.citizen_id_digest == sealing.citizen_id_digest("068 090 001 234")
    assert "068090001234" not in member.citizen_id_digest
    # Bound to its member: copied into another row it does not open.
    other = make_member(people["cell_a"], full_name="Lê Văn Cường")
    with pytest.raises(keys.SealError):
        keys.unseal(_raw(member, "health_sealed"), context=sealing.context("health", other.pk))
    # Nothing sensitive in the audit log's readable data.
    for event in AuditEvent.objects.filter(action__startswith="members."):
        text = str(event.data)
        assert all(secret not in text for secret in SECRETS.values())


def test_the_full_profile_unseals_and_is_audited(people: dict[str, Any]) -> None:
    member = make_member(people["cell_a"], **SECRETS)
    before = AuditEvent.objects.filter(action="members.profile_viewed").count()
    result = selectors_members.member_profile(user=people["officer_a"], member_id=member.pk)
    assert result.sensitive["health"] == "Bệnh tim mạch"
    assert result.sensitive["citizen_id"] == "068090001234"
    assert result.sensitive["war_invalid"] == ""
    views = AuditEvent.objects.filter(action="members.profile_viewed")
    assert views.count() == before + 1
    view = views.order_by("-seq").first()
    assert view is not None
    assert view.actor_id == people["officer_a"].pk
    assert view.object_id == str(member.pk)


def test_scope_rules_per_role(people: dict[str, Any]) -> None:
    mine = make_member(people["cell_a"])
    theirs = make_member(people["cell_b"], full_name="Phạm Thị Dung")
    in_scope = selectors_members.members_in_scope
    assert list(in_scope(user=people["officer_a"])) == [mine]
    assert list(in_scope(user=people["officer_b"])) == [theirs]
    # Leaders read aggregate reports only; clerks nothing.
    assert list(in_scope(user=people["leader"])) == []
    assert list(in_scope(user=people["clerk"])) == []
    audit_count = AuditEvent.objects.count()
    for user, member in [
        (people["officer_b"], mine),
        (people["leader"], mine),
        (people["clerk"], theirs),
    ]:
        with pytest.raises(NotFound):
            selectors_members.member_profile(user=user, member_id=member.pk)
    with pytest.raises(NotFound):
        selectors_members.member_get(user=people["officer_a"], member_id="not-a-uuid")
    assert AuditEvent.objects.count() == audit_count
    with pytest.raises(PermissionDenied):
        services.member_update(actor=people["leader"], member=mine, changes={"occupation": "Kỹ sư"})


def test_profile_validation_names_each_field(people: dict[str, Any]) -> None:
    errors = services.profile_errors(
        profile(
            full_name="",
            gender="x",
            birth_date="1990-02-30",
            ethnicity="77",
            general_education="13/12",
            citizen_id="12345",
            nickname="?",
        )
    )
    assert set(errors) == {
        "full_name",
        "gender",
        "birth_date",
        "ethnicity",
        "general_education",
        "citizen_id",
        "nickname",
    }
    with pytest.raises(ValidationFailed):
        make_member(people["cell_a"], gender="x")
    assert Member.objects.count() == 0
    assert services.profile_errors(profile(birth_date="1990-02-28")) == {}


def test_duplicates_are_refused_with_a_message(people: dict[str, Any]) -> None:
    make_member(people["cell_a"], citizen_id="068090001234", party_record_number="LL-001")
    with pytest.raises(ValidationFailed) as failure:
        make_member(people["cell_b"], full_name="Khác", citizen_id="068-090-001-234")
    assert "citizen_id" in failure.value.field_errors
    with pytest.raises(ValidationFailed) as failure:
        make_member(people["cell_b"], full_name="Khác", party_record_number="LL-001")
    assert "party_record_number" in failure.value.field_errors


def test_update_seals_and_audits_the_field_names_only(people: dict[str, Any]) -> None:
    member = make_member(people["cell_a"])
    services.member_update(
        actor=people["officer_a"],
        member=member,
        changes={"health": "Tốt", "occupation": "Giáo viên", "general_education": "9/12"},
    )
    member.refresh_from_db()
    assert member.occupation == "Giáo viên"
    assert member.general_education_grade == 9
    assert sealing.read_sensitive_field(member, "health") == "Tốt"
    event = AuditEvent.objects.filter(action="members.member_updated").get()
    assert event.data["sensitive_fields"] == ["health"]
    assert "Tốt" not in str(event.data)
    with pytest.raises(ValidationFailed):
        services.member_update(
            actor=people["officer_a"], member=member, changes={"status": "official"}
        )


def test_photo_is_sealed_and_checked(people: dict[str, Any]) -> None:
    member = make_member(people["cell_a"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    services.member_photo_set(
        actor=people["officer_a"], member=member, content=png, content_type="image/png"
    )
    assert png not in _raw(member, "photo_sealed")
    assert selectors_members.member_photo(user=people["officer_a"], member_id=member.pk) == (
        png,
        "image/png",
    )
    with pytest.raises(ValidationFailed, match="JPEG, PNG or WebP"):
        services.member_photo_set(
            actor=people["officer_a"], member=member, content=b"GIF89a", content_type="image/png"
        )
    with pytest.raises(ValidationFailed, match="512 KB"):
        services.member_photo_set(
            actor=people["officer_a"],
            member=member,
            content=png + b"0" * 600_000,
            content_type="image/png",
        )
    with pytest.raises(NotFound):
        selectors_members.member_photo(user=people["officer_b"], member_id=member.pk)


def test_a_linked_user_sees_their_own_profile(people: dict[str, Any], make_user: Any) -> None:
    member = make_member(people["cell_a"], health="Tốt")
    person = make_user("an")
    assert selectors_members.own_member_profile(user=person) is None
    services.member_link_user(actor=people["officer_a"], member=member, user=person)
    own = selectors_members.own_member_profile(user=person)
    assert own is not None
    assert own.member == member
    assert own.sensitive["health"] == "Tốt"
    view = AuditEvent.objects.filter(action="members.profile_viewed").get()
    assert view.data["own"] is True
    # The account is not an officer: nobody else's record.
    assert list(selectors_members.members_in_scope(user=person)) == []
    other = make_member(people["cell_a"], full_name="Võ Văn Em")
    with pytest.raises(Conflict):
        services.member_link_user(actor=people["officer_a"], member=other, user=person)
