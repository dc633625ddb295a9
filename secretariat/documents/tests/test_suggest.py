"""Metadata suggestions from first-page text, State and Party forms, with OCR noise."""

from __future__ import annotations

import pytest

from secretariat.documents.suggest import suggest, unaccent

from .factories import DECISION_TEXT_LINES

pytestmark = pytest.mark.django_db  # the type catalogue is a table


def test_state_decision() -> None:
    found = suggest("\n".join(DECISION_TEXT_LINES))
    assert found["issuing_body"] == "ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG"
    assert (found["number"], found["notation"]) == ("12", "12/QĐ-UBND")
    assert (found["place"], found["issued_on"]) == ("Lâm Đồng", "2026-01-05")
    assert found["doc_type"] == "quyet_dinh"
    assert found["subject"] == "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026"
    assert found["matched"]["notation"] == "Số: 12/QĐ-UBND"


def test_resolution_with_year_in_notation_and_ocr_noise() -> None:
    text = (
        "HỘI ĐỒNG NHÂN DÂN         CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        " TỈNH LÂM ĐỒNG              Độc lập - Tự do - Hạnh phúc\n"
        "Số:  05/2026/NQ-HDND        Lam Dong, ngay  30  thang 1 nam 2026\n\n"
        "                NGHỊ QUYẾT\n"
        "Quy định mức chi hỗ trợ chuyển đổi số\n"
    )
    found = suggest(text)
    assert found["notation"] == "05/2026/NQ-HĐND"
    assert found["number"] == "05"
    assert found["issued_on"] == "2026-01-30"
    assert found["place"] == "Lam Dong"
    assert found["doc_type"] == "nghi_quyet"
    assert found["subject"] == "Quy định mức chi hỗ trợ chuyển đổi số"


def test_party_official_letter_type_from_notation() -> None:
    text = (
        "TỈNH ỦY LÂM ĐỒNG                      ĐẢNG CỘNG SẢN VIỆT NAM\n"
        "VĂN PHÒNG\n"
        "    *\n"
        "Số 45-CV/VPTU                 Lâm Đồng, ngày 3 tháng 11 năm 2025\n"
        "V/v chuẩn bị hội nghị\n"
        "tổng kết năm 2025\n\n"
        "           Kính gửi: Các ban đảng Tỉnh ủy\n"
    )
    found = suggest(text)
    assert found["issuing_body"] == "TỈNH ỦY LÂM ĐỒNG VĂN PHÒNG"
    assert found["notation"] == "45-CV/VPTU"
    assert found["doc_type"] == "cong_van"
    assert found["subject"] == "V/v chuẩn bị hội nghị tổng kết năm 2025"


def test_party_type_inferred_from_the_abbreviation_without_a_title() -> None:
    found = suggest("Số 07-KL/TU\nLâm Đồng, ngày 1 tháng 2 năm 2026\n")
    assert found["doc_type"] == "ket_luan"  # KL exists only in the Party catalogue


def test_only_the_first_page_is_read() -> None:
    found = suggest("Trang đầu không có số\x0cSố 99-NQ/TU\n")
    assert "notation" not in found


def test_impossible_date_is_not_suggested() -> None:
    assert "issued_on" not in suggest("Hà Nội, ngày 31 tháng 2 năm 2026")


def test_nothing_found() -> None:
    assert suggest("") == {}


def test_unaccent_keeps_positions() -> None:
    text = "Lâm Đồng, ngày 12 tháng 3"
    assert len(unaccent(text)) == len(text)
    assert unaccent(text) == "Lam Dong, ngay 12 thang 3"


def test_so_read_as_s6_by_ocr_still_gives_the_notation() -> None:
    """Tesseract output seen on a real rendered scan: `Số` came out as `S6`."""
    text = (
        "TỈNH ỦY LÂM ĐỒNG                               DANG CONG SAN VIỆT NAM\n\n"
        "    S6 310-CV/TU                              Lâm Đồng, ngày 20 tháng 11 năm 2026\n\n"
        "                                      CÔNG VĂN\n"
        "              V/v triển khai văn phòng điện tử trong các cơ quan đảng\n"
    )
    found = suggest(text)
    assert (found["number"], found["notation"]) == ("310", "310-CV/TU")
    assert found["issued_on"] == "2026-11-20"
    assert found["doc_type"] == "cong_van"
    # A lower-case "s6" in running text is not a number line.
    assert "notation" not in suggest("mã s6 12-AB/CD trong nội dung\n")
