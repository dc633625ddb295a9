"""The board pack: documents from the store (classified ones refused), read by invitees only
(the PDF view checks the invitation and audits the read), notes private or shared, and the
read receipts the secretary sees."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.documents import registers
from secretariat.documents import services as document_services
from secretariat.documents.models import Confidentiality, Document
from secretariat.documents.tests.factories import text_pdf
from secretariat.meetings.models import (
    Annotation,
    ItemDocument,
    Participant,
    ReadReceipt,
)
from secretariat.meetings.services import agenda, pack
from secretariat.meetings.services import meetings as services

from .test_organize import make_meeting


def capture_pdf(unit: Any, subject: str, lines: list[str], *, pages: int = 1) -> Document:
    return document_services.document_capture(
        actor=None,
        unit=unit,
        file=document_services.IncomingFile(
            name="to-trinh.pdf", data=text_pdf(lines, pages=pages), content_type="application/pdf"
        ),
        metadata={"subject": subject},
    )


@pytest.fixture
def setting(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A commune A meeting: organized by a meeting secretary who is not invited, with a member
    invited, an agenda item and one document of the store in its pack."""
    unit = tree["commune_a"]
    organizer = make_user("organizer", role=Role.MEETING_SECRETARY, unit=unit)
    chair = make_user("chair", position=(unit, "Bí thư"))
    secretary = make_user("secretary", position=(unit, "Chánh Văn phòng"))
    member = make_user("member", position=(unit, "Ủy viên"))
    other = make_user("other", position=(unit, "Ủy viên"))
    outsider = make_user("outsider", position=(unit, "Ủy viên"))
    meeting = make_meeting(organizer, unit, chair, secretary)
    services.invite_users(actor=organizer, meeting=meeting, users=[member, other])
    item = agenda.item_add(actor=organizer, meeting=meeting, title="Báo cáo chính trị")
    document = capture_pdf(
        unit,
        "Dự thảo Báo cáo chính trị",
        ["DỰ THẢO BÁO CÁO CHÍNH TRỊ", "Nhiệm kỳ 2025-2030"],
        pages=2,
    )
    entry = pack.pack_document_add(
        actor=organizer, meeting=meeting, item_id=item.pk, document_id=document.pk
    )
    return {
        "unit": unit,
        "organizer": organizer,
        "chair": chair,
        "secretary": secretary,
        "member": member,
        "other": other,
        "outsider": outsider,
        "meeting": meeting,
        "item": item,
        "document": document,
        "entry": entry,
    }


# --- Adding documents ----------------------------------------------------------------------------


def test_a_classified_document_is_refused_with_a_clear_message(
    setting: dict[str, Any],
) -> None:
    secret = registers.register_confidential(
        actor=None,
        unit=setting["unit"],
        kind="incoming",
        metadata=registers.ConfidentialMetadata(
            confidentiality=Confidentiality.SECRET,
            notation="12-CV/BTC",
            issuing_body="Ban Tổ chức",
            subject="Phương án nhân sự",
        ),
    ).document
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        pack.pack_document_add(
            actor=setting["organizer"],
            meeting=setting["meeting"],
            item_id=setting["item"].pk,
            document_id=secret.pk,
        )
    message = str(caught.value.message)
    assert "Secret (Tối mật)" in message
    assert "Thường" in message
    assert ItemDocument.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_only_documents_the_organizer_may_read_and_only_once(
    setting: dict[str, Any], tree: dict[str, Any]
) -> None:
    elsewhere = capture_pdf(tree["commune_b"], "Văn bản xã khác", ["Văn bản xã khác"])
    with pytest.raises(ValidationFailed) as caught:
        pack.pack_document_add(
            actor=setting["organizer"],
            meeting=setting["meeting"],
            item_id=setting["item"].pk,
            document_id=elsewhere.pk,
        )
    assert "may not read" in str(caught.value.message)
    with pytest.raises(Conflict):
        pack.pack_document_add(
            actor=setting["organizer"],
            meeting=setting["meeting"],
            item_id=setting["item"].pk,
            document_id=setting["document"].pk,
        )
    # The chair organizes but has no `documents.view`: no document of the store for them.
    with pytest.raises(ValidationFailed):
        pack.pack_document_add(
            actor=setting["chair"],
            meeting=setting["meeting"],
            item_id=setting["item"].pk,
            document_id=capture_pdf(setting["unit"], "Khác", ["Khác"]).pk,
        )
    with pytest.raises(PermissionDenied):
        pack.pack_document_add(
            actor=setting["member"],
            meeting=setting["meeting"],
            item_id=setting["item"].pk,
            document_id=setting["document"].pk,
        )


# --- Reading -------------------------------------------------------------------------------------


def test_only_invitees_read_and_the_first_read_is_kept(setting: dict[str, Any]) -> None:
    meeting, entry = setting["meeting"], setting["entry"]
    with pytest.raises(PermissionDenied):
        pack.pack_document_open(
            actor=setting["organizer"], meeting=meeting, item_document_id=entry.pk
        )
    _entry, version = pack.pack_document_open(
        actor=setting["member"], meeting=meeting, item_document_id=entry.pk
    )
    assert version.pdf_id is not None
    pack.pack_document_open(actor=setting["member"], meeting=meeting, item_document_id=entry.pk)
    member = Participant.objects.get(meeting=meeting, user=setting["member"])
    assert member.pack_opened_at is not None
    assert ReadReceipt.objects.filter(participant=member).count() == 1
    reads = AuditEvent.objects.filter(action="meetings.pack_document_read").order_by("seq")
    assert [e.data["first"] for e in reads] == [True, False]
    other = Participant.objects.get(meeting=meeting, user=setting["other"])
    assert other.pack_opened_at is None


def test_pdf_view_serves_invitees_only(setting: dict[str, Any], client_for: Any) -> None:
    meeting, entry = setting["meeting"], setting["entry"]
    url = reverse("meetings:pack_pdf", args=[meeting.pk, entry.pk])
    response = client_for(setting["member"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    # The organizer who is not invited sees the meeting, the titles, not the content.
    organizer = client_for(setting["organizer"])
    assert organizer.get(url).status_code == 403
    page = organizer.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Dự thảo Báo cáo chính trị" in page
    reader = reverse("meetings:pack_document", args=[meeting.pk, entry.pk])
    assert f'href="{reader}"' not in page
    assert organizer.get(reader).status_code == 403
    # Someone who does not even see the meeting: 404.
    assert client_for(setting["outsider"]).get(url).status_code == 404
    # The invitee's meeting page links to the reader.
    page = client_for(setting["member"]).get(reverse("meetings:detail", args=[meeting.pk]))
    assert f'href="{reader}"' in page.content.decode()


def test_a_document_reclassified_later_is_no_longer_served(
    setting: dict[str, Any], client_for: Any
) -> None:
    Document.objects.filter(pk=setting["document"].pk).update(
        confidentiality=Confidentiality.CONFIDENTIAL
    )
    url = reverse("meetings:pack_pdf", args=[setting["meeting"].pk, setting["entry"].pk])
    assert client_for(setting["member"]).get(url).status_code == 403


def test_a_document_of_another_meeting_is_not_found(
    setting: dict[str, Any], client_for: Any
) -> None:
    other = make_meeting(
        setting["organizer"], setting["unit"], setting["chair"], setting["secretary"]
    )
    services.invite_users(actor=setting["organizer"], meeting=other, users=[setting["member"]])
    url = reverse("meetings:pack_pdf", args=[other.pk, setting["entry"].pk])
    assert client_for(setting["member"]).get(url).status_code == 404


# --- Notes ---------------------------------------------------------------------------------------


def test_private_notes_stay_private_shared_ones_are_seen_by_all(
    setting: dict[str, Any], client_for: Any
) -> None:
    meeting, entry = setting["meeting"], setting["entry"]
    pack.annotation_add(
        actor=setting["member"],
        meeting=meeting,
        item_document_id=entry.pk,
        page=1,
        text="Ghi chú riêng: xem lại số liệu",
    )
    shared = pack.annotation_add(
        actor=setting["member"],
        meeting=meeting,
        item_document_id=entry.pk,
        page=2,
        text="Đề nghị bổ sung chỉ tiêu",
        shared=True,
    )
    reader = reverse("meetings:pack_document", args=[meeting.pk, entry.pk])
    mine = client_for(setting["member"]).get(reader).content.decode()
    theirs = client_for(setting["other"]).get(reader).content.decode()
    assert "xem lại số liệu" in mine
    assert "Đề nghị bổ sung chỉ tiêu" in mine
    assert "xem lại số liệu" not in theirs
    assert "Đề nghị bổ sung chỉ tiêu" in theirs
    # The audit log keeps a digest of a note's text, never the text.
    event = AuditEvent.objects.filter(action="meetings.annotation_added").first()
    assert event is not None
    assert "xem lại" not in str(event.data)
    # Only the author deletes a note.
    with pytest.raises(PermissionDenied):
        pack.annotation_delete(actor=setting["other"], meeting=meeting, annotation_id=shared.pk)
    private = Annotation.objects.get(shared=False)
    with pytest.raises(NotFound):
        pack.annotation_delete(actor=setting["other"], meeting=meeting, annotation_id=private.pk)
    pack.annotation_delete(actor=setting["member"], meeting=meeting, annotation_id=shared.pk)
    assert list(Annotation.objects.values_list("text", flat=True)) == [
        "Ghi chú riêng: xem lại số liệu"
    ]


def test_notes_refuse_bad_pages_and_outsiders(setting: dict[str, Any]) -> None:
    meeting, entry = setting["meeting"], setting["entry"]
    with pytest.raises(ValidationFailed) as caught:
        pack.annotation_add(
            actor=setting["member"], meeting=meeting, item_document_id=entry.pk, page=3, text="x"
        )
    assert "2 pages" in str(caught.value.message)
    with pytest.raises(ValidationFailed):
        pack.annotation_add(
            actor=setting["member"], meeting=meeting, item_document_id=entry.pk, page=1, text=" "
        )
    with pytest.raises(PermissionDenied):
        pack.annotation_add(
            actor=setting["organizer"],
            meeting=meeting,
            item_document_id=entry.pk,
            page=1,
            text="x",
        )
    assert not Annotation.objects.exists()


def test_note_form_errors_come_back_on_the_reader(setting: dict[str, Any], client_for: Any) -> None:
    meeting, entry = setting["meeting"], setting["entry"]
    url = reverse("meetings:annotation_add", args=[meeting.pk, entry.pk])
    response = client_for(setting["member"]).post(url, {"page": "9", "text": "Quá trang"})
    assert response.status_code == 400
    assert "The document has 2 pages only." in response.content.decode()
    response = client_for(setting["member"]).post(
        url, {"page": "2", "text": "Trang hai", "shared": "on"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#page=2")
    assert Annotation.objects.get().shared


# --- Read receipts -------------------------------------------------------------------------------


def test_the_secretary_sees_who_has_opened_the_pack(
    setting: dict[str, Any], client_for: Any
) -> None:
    meeting = setting["meeting"]
    client_for(setting["member"]).get(
        reverse("meetings:pack_pdf", args=[meeting.pk, setting["entry"].pk])
    )
    page = client_for(setting["secretary"]).get(reverse("meetings:pack", args=[meeting.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="read-receipts"' in body
    assert "(1 / 4)" in body  # of the chair, the secretary, the member and the other
    row_member = body.split('data-user="member"')[1].split("</tr>")[0]
    row_other = body.split('data-user="other"')[1].split("</tr>")[0]
    assert "✓" in row_member
    assert "✓" not in row_other
    # An invitee who does not organize sees the pack, not who has read it.
    member_page = client_for(setting["member"]).get(reverse("meetings:pack", args=[meeting.pk]))
    assert 'id="read-receipts"' not in member_page.content.decode()


def test_removing_a_document_from_the_pack(setting: dict[str, Any]) -> None:
    pack.pack_document_remove(
        actor=setting["organizer"],
        meeting=setting["meeting"],
        item_document_id=setting["entry"].pk,
    )
    assert not ItemDocument.objects.exists()
    assert Document.objects.filter(pk=setting["document"].pk).exists()
    assert AuditEvent.objects.filter(action="meetings.pack_document_removed").exists()
