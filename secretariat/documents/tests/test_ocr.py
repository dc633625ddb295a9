"""OCR with the real Tesseract on pages rendered like scans: Vietnamese with diacritics, French;
the searchable PDF/A; the background task and its failure path."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.documents import ocr, services, storage, tasks
from secretariat.documents.models import OcrStatus
from secretariat.documents.suggest import suggest

from .factories import (
    FRENCH_LETTER,
    PARTY_DECISION,
    capture,
    image_bytes,
    image_only_pdf,
    isolated_storage_fixture,  # noqa: F401 - the fixture
    render_page,
    text_pdf,
)


@pytest.fixture(scope="module")
def party_page() -> Any:
    return render_page(PARTY_DECISION)


@pytest.fixture(scope="module")
def party_scan_pdf(party_page: Any) -> bytes:
    return image_only_pdf(party_page)


@pytest.fixture(scope="module")
def party_ocr(party_scan_pdf: bytes) -> bytes:
    """The scan through OCRmyPDF once for the module (about 3 s)."""
    return ocr.ocr_pdf(party_scan_pdf)


def test_scan_has_no_text_layer_and_a_born_digital_pdf_has_one(party_scan_pdf: bytes) -> None:
    assert not ocr.has_text_layer(party_scan_pdf)
    assert ocr.has_text_layer(text_pdf(["Kế hoạch tổ chức hội nghị tổng kết năm 2025"]))


def test_vietnamese_scan_is_recognised_with_diacritics(party_ocr: bytes) -> None:
    text = ocr.extract_text(party_ocr)
    for expected in (
        "TỈNH ỦY LÂM ĐỒNG",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "QUYẾT ĐỊNH",
        "Lâm Đồng, ngày 12 tháng 3 năm 2026",
        "Về việc thành lập Ban chỉ đạo chuyển đổi số",
        "Căn cứ Điều lệ Đảng",
    ):
        assert expected in text, expected


def test_output_is_a_searchable_pdfa(party_ocr: bytes) -> None:
    with pikepdf.open(io.BytesIO(party_ocr)) as pdf:
        assert len(pdf.pages) == 1
        assert pdf.open_metadata().pdfa_status.startswith("2")


def test_text_is_nfc() -> None:
    decomposed = "Quye\u0302\u0301t đi\u0323nh"
    assert ocr.normalise(decomposed) == "Quyết định"


@pytest.mark.django_db
def test_suggestions_from_the_recognised_party_decision(party_ocr: bytes) -> None:
    found = suggest(ocr.extract_text(party_ocr))
    assert found["issuing_body"] == "TỈNH ỦY LÂM ĐỒNG"
    assert found["number"] == "125"
    # OCR often reads Đ as D; the catalogue's abbreviation is restored.
    assert found["notation"] == "125-QĐ/TU"
    assert found["place"] == "Lâm Đồng"
    assert found["issued_on"] == "2026-03-12"
    assert found["doc_type"] == "quyet_dinh"
    assert found["subject"] == "Về việc thành lập Ban chỉ đạo chuyển đổi số của Đảng bộ tỉnh"
    assert found["matched"]["date"] == "Lâm Đồng, ngày 12 tháng 3 năm 2026"


def test_french_page_is_recognised() -> None:
    scan = image_only_pdf(render_page(FRENCH_LETTER, seed=11, rotate=-0.3))
    text = ocr.extract_text(ocr.ocr_pdf(scan))
    for expected in ("DÉCISION", "coopération décentralisée", "préfet", "développement économique"):
        assert expected in text, expected


@pytest.mark.django_db
def test_background_ocr_of_a_png_scan(
    tree: dict[str, Any],
    make_user: Any,
    party_page: Any,
    isolated_storage: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clerk = make_user("clerk", role=Role.RECORDS_CLERK, unit=tree["province"])
    with django_capture_on_commit_callbacks() as callbacks:
        document = capture(
            actor=clerk, unit=tree["office"], data=image_bytes(party_page, "PNG"), name="qd.png"
        )
    version = document.versions.get()
    assert version.ocr_status == OcrStatus.PENDING
    assert version.text == ""
    # The OCR task is enqueued only after commit (the worker must find the row).
    assert [c for c in callbacks if "_schedule_ocr" in c.__qualname__]
    # Readable at once: the scan as a PDF, before the text is known.
    assert storage.open_plaintext(version.pdf).startswith(b"%PDF")

    assert tasks.ocr_version.call_local(str(version.id)) == OcrStatus.DONE
    version.refresh_from_db()
    document.refresh_from_db()
    assert version.ocr_status == OcrStatus.DONE
    assert "QUYẾT ĐỊNH" in version.text
    assert storage.open_plaintext(version.pdf) != storage.open_plaintext(version.original)
    # Empty metadata filled from what was read, for the clerk to confirm.
    assert document.notation == "125-QĐ/TU"
    assert document.doc_type_id == "quyet_dinh"
    assert document.issued_on.isoformat() == "2026-03-12"
    assert document.subject.startswith("Về việc thành lập Ban chỉ đạo")
    assert AuditEvent.objects.filter(action="documents.ocr_done").count() == 1
    # A second run finds nothing to do.
    assert tasks.ocr_version.call_local(str(version.id)) is None


@pytest.mark.django_db
def test_ocr_failure_keeps_the_document_and_shows_the_error(
    tree: dict[str, Any],
    make_user: Any,
    party_scan_pdf: bytes,
    isolated_storage: Path,
    settings: Any,
) -> None:
    clerk = make_user("clerk", role=Role.RECORDS_CLERK, unit=tree["province"])
    document = capture(actor=clerk, unit=tree["office"], data=party_scan_pdf, name="scan.pdf")
    version = document.versions.get()
    settings.OCR_LANGUAGES = "xyz"  # a language Tesseract does not have: a real failure
    result = services.version_run_ocr(version_id=version.id)
    assert result is not None
    assert result.ocr_status == OcrStatus.FAILED
    assert "xyz" in result.ocr_error
    assert document.versions.get().pdf_id == version.original_id  # the scan is still there
    assert AuditEvent.objects.filter(action="documents.ocr_failed").count() == 1
