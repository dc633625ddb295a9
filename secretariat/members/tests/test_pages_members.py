"""Member pages per role: records officers see and edit their units' records (404 outside),
leaders and ordinary users open no record, a linked user sees only their own; every view of a
full profile is audited; forms show the services' errors and write nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.members import lifecycle
from secretariat.members.choices import EventKind, Status
from secretariat.members.models import AnnualRating, Discipline, Member, MemberEvent, Reward
from secretariat.members.tests.factories import admitted, make_member, official

pytestmark = pytest.mark.django_db
D = dt.date
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
        "leader": make_user("leader", role="leader", unit=tree["province"]),
        "plain": make_user("plain", position=(tree["cell_a"], "Đảng viên")),
    }


def _views() -> int:
    return AuditEvent.objects.filter(action="members.profile_viewed").count()


def test_the_list_shows_the_officers_units_only(people: dict[str, Any], client_for: Any) -> None:
    make_member(people["cell_a"], full_name="Nguyễn Thị Ánh")
    make_member(people["cell_b"], full_name="Trần Văn Bình")
    body = client_for(people["officer_a"]).get(reverse("members:list")).content.decode()
    assert "Nguyễn Thị Ánh" in body
    assert "Trần Văn Bình" not in body
    for name in ("leader", "plain"):
        assert client_for(people[name]).get(reverse("members:list")).status_code == 403


def test_list_filters_by_name_status_and_probation(people: dict[str, Any], client_for: Any) -> None:
    today = clock.today()
    due = admitted(people["cell_a"], lifecycle.add_months(today, -12) + dt.timedelta(days=10))
    Member.objects.filter(pk=due.pk).update(full_name="Lê Văn Dự Bị")
    official(people["cell_a"], full_name="Phạm Thị Chính")
    client = client_for(people["officer_a"])
    url = reverse("members:list")
    body = client.get(url, {"probation": "on"}).content.decode()
    assert "Lê Văn Dự Bị" in body
    assert "Phạm Thị Chính" not in body
    body = client.get(url, {"q": "chính"}).content.decode()
    assert "Phạm Thị Chính" in body
    assert "Lê Văn Dự Bị" not in body
    body = client.get(url, {"status": Status.OFFICIAL}).content.decode()
    assert "Phạm Thị Chính" in body
    assert "Lê Văn Dự Bị" not in body


def test_member_page_scope_and_audit(people: dict[str, Any], client_for: Any) -> None:
    member = make_member(people["cell_a"], health="Bệnh tim mạch", citizen_id="068090001234")
    url = reverse("members:member", args=[member.pk])
    before = _views()
    response = client_for(people["officer_a"]).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bệnh tim mạch" in body
    assert "068090001234" in body
    assert _views() == before + 1
    event = AuditEvent.objects.filter(action="members.profile_viewed").latest("seq")
    assert event.actor_id == people["officer_a"].pk
    assert event.data["member"] == str(member.pk)
    # Another unit's officer, a leader, an ordinary user: not found, and nothing logged.
    for name in ("officer_b", "leader", "plain"):
        assert client_for(people[name]).get(url).status_code == 404, name
    assert _views() == before + 1


def test_create_then_admit_then_official(people: dict[str, Any], client_for: Any) -> None:
    client = client_for(people["officer_a"])
    response = client.post(
        reverse("members:member_create"),
        {
            "unit": str(people["cell_a"].pk),
            "full_name": "Hoàng Thị Mai",
            "gender": "female",
            "birth_date": "1995-04-02",
            "ethnicity": "01",
            "religion": "none",
            "degree": "bachelor",
            "academic_title": "none",
            "political_theory": "none",
            "citizen_id": "068195001234",
            "health": "Tốt",
        },
    )
    assert response.status_code == 302
    member = Member.objects.get(full_name="Hoàng Thị Mai")
    assert response["Location"] == reverse("members:event", args=[member.pk])
    assert member.status == Status.UNRECORDED
    event_url = reverse("members:event", args=[member.pk])
    admission = {
        "kind": EventKind.ADMISSION,
        "effective_on": "2022-05-19",
        "decision_number": "7-QĐ/ĐU",
    }
    assert client.post(event_url, admission).status_code == 302
    # Too early: refused with the derivation's message, nothing written.
    early = client.post(event_url, {"kind": EventKind.OFFICIAL, "effective_on": "2023-01-10"})
    assert early.status_code == 400
    assert "before the probation ends on 19/05/2023" in early.content.decode()
    assert MemberEvent.objects.filter(member=member).count() == 1
    # The recognition file is empty: the page warns, the service refuses without confirmation.
    assert 'id="forms-missing"' in client.get(event_url).content.decode()
    incomplete = client.post(event_url, {"kind": EventKind.OFFICIAL, "effective_on": "2023-05-19"})
    assert incomplete.status_code == 400
    assert "The recognition file is incomplete" in incomplete.content.decode()
    assert MemberEvent.objects.filter(member=member).count() == 1
    confirmed = {
        "kind": EventKind.OFFICIAL,
        "effective_on": "2023-05-19",
        "without_forms": "on",
        "without_forms_reason": "Hồ sơ giấy đã lưu tại chi bộ",
    }
    assert client.post(event_url, confirmed).status_code == 302
    member.refresh_from_db()
    assert member.status == Status.OFFICIAL
    body = client.get(reverse("members:member", args=[member.pk])).content.decode()
    assert 'data-status="official"' in body


def test_create_form_errors_are_shown(people: dict[str, Any], client_for: Any) -> None:
    client = client_for(people["officer_a"])
    future = (clock.today() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("members:member_create"),
        {
            "unit": str(people["cell_a"].pk),
            "full_name": "Người Tương Lai",
            "gender": "male",
            "birth_date": future,
            "ethnicity": "01",
            "religion": "none",
            "degree": "none",
            "academic_title": "none",
            "political_theory": "none",
            "citizen_id": "12ab",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The date is in the future." in body
    assert "A citizen ID has 12 digits" in body
    assert not Member.objects.filter(full_name="Người Tương Lai").exists()
    # A unit outside the officer's scope is not even a choice.
    response = client.post(
        reverse("members:member_create"),
        {"unit": str(people["cell_b"].pk), "full_name": "X", "gender": "male"},
    )
    assert response.status_code == 400
    assert not Member.objects.filter(full_name="X").exists()


def test_edit_profile_reads_audited_and_saves_sensitive(
    people: dict[str, Any], client_for: Any
) -> None:
    member = make_member(people["cell_a"], health="Tốt")
    client = client_for(people["officer_a"])
    url = reverse("members:member_edit", args=[member.pk])
    before = _views()
    page = client.get(url)
    assert page.status_code == 200
    assert "Tốt" in page.content.decode()
    assert _views() == before + 1
    data = {
        name: (value.isoformat() if isinstance(value, dt.date) else value)
        for name, value in page.context["form"].initial.items()
        if value is not None
    }
    data["health"] = "Tiểu đường"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.filter(action="members.member_updated").latest("seq")
    assert event.data["sensitive_fields"] == ["health"]
    assert "Tiểu đường" not in str(event.data)
    assert client_for(people["officer_b"]).post(url, data).status_code == 404


def test_photo_upload_and_view(people: dict[str, Any], client_for: Any) -> None:
    member = make_member(people["cell_a"])
    client = client_for(people["officer_a"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("members:photo_upload", args=[member.pk])
    bad = client.post(url, {"photo": SimpleUploadedFile("x.png", b"GIF89a....", "image/png")})
    assert bad.status_code == 400
    assert "JPEG, PNG or WebP" in bad.content.decode()
    ok = client.post(url, {"photo": SimpleUploadedFile("x.png", PNG, "image/png")})
    assert ok.status_code == 302
    photo = client.get(reverse("members:photo", args=[member.pk]))
    assert photo.status_code == 200
    assert photo.content == PNG
    assert photo["Content-Type"] == "image/png"
    assert (
        client_for(people["officer_b"]).get(reverse("members:photo", args=[member.pk])).status_code
        == 404
    )


def test_transfer_is_confirmed_by_the_receiving_unit(
    people: dict[str, Any], client_for: Any
) -> None:
    member = official(people["cell_a"], full_name="Đỗ Văn Chuyển")
    sender = client_for(people["officer_a"])
    response = sender.post(
        reverse("members:event", args=[member.pk]),
        {
            "kind": EventKind.TRANSFER_OFFICIAL,
            "effective_on": clock.today().isoformat(),
            "to_unit": people["cell_b"].code,
            "decision_number": "15-QĐ/ĐU",
        },
    )
    assert response.status_code == 302
    event = MemberEvent.objects.get(member=member, kind=EventKind.TRANSFER_OFFICIAL)
    # The sending officer does not see it to confirm, nor may confirm it.
    assert "Đỗ Văn Chuyển" not in sender.get(reverse("members:transfers")).content.decode()
    confirm = reverse("members:transfer_confirm", args=[event.pk])
    assert sender.post(confirm).status_code == 404
    receiver = client_for(people["officer_b"])
    assert "Đỗ Văn Chuyển" in receiver.get(reverse("members:transfers")).content.decode()
    assert receiver.post(confirm).status_code == 302
    member.refresh_from_db()
    assert member.unit_id == people["cell_b"].pk
    # Now the record is the receiving unit's, not the sender's.
    assert sender.get(reverse("members:member", args=[member.pk])).status_code == 404
    assert receiver.get(reverse("members:member", args=[member.pk])).status_code == 200


def test_unknown_unit_code_is_a_form_error(people: dict[str, Any], client_for: Any) -> None:
    member = official(people["cell_a"])
    response = client_for(people["officer_a"]).post(
        reverse("members:event", args=[member.pk]),
        {"kind": EventKind.TRANSFER_OFFICIAL, "effective_on": "2024-01-02", "to_unit": "NOPE"},
    )
    assert response.status_code == 400
    assert "No unit has the code “NOPE”." in response.content.decode()


def test_rating_reward_discipline(people: dict[str, Any], client_for: Any) -> None:
    member = official(people["cell_a"])
    client = client_for(people["officer_a"])
    year = clock.today().year - 1
    assert (
        client.post(
            reverse("members:rating", args=[member.pk]), {"year": year, "rating": "excellent"}
        ).status_code
        == 302
    )
    assert AnnualRating.objects.get(member=member, year=year).rating == "excellent"
    refused = client.post(
        reverse("members:rating", args=[member.pk]), {"year": 1990, "rating": "good"}
    )
    assert refused.status_code == 400
    assert "was not a Party member that year" in refused.content.decode()
    assert (
        client.post(
            reverse("members:reward", args=[member.pk]),
            {"kind": "commendation", "title": "Giấy khen", "decided_on": "2023-12-01"},
        ).status_code
        == 302
    )
    assert Reward.objects.filter(member=member).count() == 1
    assert (
        client.post(
            reverse("members:discipline", args=[member.pk]),
            {"form": "reprimand", "decided_on": "2024-02-01", "reason": "Vắng sinh hoạt"},
        ).status_code
        == 302
    )
    assert Discipline.objects.get(member=member).form == "reprimand"
    body = client.get(reverse("members:member", args=[member.pk])).content.decode()
    assert "Giấy khen" in body
    assert "Reprimand" in body


def test_linked_user_sees_only_their_own_record(
    people: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    member = official(people["cell_a"], full_name="Vũ Thị Riêng", health="Huyết áp")
    other = official(people["cell_a"], full_name="Ngô Văn Khác", card_number="X2")
    user = people["plain"]
    officer = client_for(people["officer_a"])
    link = reverse("members:link_user", args=[member.pk])
    missing = officer.post(link, {"username": "nobody"})
    assert missing.status_code == 400
    assert officer.post(link, {"username": user.username}).status_code == 302
    member.refresh_from_db()
    assert member.user_id == user.pk
    own = client_for(user)
    before = _views()
    body = own.get(reverse("members:mine")).content.decode()
    assert "Vũ Thị Riêng" in body
    assert "Huyết áp" in body
    assert _views() == before + 1
    assert AuditEvent.objects.filter(action="members.profile_viewed").latest("seq").data["own"]
    # No edit, no one else's record.
    assert "members/" + str(member.pk) + "/edit" not in body
    assert own.get(reverse("members:member", args=[other.pk])).status_code == 404
    assert own.get(reverse("members:member", args=[member.pk])).status_code == 404
    assert own.get(reverse("members:member_edit", args=[member.pk])).status_code == 404
    stranger = make_user("stranger")
    body = client_for(stranger).get(reverse("members:mine")).content.decode()
    assert "not linked to a Party member record" in body
