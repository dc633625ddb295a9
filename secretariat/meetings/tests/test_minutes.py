"""Minutes: drafted from a meeting's record, edited by the organizers only, rendered to a PDF
whose text reads back in Vietnamese exactly, registered as a "Biên bản" of the convening unit,
signed by the secretary then the chair through the signing app, and validated."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import unicodedata
from typing import Any, Literal

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.documents.models import Document
from secretariat.meetings import minutes_pdf
from secretariat.meetings.models import (
    MeetingKind,
    MeetingState,
    Minutes,
    MinutesState,
    Participant,
    ParticipantRole,
    Presence,
    Rsvp,
    VoteKind,
    VoteMethod,
)
from secretariat.meetings.services import minutes as svc
from secretariat.meetings.services import votes
from secretariat.meetings.tests.room_factories import make_meeting
from secretariat.signing import appearance, trust

pytestmark = pytest.mark.django_db

NFD: Literal["NFD"] = "NFD"


@pytest.fixture
def record(tree: dict[str, Any], make_user: Any, give_certificate: Any, totp_code: Any) -> Any:
    """A cell meeting held and closed: 7 summoned (one excluded), 4 present (3 in the room,
    1 remote), 2 absent (one excused with a reason, one without an answer), a guest; two
    agenda items with presenters and a conclusion; a resolution voted by show of hands."""
    cell = tree["cell_a"]

    def person(username: str, name: str) -> Any:
        user = make_user(username, position=(cell, "Đảng viên"))
        user.full_name = name
        user.save(update_fields=["full_name"])
        return user

    # The chair's name typed with combining marks (decomposed), as a Mac keyboard sends it.
    chair = person("chair", unicodedata.normalize(NFD, "Nguyễn Thị Hằng"))
    secretary = person("secretary", "Lê Thu Trang")
    people = {
        "chair": chair,
        "secretary": secretary,
        "duc": person("duc", "Trần Văn Đức"),
        "binh": person("binh", "Phạm Văn Bình"),
        "an": person("an", "Hoàng Thị An"),
        "son": person("son", "Vũ Ngọc Sơn"),
        "khoa": person("khoa", "Đặng Minh Khoa"),
        "guest": person("guest", "Bùi Quang Vinh"),
        "outsider": make_user("outsider", position=(tree["cell_b"], "Đảng viên")),
    }
    meeting = make_meeting(
        unit=cell,
        chair=chair,
        secretary=secretary,
        members=[people[n] for n in ("duc", "binh", "an", "son", "khoa")],
        title="Sinh hoạt chi bộ tháng 5 năm 2026",
        state=MeetingState.IN_SESSION,
        kind=MeetingKind.CELL,
        items=0,
        body_size=7,
    )
    meeting.place = "Nhà văn hóa thôn Đăng Gia"
    meeting.save(update_fields=["place"])
    Participant.objects.create(
        meeting=meeting, user=people["guest"], role=ParticipantRole.GUEST, voting=False
    )
    now = clock.now()

    def attend(name: str, presence: str) -> None:
        Participant.objects.filter(meeting=meeting, user=people[name]).update(
            presence=presence, checked_in_at=now, checked_in_by=people[name]
        )

    for name in ("chair", "secretary", "duc"):
        attend(name, Presence.ROOM)
    attend("an", Presence.REMOTE)
    attend("guest", Presence.ROOM)
    Participant.objects.filter(meeting=meeting, user=people["binh"]).update(
        rsvp=Rsvp.DECLINED, rsvp_reason="Đi công tác tại Hà Nội", rsvp_at=now
    )
    Participant.objects.filter(meeting=meeting, user=people["khoa"]).update(
        excluded_reason="Đang bị đình chỉ sinh hoạt đảng"
    )
    meeting.items.create(
        position=1,
        title="Đánh giá kết quả thực hiện nhiệm vụ tháng 4",
        presenter=secretary,
        conclusion="Chi bộ thống nhất đánh giá hoàn thành tốt nhiệm vụ.",
    )
    meeting.items.create(
        position=2, title="Kế hoạch tháng 5", presenter_name="Đồng chí Bí thư chi bộ"
    )
    vote = votes.create_vote(
        actor=secretary,
        meeting=meeting,
        kind=VoteKind.RESOLUTION,
        method=VoteMethod.SHOW_OF_HANDS,
        question="Thông qua nghị quyết tháng 5",
    )
    votes.open_vote(actor=secretary, vote=vote)
    votes.record_hands(actor=secretary, vote=vote, counts={1: 3, 2: 1, 3: 0})
    votes.close_vote(actor=secretary, vote=vote)
    election = votes.create_vote(
        actor=secretary,
        meeting=meeting,
        kind=VoteKind.ELECTION,
        method=VoteMethod.SECRET,
        question="Bầu chi ủy viên",
        seats=2,
        candidates=[people["duc"], people["an"]],
    )
    votes.open_vote(actor=secretary, vote=election)
    for name in ("chair", "secretary", "duc"):
        votes.cast(actor=people[name], vote=election, choices=[1, 2])
    votes.cast(actor=people["an"], vote=election, choices=[1])
    votes.close_vote(actor=secretary, vote=election)
    meeting.refresh_from_db()
    meeting.state = MeetingState.CLOSED
    meeting.closed_at = now + dt.timedelta(hours=2)
    meeting.save(update_fields=["state", "closed_at"])
    give_certificate(user=chair)
    give_certificate(user=secretary)
    return {**people, "meeting": meeting, "code": totp_code, "tree": tree}


def registered(minutes: Minutes) -> Document:
    assert minutes.document_id is not None
    return Document.objects.get(pk=minutes.document_id)


def pdftotext(pdf: bytes, tmp_path: Any) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


# --- The draft --------------------------------------------------------------------------------


def test_draft_writes_the_record(record: Any) -> None:
    minutes = svc.minutes_draft(actor=record["secretary"], meeting=record["meeting"])
    text = minutes.text
    assert minutes.state == MinutesState.DRAFT
    assert text == unicodedata.normalize("NFC", text)
    for line in (
        "I. THỜI GIAN, ĐỊA ĐIỂM",
        "- Địa điểm: Nhà văn hóa thôn Đăng Gia.",
        "- Sinh hoạt chi bộ của Chi bộ thôn Đăng Gia.",
        "- Chủ trì: Nguyễn Thị Hằng. Thư ký: Lê Thu Trang.",
        "- Số thành viên của cơ quan: 7. Số người được triệu tập: 7.",
        "- Không tính vào cơ sở theo quy định: 1:",
        "- Đặng Minh Khoa: Đang bị đình chỉ sinh hoạt đảng.",
        "- Có mặt: 5 (tại hội trường: 4; trực tuyến: 1).",
        "- Tham dự trực tuyến: Hoàng Thị An.",
        "- Vắng mặt: 3.",
        "- Phạm Văn Bình: vắng có lý do (Đi công tác tại Hà Nội).",
        "- Vũ Ngọc Sơn: vắng không có lý do.",
        "- Khách mời: Bùi Quang Vinh.",
        # Cells: more than half of the 7 members; 4 present (the guest does not count).
        "- Số lượng tham dự: 4/7 (tổng số thành viên của cơ quan); quy định: quá nửa "
        "(cần ít nhất 4) — đủ số lượng theo quy định.",
        "1. Đánh giá kết quả thực hiện nhiệm vụ tháng 4 — trình bày: Lê Thu Trang.",
        "- Kết luận: Chi bộ thống nhất đánh giá hoàn thành tốt nhiệm vụ.",
        "2. Kế hoạch tháng 5 — trình bày: Đồng chí Bí thư chi bộ.",
        "IV. BIỂU QUYẾT",
        "1. Biểu quyết nghị quyết: Thông qua nghị quyết tháng 5",
        "- Hình thức: biểu quyết giơ tay.",
        "- Cơ sở tính: tổng số thành viên của cơ quan (7); ngưỡng áp dụng: quá nửa "
        "(cần ít nhất 4).",
        "- Kết quả: không thông qua.",
        "2. Bầu cử: Bầu chi ủy viên",
        "- Hình thức: bỏ phiếu kín.",
        # Elections count against everyone summoned less legal exclusions: 6, so 4 needed.
        "- Cơ sở tính: tổng số người được triệu tập, trừ số không tính theo quy định (6); "
        "ngưỡng áp dụng: quá nửa (cần ít nhất 4).",
        "- Số phiếu: 4.",
        "- Số người cần bầu: 2.",
        "- Trần Văn Đức: 4 phiếu — trúng cử.",
        # 3 of the 4 ballots, but not more than half of the 6.
        "- Hoàng Thị An: 3 phiếu — không trúng cử.",
        "- Kết quả: trúng cử: Trần Văn Đức.",
        "V. KẾT THÚC",
    ):
        assert line in text.splitlines(), line
    # 3 of 7 for: not more than half of the body's members (Charter Art. 9), although 3 of
    # the 4 votes cast.
    lines = text.splitlines()
    start = lines.index("1. Biểu quyết nghị quyết: Thông qua nghị quyết tháng 5")
    assert lines[start + 3 : start + 6] == [
        "- Tán thành: 3.",
        "- Không tán thành: 1.",
        "- Không biểu quyết: 0.",
    ]
    assert AuditEvent.objects.filter(action="meetings.minutes_drafted").count() == 1


def test_only_organizers_draft_and_edit_and_only_a_draft(record: Any) -> None:
    meeting = record["meeting"]
    for who in ("duc", "guest", "outsider"):
        with pytest.raises(PermissionDenied):
            svc.minutes_draft(actor=record[who], meeting=meeting)
    svc.minutes_draft(actor=record["secretary"], meeting=meeting)
    for who in ("duc", "outsider"):
        with pytest.raises(PermissionDenied):
            svc.minutes_edit(actor=record[who], meeting=meeting, text="Sửa")
    with pytest.raises(ValidationFailed, match="cannot be empty"):
        svc.minutes_edit(actor=record["secretary"], meeting=meeting, text="  \n ")
    edited = svc.minutes_edit(
        actor=record["chair"], meeting=meeting, text="I. NỘI DUNG\r\n- Đã sửa.\r\n"
    )
    assert edited.text == "I. NỘI DUNG\n- Đã sửa."
    assert edited.edited_by == record["chair"]
    svc.minutes_finalize(actor=record["secretary"], meeting=meeting)
    with pytest.raises(Conflict, match="Only draft minutes"):
        svc.minutes_edit(actor=record["secretary"], meeting=meeting, text="Sau khi chốt")
    with pytest.raises(Conflict):
        svc.minutes_draft(actor=record["secretary"], meeting=meeting)
    assert Minutes.objects.get(meeting=meeting).text == "I. NỘI DUNG\n- Đã sửa."
    assert AuditEvent.objects.filter(action="meetings.minutes_edited").count() == 1


def test_minutes_wait_for_the_meeting_to_open(record: Any) -> None:
    meeting = record["meeting"]
    meeting.state = MeetingState.CONVENED
    meeting.save(update_fields=["state"])
    with pytest.raises(Conflict, match="once the meeting has opened"):
        svc.minutes_draft(actor=record["secretary"], meeting=meeting)
    assert not Minutes.objects.exists()


# --- PDF and registration ---------------------------------------------------------------------


def test_pdf_reads_back_in_vietnamese_and_is_registered_as_minutes(
    record: Any, tmp_path: Any
) -> None:
    meeting = record["meeting"]
    svc.minutes_draft(actor=record["secretary"], meeting=meeting)
    minutes = svc.minutes_finalize(actor=record["secretary"], meeting=meeting)
    assert minutes.state == MinutesState.FINAL
    document = registered(minutes)
    assert document.unit_id == meeting.unit_id
    assert document.doc_type_id == "bien_ban"
    assert document.subject == "Biên bản sinh hoạt chi bộ: Sinh hoạt chi bộ tháng 5 năm 2026"
    assert document.versions.count() == 1
    text = pdftotext(svc.current_pdf(minutes), tmp_path)
    lines = [line.strip() for line in text.splitlines()]
    for expected in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "CHI BỘ THÔN ĐĂNG GIA",
        "ĐẢNG ỦY XÃ LẠC DƯƠNG",
        "BIÊN BẢN",
        "Sinh hoạt chi bộ: Sinh hoạt chi bộ tháng 5 năm 2026",
        "– Chủ trì: Nguyễn Thị Hằng. Thư ký: Lê Thu Trang.",
        "– Phạm Văn Bình: vắng có lý do (Đi công tác tại Hà Nội).",
        "THƯ KÝ",
        "CHỦ TRÌ",
        "Nguyễn Thị Hằng",
        "Lê Thu Trang",
    ):
        assert expected in lines, (expected, lines)
    # The name typed decomposed prints with precomposed glyphs: it reads back composed.
    assert unicodedata.normalize(NFD, "Nguyễn Thị Hằng") not in text
    assert document.versions.get().text.strip()  # the store read the text layer (no OCR)
    event = AuditEvent.objects.get(action="meetings.minutes_finalized")
    assert event.data["document"] == str(document.pk)
    assert AuditEvent.objects.filter(action="documents.captured", object_id=str(document.pk))


def test_pdf_of_a_long_text_keeps_the_signature_boxes_on_the_last_page(tmp_path: Any) -> None:
    layout = minutes_pdf.Layout(
        parent_body="",
        body="Chi bộ thôn Đăng Gia",
        date_line=minutes_pdf.date_line(dt.date(2026, 3, 12), "Lâm Đồng"),
        title="Biên bản",
        subject="Hội nghị",
        text="\n".join(f"- Ý kiến thứ {n}: đồng ý với dự thảo." for n in range(1, 90)),
        secretary_title="THƯ KÝ",
        secretary_name="Lê Thu Trang",
        chair_title="CHỦ TRÌ",
        chair_name="Nguyễn Thị Hằng",
    )
    pdf = minutes_pdf.render(layout)
    text = pdftotext(pdf, tmp_path)
    assert "Lâm Đồng, ngày 12 tháng 03 năm 2026" in text
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 2
    last = [p for p in pages if p.strip()][-1]
    assert "THƯ KÝ" in last
    assert "Nguyễn Thị Hằng" in last
    assert "Ý kiến thứ 89" in text
    assert minutes_pdf.render(layout) == pdf  # deterministic


def test_reopened_minutes_are_rendered_as_a_new_version_of_the_same_document(
    record: Any,
) -> None:
    meeting = record["meeting"]
    svc.minutes_draft(actor=record["secretary"], meeting=meeting)
    first = svc.minutes_finalize(actor=record["secretary"], meeting=meeting)
    svc.minutes_sign(
        actor=record["secretary"], meeting=meeting, confirmation=record["code"](record["secretary"])
    )
    with pytest.raises(PermissionDenied):
        svc.minutes_reopen(actor=record["duc"], meeting=meeting)
    reopened = svc.minutes_reopen(actor=record["secretary"], meeting=meeting)
    assert reopened.state == MinutesState.DRAFT
    assert reopened.signed_by_secretary_at is None
    svc.minutes_edit(actor=record["secretary"], meeting=meeting, text="I. NỘI DUNG\n- Bản sửa.")
    again = svc.minutes_finalize(actor=record["secretary"], meeting=meeting)
    assert again.document_id == first.document_id
    assert Document.objects.filter(doc_type_id="bien_ban").count() == 1
    # v1 rendering, v2 secretary's signature, v3 the new rendering (unsigned).
    assert [v.number for v in registered(again).versions.order_by("number")] == [
        1,
        2,
        3,
    ]
    assert svc.signature_report(again) is None
    assert svc.next_signer(again) == "secretary"


# --- Signatures -------------------------------------------------------------------------------


def test_secretary_then_chair_sign_and_both_signatures_validate(record: Any, tmp_path: Any) -> None:
    meeting = record["meeting"]
    secretary, chair = record["secretary"], record["chair"]
    svc.minutes_draft(actor=secretary, meeting=meeting)
    svc.minutes_finalize(actor=secretary, meeting=meeting)
    with pytest.raises(Conflict, match="secretary signs the minutes first"):
        svc.minutes_sign(actor=chair, meeting=meeting, confirmation="000000")
    with pytest.raises(PermissionDenied):
        svc.minutes_sign(actor=record["duc"], meeting=meeting, confirmation="000000")
    with pytest.raises(NotFound):
        svc.minutes_sign(actor=record["outsider"], meeting=meeting, confirmation="000000")
    with pytest.raises(Conflict, match="authenticator app"):
        svc.minutes_sign(actor=secretary, meeting=meeting, confirmation="000000")
    record["code"](secretary)  # enrols the secretary's authenticator app
    with pytest.raises(ValidationFailed, match="confirmation code"):
        svc.minutes_sign(actor=secretary, meeting=meeting, confirmation="000000")
    assert not AuditEvent.objects.filter(action="meetings.minutes_signed").exists()
    # django-otp throttles a device after a failure; the next good code is tried later.
    TOTPDevice.objects.get(user=secretary).throttle_reset()

    signed = svc.minutes_sign(
        actor=secretary, meeting=meeting, confirmation=record["code"](secretary)
    )
    assert signed.state == MinutesState.FINAL
    assert signed.signed_by_secretary_at is not None
    assert svc.next_signer(signed) == "chair"
    with pytest.raises(PermissionDenied):
        svc.minutes_sign(actor=secretary, meeting=meeting, confirmation=record["code"](secretary))
    done = svc.minutes_sign(actor=chair, meeting=meeting, confirmation=record["code"](chair))
    assert done.state == MinutesState.SIGNED
    assert done.signed_by_chair_at is not None
    with pytest.raises(Conflict, match="already signed"):
        svc.minutes_sign(actor=chair, meeting=meeting, confirmation="000000")
    with pytest.raises(Conflict):
        svc.minutes_reopen(actor=secretary, meeting=meeting)

    document = registered(done)
    assert document.versions.count() == 3
    assert document.signer_name == "Nguyễn Thị Hằng"
    report = svc.signature_report(done)
    assert report is not None
    assert report["status"] == "passed"
    assert len(report["signatures"]) == 2
    # pyHanko's own validation, as the signing app's tests do.
    pdf = svc.current_pdf(done)
    reader = PdfFileReader(io.BytesIO(pdf))
    signatures = reader.embedded_signatures
    assert len(signatures) == 2
    subjects = []
    for signature in signatures:
        status = validate_pdf_signature(signature, trust.validation_context(allow_fetching=False))
        assert status.intact
        assert status.valid
        assert status.trusted
        subjects.append(status.signing_cert.subject.human_friendly)
    assert "Lê Thu Trang" in subjects[0]
    assert "Nguyễn Thị Hằng" in unicodedata.normalize("NFC", subjects[1])
    # Each stamp sits in its signer's box on the last page.
    widget = appearance.last_signature_widget(pdf)
    assert widget is not None
    assert widget[1] == pytest.approx(minutes_pdf.CHAIR_BOX, abs=0.01)
    text = pdftotext(pdf, tmp_path)
    assert "Chủ trì hội nghị" in text
    assert "Thư ký hội nghị" in text
    events = AuditEvent.objects.filter(action="meetings.minutes_signed").order_by("seq")
    assert [e.data["as"] for e in events] == ["secretary", "chair"]
    assert [e.actor_id for e in events] == [secretary.pk, chair.pk]
    assert AuditEvent.objects.filter(action="signing.signed").count() == 2


def test_no_certificate_or_a_token_key_is_refused_with_guidance(record: Any) -> None:
    from secretariat.signing import pki
    from secretariat.signing.models import CredentialPurpose, KeyBackend

    meeting = record["meeting"]
    secretary = record["secretary"]
    svc.minutes_draft(actor=secretary, meeting=meeting)
    svc.minutes_finalize(actor=secretary, meeting=meeting)
    credential = pki.current_credential(purpose=CredentialPurpose.PERSONAL, user=secretary)
    assert credential is not None
    credential.backend = KeyBackend.WORKSTATION
    credential.save(update_fields=["backend"])
    assert svc.signing_mode(secretary) == "agent"
    with pytest.raises(Conflict, match="signing agent"):
        svc.minutes_sign(actor=secretary, meeting=meeting, confirmation="000000")
    pki.revoke(actor=None, credential=credential)
    assert svc.signing_mode(secretary) is None
    with pytest.raises(Conflict, match="no valid signing certificate"):
        svc.minutes_sign(actor=secretary, meeting=meeting, confirmation="000000")


# --- Pages ------------------------------------------------------------------------------------


def client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def test_pages_show_the_state_and_signatures_and_keep_the_draft_to_organizers(
    record: Any,
) -> None:
    meeting = record["meeting"]
    secretary, member = record["secretary"], record["duc"]
    page = reverse("meetings:minutes", args=[meeting.pk])
    assert client(record["outsider"]).get(page).status_code == 404
    body = client(secretary).get(page).content.decode()
    assert "Draft the minutes" in body
    response = client(secretary).post(reverse("meetings:minutes_draft", args=[meeting.pk]))
    assert response.status_code == 302
    body = client(secretary).get(page).content.decode()
    assert "Finalize and register" in body
    assert "Lê Thu Trang" in body
    # Members do not read the draft, nor its preview, nor edit it.
    body = client(member).get(page).content.decode()
    assert "THỜI GIAN, ĐỊA ĐIỂM" not in body
    pdf_url = reverse("meetings:minutes_pdf", args=[meeting.pk])
    assert client(member).get(pdf_url).status_code == 403
    assert client(secretary).get(pdf_url)["Content-Type"] == "application/pdf"
    edit = reverse("meetings:minutes_edit", args=[meeting.pk])
    assert client(member).post(edit, {"text": "Sửa"}).status_code == 403
    response = client(secretary).post(edit, {"text": ""})
    assert response.status_code == 400
    assert "cannot be empty" in response.content.decode()
    client(secretary).post(reverse("meetings:minutes_finalize", args=[meeting.pk]))
    body = client(member).get(page).content.decode()
    assert "THỜI GIAN, ĐỊA ĐIỂM" in body
    assert "The document carries no digital signature yet." in body
    assert client(member).get(pdf_url)["Content-Type"] == "application/pdf"
    sign = reverse("meetings:minutes_sign", args=[meeting.pk])
    assert 'id="minutes-sign"' in client(secretary).get(page).content.decode()
    assert 'id="minutes-sign"' not in client(record["chair"]).get(page).content.decode()
    response = client(record["chair"]).post(sign, {"confirmation": "000000"})
    assert response.status_code == 409
    response = client(secretary).post(sign, {"confirmation": record["code"](secretary)})
    assert response.status_code == 302
    body = client(member).get(page).content.decode()
    assert "Valid signature" in body
    assert "Signed by the secretary; waiting for the chair" in body
