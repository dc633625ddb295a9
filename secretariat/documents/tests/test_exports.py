"""The register printed (Decree 30/2020/NĐ-CP Art. 16, Appendix IV columns [unverified]): XLSX
read back with openpyxl, PDF read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents import exports, registers
from secretariat.documents.models import Confidentiality, Document, DocumentType, Urgency


@pytest.fixture
def clerk(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("van_thu", role="records_clerk", unit=tree["province"])


@pytest.fixture
def incoming(tree: dict[str, Any], clerk: Any) -> Any:
    """An incoming register of the province with two entries in March and one in April 2026."""
    unit = tree["province"]
    report = DocumentType.objects.get(code="bao_cao")
    rows = [
        (
            dt.date(2026, 3, 2),
            "12/BC-UBND",
            "Ủy ban nhân dân tỉnh Lâm Đồng",
            "Tình hình kinh tế quý I",
        ),
        (dt.date(2026, 3, 9), "45-BC/ĐU", "Đảng ủy xã Lạc Dương", "Kết quả học tập nghị quyết"),
        (dt.date(2026, 4, 1), "7-BC/CB", "Chi bộ thôn Đăng Gia", "Sinh hoạt chi bộ tháng 3"),
    ]
    entry = None
    for day, notation, sender, subject in rows:
        document = Document.objects.create(
            unit=unit,
            doc_type=report,
            subject=subject,
            notation=notation,
            issuing_body=sender,
            issued_on=day - dt.timedelta(days=1),
            due_on=day + dt.timedelta(days=10),
            urgency=Urgency.URGENT if notation.startswith("45") else Urgency.NORMAL,
        )
        entry = registers.register_document(actor=clerk, document=document, kind="incoming", on=day)
    assert entry is not None
    return entry.register


def _xlsx(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content)).active


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    """The text in reading order, each page's whitespace collapsed (a heading wrapped inside
    its cell reads as one line); pages separated by form feeds."""
    path = tmp_path / "register.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "\f".join(" ".join(page.split()) for page in text.split("\f"))


def test_xlsx_has_the_incoming_columns_and_real_dates(incoming: Any, clerk: Any) -> None:
    content, content_type, filename = exports.register_export(
        user=clerk,
        register=incoming,
        fmt="xlsx",
        date_from=dt.date(2026, 3, 1),
        date_to=dt.date(2026, 3, 31),
    )
    assert content_type.endswith("spreadsheetml.sheet")
    assert filename == "so-incoming-000.00.00.T68-2026.xlsx"
    ws = _xlsx(content)
    assert ws["A1"].value == "Tỉnh ủy Lâm Đồng"
    assert ws["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN 2026"
    assert ws["A3"].value == "From 02/03/2026 to 31/03/2026".replace("02/03", "01/03")
    assert "unverified" in ws["A4"].value
    headings = [c.value for c in ws[6]]
    assert headings == [
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Số, ký hiệu",
        "Ngày tháng",
        "Tên loại và trích yếu nội dung",
        "Đơn vị hoặc người nhận",
        "Hạn giải quyết",
        "Ghi chú",
    ]
    assert ws["A6"].font.bold
    first = [c.value for c in ws[7]]
    # Real date cells (openpyxl reads them back as datetimes), not text.
    assert isinstance(first[0], dt.datetime)
    assert first[0].date() == dt.date(2026, 3, 2)
    assert ws["A7"].number_format == "DD/MM/YYYY"
    assert first[1:4] == [1, "Ủy ban nhân dân tỉnh Lâm Đồng", "12/BC-UBND"]
    assert first[5] == "Báo cáo: Tình hình kinh tế quý I"
    assert first[7].date() == dt.date(2026, 3, 12)
    second = [c.value for c in ws[8]]
    assert second[1] == 2
    assert second[8] == "KHẨN"
    assert ws.max_row == 8  # April is outside the period
    assert ws.column_dimensions["F"].width == 40


def test_pdf_shows_vietnamese_headings_and_values(
    incoming: Any, clerk: Any, tmp_path: Path
) -> None:
    content, content_type, _ = exports.register_export(user=clerk, register=incoming, fmt="pdf")
    assert content_type == "application/pdf"
    text = _pdf_text(content, tmp_path)
    for expected in (
        "Tỉnh ủy Lâm Đồng",
        "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN 2026",
        "Whole year",
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Hạn giải quyết",
        "Ủy ban nhân dân tỉnh Lâm Đồng",
        "12/BC-UBND",
        "Sinh hoạt chi bộ tháng 3",
        "02/03/2026",
        "KHẨN",
        "Page 1",
        "unverified",
    ):
        assert expected in text, expected


def test_pdf_repeats_the_header_row_on_every_page(
    tree: dict[str, Any], clerk: Any, tmp_path: Path
) -> None:
    unit = tree["office"]
    decision = DocumentType.objects.get(code="quyet_dinh")
    for i in range(60):
        document = Document.objects.create(
            unit=unit, doc_type=decision, subject=f"Quyết định điều động cán bộ số {i}"
        )
        entry = registers.register_document(
            actor=clerk, document=document, kind="outgoing", on=dt.date(2026, 5, 4)
        )
    content, _, _ = exports.register_export(user=clerk, register=entry.register, fmt="pdf")
    pages = _pdf_text(content, tmp_path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert "Số, ký hiệu văn bản" in page
        assert "Người nhận bản lưu" in page
        assert f"Page {number}" in page
    assert "60-QĐ/VPTU" in pages[-1]


def test_secret_series_prints_only_what_was_entered(
    tree: dict[str, Any], clerk: Any, tmp_path: Path
) -> None:
    entry = registers.register_confidential(
        actor=clerk,
        unit=tree["province"],
        kind="incoming",
        metadata=registers.ConfidentialMetadata(
            confidentiality=Confidentiality.TOP_SECRET,
            notation="02-CV/BCĐ",
            issuing_body="Ban Chỉ đạo",
            issued_on=dt.date(2026, 1, 5),
        ),
    )
    content, _, filename = exports.register_export(user=clerk, register=entry.register, fmt="xlsx")
    assert filename == "so-incoming-mat-000.00.00.T68-2026.xlsx".replace(
        "2026", str(entry.register.year)
    )
    ws = _xlsx(content)
    assert ws["A2"].value.startswith("SỔ ĐĂNG KÝ VĂN BẢN MẬT ĐẾN")
    row = [c.value for c in ws[7]]
    assert row[2:4] == ["Ban Chỉ đạo", "02-CV/BCĐ"]
    assert row[5] == "(confidential)"
    assert row[8] == "TUYỆT MẬT"
    text = _pdf_text(
        exports.register_export(user=clerk, register=entry.register, fmt="pdf")[0], tmp_path
    )
    assert "TUYỆT MẬT" in text
    assert "02-CV/BCĐ" in text


def test_empty_period_prints_an_empty_register(incoming: Any, clerk: Any, tmp_path: Path) -> None:
    content, _, _ = exports.register_export(
        user=clerk, register=incoming, fmt="pdf", date_from=dt.date(2026, 8, 1)
    )
    assert "No entry in this period." in _pdf_text(content, tmp_path)


def test_export_refuses_bad_input_and_outsiders(
    incoming: Any, clerk: Any, make_user: Any, tree: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed):
        exports.register_export(user=clerk, register=incoming, fmt="docx")
    with pytest.raises(ValidationFailed):
        exports.register_export(
            user=clerk,
            register=incoming,
            fmt="pdf",
            date_from=dt.date(2026, 5, 1),
            date_to=dt.date(2026, 4, 1),
        )
    specialist = make_user("specialist", role="specialist", unit=tree["province"])
    with pytest.raises(PermissionDenied):
        exports.register_export(user=specialist, register=incoming, fmt="pdf")
