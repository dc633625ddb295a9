"""The recognition file of a probation: the helper's assignment, the self-review written by the
member through "My Party record", the helper's comment written by the helper, the paper forms
recorded by the officer, their PDFs (text read back with pdftotext), and official membership
refused (service) or confirmed with a reason (page) while a form is missing."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.members import services
from secretariat.members.choices import EventKind as K
from secretariat.members.choices import ReviewKind, Status
from secretariat.members.models import Member, ProbationReview
from secretariat.members.tests.factories import admitted, event, official
from secretariat.office.models import Notification

pytestmark = pytest.mark.django_db
D = dt.date
TEXTS = {
    "strengths": "Lập trường tư tưởng vững vàng; hoàn thành tốt nhiệm vụ.",
    "weaknesses": "Đôi khi còn chậm báo cáo.",
    "conclusion": "Đề nghị chi bộ xét công nhận đảng viên chính thức.",
}


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
        "probationer": make_user("probationer"),
        "helper": make_user("helper"),
        "someone": make_user("someone"),
    }


@pytest.fixture
def member(people: dict[str, Any]) -> Member:
    member = admitted(people["cell_a"], D(2022, 3, 1), full_name="Lê Thị Dự Bị")
    member = services.member_link_user(actor=None, member=member, user=people["probationer"])
    return services.probation_helper_set(
        actor=people["officer_a"], member=member, helper=people["helper"]
    )


def _submit(actor: Any, member: Member, kind: str, **extra: Any) -> ProbationReview:
    return services.probation_review_submit(
        actor=actor, member=member, kind=kind, **{**TEXTS, **extra}
    )


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode("utf-8").split())


# --- Services -------------------------------------------------------------------------------------


def test_helper_assignment_is_audited_and_told(people: dict[str, Any], member: Member) -> None:
    assert member.probation_helper == people["helper"]
    assert AuditEvent.objects.filter(action="members.probation_helper_set").count() == 1
    [message] = Notification.objects.filter(user=people["helper"]).values_list("link", flat=True)
    assert message == reverse("members:helper_comment", args=[member.pk])
    with pytest.raises(PermissionDenied):
        services.probation_helper_set(actor=people["officer_b"], member=member, helper=None)
    with pytest.raises(ValidationFailed, match="own helper"):
        services.probation_helper_set(
            actor=people["officer_a"], member=member, helper=people["probationer"]
        )


def test_the_member_and_the_helper_write_their_forms(
    people: dict[str, Any], member: Member
) -> None:
    assert services.missing_forms(member) == [ReviewKind.SELF_REVIEW, ReviewKind.HELPER_COMMENT]
    own = _submit(people["probationer"], member, ReviewKind.SELF_REVIEW)
    assert (own.author_user, own.author_name, own.admitted_on) == (
        people["probationer"],
        "Lê Thị Dự Bị",
        D(2022, 3, 1),
    )
    comment = _submit(people["helper"], member, ReviewKind.HELPER_COMMENT)
    assert (comment.author_user, comment.author_name) == (people["helper"], "Helper")
    assert services.missing_forms(member) == []
    audited = AuditEvent.objects.filter(action="members.probation_review_submitted")
    assert sorted(audited.values_list("data__kind", flat=True)) == [
        "helper_comment",
        "self_review",
    ]
    # The member cannot write the helper's comment, the helper not the self-review, nobody else
    # either; refused before anything is written.
    for actor, kind in (
        (people["probationer"], ReviewKind.HELPER_COMMENT),
        (people["helper"], ReviewKind.SELF_REVIEW),
        (people["someone"], ReviewKind.SELF_REVIEW),
        (people["officer_b"], ReviewKind.HELPER_COMMENT),
    ):
        with pytest.raises(PermissionDenied):
            _submit(actor, member, kind)
    assert audited.count() == 2


def test_a_new_version_supersedes_and_bad_input_is_refused(
    people: dict[str, Any], member: Member
) -> None:
    first = _submit(people["probationer"], member, ReviewKind.SELF_REVIEW)
    second = _submit(people["probationer"], member, ReviewKind.SELF_REVIEW, weaknesses="Sửa lại")
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert services.probation_forms.current_reviews(member)["self_review"] == second
    count = ProbationReview.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        _submit(people["probationer"], member, ReviewKind.SELF_REVIEW, strengths="  ")
    assert "strengths" in caught.value.field_errors
    with pytest.raises(ValidationFailed, match="before the admission"):
        _submit(people["probationer"], member, ReviewKind.SELF_REVIEW, written_on=D(2021, 1, 1))
    with pytest.raises(ValidationFailed, match="Choose a form"):
        _submit(people["officer_a"], member, "other")
    assert ProbationReview.objects.count() == count


def test_paper_forms_recorded_by_the_officer(people: dict[str, Any], member: Member) -> None:
    paper = _submit(
        people["officer_a"], member, ReviewKind.HELPER_COMMENT, author_name="Phạm Văn Giúp"
    )
    assert (paper.author_user, paper.author_name, paper.recorded_by) == (
        None,
        "Phạm Văn Giúp",
        people["officer_a"],
    )
    # Without a name: the assigned helper's.
    again = _submit(people["officer_a"], member, ReviewKind.HELPER_COMMENT)
    assert (again.author_user, again.author_name) == (people["helper"], "Helper")
    own = _submit(people["officer_a"], member, ReviewKind.SELF_REVIEW)
    assert (own.author_user, own.author_name) == (people["probationer"], "Lê Thị Dự Bị")


def test_forms_only_during_the_probation(people: dict[str, Any]) -> None:
    member = official(people["cell_a"])
    with pytest.raises(ValidationFailed, match="during the probation"):
        _submit(people["officer_a"], member, ReviewKind.SELF_REVIEW)
    with pytest.raises(ValidationFailed, match="Only a probationary member"):
        services.probation_helper_set(
            actor=people["officer_a"], member=member, helper=people["helper"]
        )


def test_official_membership_needs_the_forms(people: dict[str, Any], member: Member) -> None:
    officer = people["officer_a"]
    with pytest.raises(ValidationFailed, match="recognition file is incomplete") as caught:
        event(member, K.OFFICIAL, D(2023, 3, 1), actor=officer)
    assert "without_forms" in caught.value.field_errors
    with pytest.raises(ValidationFailed, match="Give the reason"):
        event(member, K.OFFICIAL, D(2023, 3, 1), actor=officer, without_forms=True)
    assert Member.objects.get(pk=member.pk).status == Status.PROBATIONARY
    _submit(people["probationer"], member, ReviewKind.SELF_REVIEW)
    with pytest.raises(ValidationFailed, match="Comment of the helping"):
        event(member, K.OFFICIAL, D(2023, 3, 1), actor=officer)
    _submit(people["helper"], member, ReviewKind.HELPER_COMMENT)
    event(member, K.OFFICIAL, D(2023, 3, 1), actor=officer)
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL


def test_official_membership_without_forms_keeps_the_reason(
    people: dict[str, Any], member: Member
) -> None:
    event(
        member,
        K.OFFICIAL,
        D(2023, 3, 1),
        actor=people["officer_a"],
        without_forms=True,
        without_forms_reason="Hồ sơ giấy",
    )
    last = AuditEvent.objects.filter(action="members.event_recorded").order_by("-seq").first()
    assert last is not None
    assert last.data["without_forms"] == "Hồ sơ giấy"
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL


# --- Pages and PDFs ---------------------------------------------------------------------------------


def test_the_member_writes_the_self_review_from_my_record(
    people: dict[str, Any], member: Member, client_for: Any
) -> None:
    client = client_for(people["probationer"])
    mine = client.get(reverse("members:mine")).content.decode()
    assert reverse("members:my_review") in mine
    url = reverse("members:my_review")
    assert client.get(url).status_code == 200
    bad = client.post(url, {**TEXTS, "conclusion": ""})
    assert bad.status_code == 400
    response = client.post(url, {**TEXTS, "written_on": "2023-02-20"})
    assert response.status_code == 302
    assert response["Location"] == reverse("members:mine")
    review = ProbationReview.objects.get(kind="self_review")
    assert (review.written_on, review.author_user) == (D(2023, 2, 20), people["probationer"])
    # Someone without a probationary record: no such page.
    assert client_for(people["someone"]).get(url).status_code == 404


def test_the_helper_writes_the_comment(
    people: dict[str, Any], member: Member, client_for: Any
) -> None:
    url = reverse("members:helper_comment", args=[member.pk])
    assert client_for(people["someone"]).get(url).status_code == 404
    assert client_for(people["probationer"]).post(url, TEXTS).status_code == 404
    client = client_for(people["helper"])
    assert "Lê Thị Dự Bị" in client.get(url).content.decode()
    assert client.post(url, TEXTS).status_code == 302
    assert ProbationReview.objects.get(kind="helper_comment").author_user == people["helper"]


def test_member_page_shows_the_file_and_the_officer_records_paper(
    people: dict[str, Any], member: Member, client_for: Any
) -> None:
    client = client_for(people["officer_a"])
    page = client.get(reverse("members:member", args=[member.pk])).content.decode()
    assert 'id="probation-file"' in page
    assert 'data-form="self_review" data-present="no"' in page
    url = reverse("members:probation_review", args=[member.pk, "helper_comment"])
    response = client.post(url, {**TEXTS, "author_name": "Phạm Văn Giúp"})
    assert response.status_code == 302
    page = client.get(reverse("members:member", args=[member.pk])).content.decode()
    assert 'data-form="helper_comment" data-present="yes"' in page
    assert "Phạm Văn Giúp" in page
    assert client.get(reverse("members:probation_review", args=[member.pk, "x"])).status_code == 404
    helper_url = reverse("members:probation_helper", args=[member.pk])
    unknown = client.post(helper_url, {"username": "nobody-here"})
    assert unknown.status_code == 400
    assert "No user account with this username" in unknown.content.decode()


def test_pdfs_filled_and_blank(people: dict[str, Any], member: Member, client_for: Any) -> None:
    client = client_for(people["officer_a"])
    _submit(people["probationer"], member, ReviewKind.SELF_REVIEW, written_on=D(2023, 2, 20))
    filled = client.get(reverse("members:probation_pdf", args=[member.pk, "self_review"]))
    assert filled.status_code == 200
    assert filled["Content-Type"] == "application/pdf"
    text = _pdf_text(filled.content)
    for expected in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "BẢN TỰ KIỂM ĐIỂM",
        "của đảng viên dự bị",
        "Lê Thị Dự Bị",
        "ngày 20 tháng 02 năm 2023",
        "Ngày vào Đảng: 01/03/2022",
        "Đôi khi còn chậm báo cáo.",
        "NGƯỜI TỰ KIỂM ĐIỂM",
    ):
        assert expected in text, expected
    blank = client.get(reverse("members:probation_pdf", args=[member.pk, "helper_comment"]))
    text = _pdf_text(blank.content)
    assert "BẢN NHẬN XÉT" in text
    assert "được phân công giúp đỡ đảng viên dự bị" in text
    assert "Lê Thị Dự Bị" in text
    assert "Đề nghị chi bộ" not in text
    printed = AuditEvent.objects.filter(action="members.probation_form_printed")
    assert sorted(printed.values_list("data__blank", flat=True)) == [False, True]
    # Outside the officer's scope: not found.
    outside = client_for(people["officer_b"])
    url = reverse("members:probation_pdf", args=[member.pk, "self_review"])
    assert outside.get(url).status_code == 404
