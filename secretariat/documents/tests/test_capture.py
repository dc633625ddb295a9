"""Capture: the services, pages and API. Refused input stores nothing; scope is enforced."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents import ocr, services, storage
from secretariat.documents.models import Document, DocumentVersion, OcrStatus, StoredFile

from .factories import (
    DECISION_TEXT_LINES,
    blobs,
    capture,
    isolated_storage_fixture,  # noqa: F401 - the fixture
    minimal_docx,
    password_pdf,
    plain_zip,
    text_pdf,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_storage")]

DECISION_PDF = text_pdf(DECISION_TEXT_LINES)


@pytest.fixture
def clerk(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("clerk", role=Role.RECORDS_CLERK, unit=tree["commune_a"])


def _png(size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 128).save(out, "PNG")
    return out.getvalue()


def _counts(files_dir: Path) -> tuple[int, int, int, int]:
    return (
        StoredFile.objects.count(),
        Document.objects.count(),
        DocumentVersion.objects.count(),
        len(blobs(files_dir)),
    )


BAD_FILES = {
    "empty": ("vide.pdf", b"", "is empty"),
    "truncated pdf": ("cut.pdf", DECISION_PDF[: len(DECISION_PDF) // 2], "damaged or incomplete"),
    "corrupt png": ("scan.png", _png()[:-40], "damaged or incomplete"),
    "password pdf": ("locked.pdf", password_pdf(), "protected by a password"),
    "png named pdf": ("scan.pdf", _png(), "named as a PDF document but its content is a PNG"),
    "exe": ("setup.exe", b"MZ\x90\x00" + b"\x00" * 300, "is a Windows program"),
    "zip junk": ("archive.zip", plain_zip(), "is a ZIP archive"),
    "renamed zip docx": ("bao-cao.docx", plain_zip(), "is not a valid DOCX document"),
}


# --- Services -----------------------------------------------------------------------------


def test_capture_a_born_digital_pdf(
    clerk: Any, tree: dict[str, Any], isolated_storage: Path
) -> None:
    document = capture(actor=clerk, unit=tree["cell_a"], data=DECISION_PDF, name="qd-12.pdf")
    version = document.versions.get()
    assert version.number == 1
    assert version.ocr_status == OcrStatus.NOT_NEEDED
    assert version.pdf_id == version.original_id == storage.sha256_hex(DECISION_PDF)
    assert "Về việc phê duyệt kế hoạch" in version.text
    assert storage.open_plaintext(version.original) == DECISION_PDF
    assert (document.notation, document.doc_type_id) == ("12/QĐ-UBND", "quyet_dinh")
    assert document.issuing_body == "ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG"
    assert document.page_count == 1
    event = AuditEvent.objects.get(action="documents.captured")
    assert event.object_id == str(document.id)
    assert event.data["sha256"] == version.original_id


def test_explicit_metadata_wins_over_suggestions(clerk: Any, tree: dict[str, Any]) -> None:
    document = capture(
        actor=clerk,
        unit=tree["cell_a"],
        data=DECISION_PDF,
        metadata={"subject": "Kế hoạch chuyển đổi số", "urgency": "khan"},
    )
    assert document.subject == "Kế hoạch chuyển đổi số"
    assert document.urgency == "khan"
    assert document.suggested["subject"].startswith("Về việc phê duyệt")


def test_same_file_twice_is_two_documents_one_blob(
    clerk: Any, tree: dict[str, Any], isolated_storage: Path
) -> None:
    first = capture(actor=clerk, unit=tree["cell_a"], data=DECISION_PDF)
    second = capture(actor=clerk, unit=tree["cell_a"], data=DECISION_PDF)
    assert first.id != second.id
    assert StoredFile.objects.count() == 1
    assert len(blobs(isolated_storage)) == 1


def test_docx_is_converted_to_pdf_with_libreoffice(clerk: Any, tree: dict[str, Any]) -> None:
    original = minimal_docx(["TỜ TRÌNH", "Về việc đề nghị phê duyệt kinh phí hội nghị"])
    document = capture(actor=clerk, unit=tree["cell_a"], data=original, name="to-trinh.docx")
    version = document.versions.get()
    assert storage.open_plaintext(version.original) == original
    assert version.original.content_type.endswith("wordprocessingml.document")
    pdf = storage.open_plaintext(version.pdf)
    assert pdf.startswith(b"%PDF")
    assert "Về việc đề nghị phê duyệt kinh phí hội nghị" in ocr.extract_text(pdf)
    assert version.ocr_status == OcrStatus.NOT_NEEDED
    assert document.doc_type_id == "to_trinh"


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_stored(
    case: str, clerk: Any, tree: dict[str, Any], isolated_storage: Path
) -> None:
    name, data, message = BAD_FILES[case]
    before = _counts(isolated_storage)
    with pytest.raises(ValidationFailed) as info:
        capture(actor=clerk, unit=tree["cell_a"], data=data, name=name)
    assert message in str(info.value.message)
    assert _counts(isolated_storage) == before
    assert not AuditEvent.objects.filter(action="documents.captured").exists()


def test_over_the_size_limit_is_refused(
    clerk: Any, tree: dict[str, Any], isolated_storage: Path, settings: Any
) -> None:
    settings.MAX_UPLOAD_MB = 1
    out = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(out, "PNG")
    big = out.getvalue()
    assert len(big) > 1024 * 1024
    with pytest.raises(ValidationFailed, match="larger than the limit of 1 MB"):
        capture(actor=clerk, unit=tree["cell_a"], data=big, name="big.png")
    assert _counts(isolated_storage) == (0, 0, 0, 0)


def test_one_bad_file_refuses_the_whole_upload(
    clerk: Any, tree: dict[str, Any], isolated_storage: Path
) -> None:
    with pytest.raises(ValidationFailed, match="is empty"):
        services.documents_capture(
            actor=clerk,
            unit=tree["cell_a"],
            files=[
                services.IncomingFile(name="good.pdf", data=DECISION_PDF),
                services.IncomingFile(name="bad.pdf", data=b""),
            ],
        )
    assert _counts(isolated_storage) == (0, 0, 0, 0)


@pytest.mark.parametrize("level", ["mat", "toi_mat", "tuyet_mat"])
def test_confidential_files_never_enter(
    level: str, clerk: Any, tree: dict[str, Any], isolated_storage: Path
) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.document_capture(
            actor=clerk,
            unit=tree["cell_a"],
            file=services.IncomingFile(name="mat.pdf", data=DECISION_PDF),
            confidentiality=level,
        )
    assert "must not be uploaded" in str(info.value.message)
    assert "confidentiality" in info.value.field_errors
    assert _counts(isolated_storage) == (0, 0, 0, 0)


def test_capture_needs_the_right_in_scope(tree: dict[str, Any], make_user: Any) -> None:
    leader = make_user("leader", role=Role.LEADER, unit=tree["commune_a"])
    specialist = make_user("spec", role=Role.SPECIALIST, unit=tree["commune_a"])
    with pytest.raises(PermissionDenied):
        capture(actor=leader, unit=tree["cell_a"], data=DECISION_PDF)
    with pytest.raises(PermissionDenied):
        capture(actor=specialist, unit=tree["cell_b"], data=DECISION_PDF)
    assert Document.objects.count() == 0
    assert capture(actor=specialist, unit=tree["cell_a"], data=DECISION_PDF).unit == tree["cell_a"]


def test_new_version_keeps_the_old_one(clerk: Any, tree: dict[str, Any]) -> None:
    document = capture(actor=clerk, unit=tree["cell_a"], data=DECISION_PDF)
    corrected = text_pdf([*DECISION_TEXT_LINES, "(bản sửa đổi)"])
    version = services.document_add_version(
        actor=clerk,
        document=document,
        file=services.IncomingFile(name="qd-12-v2.pdf", data=corrected),
    )
    assert version.number == 2
    numbers = list(document.versions.order_by("number").values_list("number", "original_id"))
    assert numbers == [(1, storage.sha256_hex(DECISION_PDF)), (2, storage.sha256_hex(corrected))]
    assert AuditEvent.objects.filter(action="documents.version_added").count() == 1


def test_update_metadata_is_validated_and_audited(clerk: Any, tree: dict[str, Any]) -> None:
    document = capture(actor=clerk, unit=tree["cell_a"], data=DECISION_PDF)
    with pytest.raises(ValidationFailed) as info:
        services.document_update_metadata(
            actor=clerk, document=document, changes={"doc_type": "khong_co", "issued_on": "12/3"}
        )
    assert set(info.value.field_errors) == {"doc_type", "issued_on"}
    updated = services.document_update_metadata(
        actor=clerk,
        document=document,
        changes={"subject": "Phê duyệt kế hoạch", "signer_name": "Nguyễn Văn A"},
    )
    assert (updated.subject, updated.signer_name) == ("Phê duyệt kế hoạch", "Nguyễn Văn A")
    event = AuditEvent.objects.get(action="documents.metadata_updated")
    assert event.data["fields"] == ["signer_name", "subject"]


# --- Pages --------------------------------------------------------------------------------


def test_capture_page_upload_and_confirm(clerk: Any, tree: dict[str, Any], client_for: Any) -> None:
    client = client_for(clerk)
    page = client.get(reverse("documents:capture"))
    assert page.status_code == 200
    assert tree["cell_a"].code in page.content.decode()
    assert tree["cell_b"].code not in page.content.decode()
    response = client.post(
        reverse("documents:capture"),
        {
            "unit": tree["cell_a"].code,
            "confidentiality": "normal",
            "files": SimpleUploadedFile("qd.pdf", DECISION_PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert response["Location"] == reverse("documents:detail", args=[document.id])
    detail = client.get(response["Location"]).content.decode()
    assert "12/QĐ-UBND" in detail  # the confirmation form, pre-filled
    saved = client.post(
        reverse("documents:edit", args=[document.id]),
        {"subject": "Kế hoạch chuyển đổi số 2026", "urgency": "normal", "doc_type": "ke_hoach"},
    )
    assert saved.status_code == 302
    document.refresh_from_db()
    assert (document.subject, document.doc_type_id) == ("Kế hoạch chuyển đổi số 2026", "ke_hoach")


@pytest.mark.parametrize("case", ["png named pdf", "password pdf", "empty"])
def test_capture_page_refusal_is_a_400_with_the_message(
    case: str, clerk: Any, tree: dict[str, Any], client_for: Any, isolated_storage: Path
) -> None:
    name, data, message = BAD_FILES[case]
    response = client_for(clerk).post(
        reverse("documents:capture"),
        {
            "unit": tree["cell_a"].code,
            "confidentiality": "normal",
            "files": SimpleUploadedFile(name, data),
        },
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message.split(":")[0].replace("“", "") in body.replace("“", "").replace("&quot;", "")
    assert body.lstrip().startswith("<form")  # capture.js swaps the form in place
    assert _counts(isolated_storage) == (0, 0, 0, 0)


def test_capture_page_refuses_confidential(
    clerk: Any, tree: dict[str, Any], client_for: Any
) -> None:
    response = client_for(clerk).post(
        reverse("documents:capture"),
        {
            "unit": tree["cell_a"].code,
            "confidentiality": "toi_mat",
            "files": SimpleUploadedFile("qd.pdf", DECISION_PDF),
        },
    )
    assert response.status_code == 400
    assert "must not be uploaded" in response.content.decode()
    assert Document.objects.count() == 0


def test_list_detail_download_and_scope(
    clerk: Any, tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    inside = capture(actor=clerk, unit=tree["cell_a"], data=DECISION_PDF, name="Quyết định.pdf")
    other_clerk = make_user("clerk_b", role=Role.RECORDS_CLERK, unit=tree["commune_b"])
    outside = capture(
        actor=other_clerk, unit=tree["cell_b"], data=text_pdf(["Thông báo riêng phường"])
    )
    client = client_for(clerk)
    listing = client.get(reverse("documents:list")).content.decode()
    assert reverse("documents:detail", args=[inside.id]) in listing
    assert reverse("documents:detail", args=[outside.id]) not in listing
    assert client.get(reverse("documents:detail", args=[outside.id])).status_code == 404
    download = client.get(reverse("documents:download", args=[inside.id, 1, "original"]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert "Quy%E1%BA%BFt" in download["Content-Disposition"]  # RFC 5987 UTF-8 name
    assert download.content == DECISION_PDF
    refused = client.get(reverse("documents:download", args=[outside.id, 1, "pdf"]))
    assert refused.status_code == 404
    status = client.get(reverse("documents:status", args=[inside.id]))
    assert status.status_code == 200
    assert "hx-trigger" not in status.content.decode()  # nothing pending: no polling


def test_pending_document_polls_its_status(
    clerk: Any, tree: dict[str, Any], client_for: Any
) -> None:
    document = capture(actor=clerk, unit=tree["cell_a"], data=_png(), name="scan.png")
    body = client_for(clerk).get(reverse("documents:detail", args=[document.id])).content.decode()
    assert "waiting for OCR" in body
    assert 'hx-trigger="every 3s"' in body


# --- API ----------------------------------------------------------------------------------


def test_api_capture_list_patch_versions_download(
    clerk: Any, tree: dict[str, Any], client_for: Any
) -> None:
    client = client_for(clerk)
    created = client.post(
        "/api/v1/documents/",
        {
            "files": [SimpleUploadedFile("qd.pdf", DECISION_PDF)],
            "unit": tree["cell_a"].code,
            "confidentiality": "normal",
            "metadata": json.dumps({"urgency": "khan"}),
        },
    )
    assert created.status_code == 201, created.content
    [body] = created.json()
    assert body["suggested"]["notation"] == "12/QĐ-UBND"
    assert body["urgency"] == "khan"
    assert body["versions"][0]["sha256"] == storage.sha256_hex(DECISION_PDF)
    document_id = body["id"]
    listing = client.get("/api/v1/documents/").json()
    assert [item["id"] for item in listing["items"]] == [document_id]
    assert listing["next_before"] is None
    patched = client.patch(
        f"/api/v1/documents/{document_id}",
        data=json.dumps({"subject": "Kế hoạch 2026"}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["subject"] == "Kế hoạch 2026"
    added = client.post(
        f"/api/v1/documents/{document_id}/versions",
        {"file": SimpleUploadedFile("v2.pdf", text_pdf(["Bản mới"]))},
    )
    assert added.status_code == 201
    assert [v["number"] for v in added.json()["versions"]] == [2, 1]
    original = client.get(f"/api/v1/documents/{document_id}/versions/1/original")
    assert original.content == DECISION_PDF
    pdf = client.get(f"/api/v1/documents/{document_id}/versions/2/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


def test_api_refusals(clerk: Any, tree: dict[str, Any], client_for: Any, make_user: Any) -> None:
    client = client_for(clerk)
    bad = client.post(
        "/api/v1/documents/",
        {"files": [SimpleUploadedFile("scan.pdf", _png())], "unit": tree["cell_a"].code},
    )
    assert bad.status_code == 400
    assert "its content is a PNG image" in bad.json()["message"]
    assert "file" in bad.json()["errors"]
    outside_unit = client.post(
        "/api/v1/documents/",
        {"files": [SimpleUploadedFile("qd.pdf", DECISION_PDF)], "unit": tree["cell_b"].code},
    )
    assert outside_unit.status_code == 400
    assert "unit" in outside_unit.json()["errors"]
    bad_metadata = client.post(
        "/api/v1/documents/",
        {
            "files": [SimpleUploadedFile("qd.pdf", DECISION_PDF)],
            "unit": tree["cell_a"].code,
            "metadata": "[1]",
        },
    )
    assert bad_metadata.status_code == 400
    leader = make_user("leader", role=Role.LEADER, unit=tree["commune_a"])
    forbidden = client_for(leader).post(
        "/api/v1/documents/",
        {"files": [SimpleUploadedFile("qd.pdf", DECISION_PDF)], "unit": tree["cell_a"].code},
    )
    assert forbidden.status_code == 403
    assert Document.objects.count() == 0
