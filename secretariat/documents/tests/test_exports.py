"""The register printed (Decree 30/2020/NĐ-CP Art. 16, Appendix IV columns [unverified]): XLSX
read back with openpyxl, PDF read back with pdftotext; the columns kept on the entry (drafting
unit, keeper of the file copy, date sent, receiving unit or person) written and printed."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from openpyxl import load_workbook

from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
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


# --- Columns kept on the entry: drafting unit, keeper of the copy, date sent, handled by --------


@pytest.fixture
def drafter(tree: dict[str, Any], make_user: Any) -> Any:
    """A specialist of the province whose post is in its office (Văn phòng Tỉnh ủy)."""
    user = make_user(
        "chuyen_vien",
        role="specialist",
        unit=tree["province"],
        position=(tree["office"], "Chuyên viên"),
    )
    user.full_name = "Lê Văn Soạn"
    user.save()
    return user


def _outgoing(unit: Any, *, created_by: Any, subject: str = "Kế hoạch chuyển đổi số") -> Document:
    return Document.objects.create(
        unit=unit,
        doc_type=DocumentType.objects.get(code="ke_hoach"),
        subject=subject,
        signer_name="Nguyễn Văn Ký",
        recipients="Các đảng ủy trực thuộc",
        copies=5,
        created_by=created_by,
    )


def test_outgoing_registration_records_the_drafting_unit_and_keeper(
    tree: dict[str, Any], clerk: Any, drafter: Any, make_user: Any
) -> None:
    """The drafting unit is the drafter's post inside the issuing unit (here its office); the
    drafter keeps the copy for the work file; both are written when the number is given."""
    entry = registers.register_document(
        actor=clerk, document=_outgoing(tree["province"], created_by=drafter), kind="outgoing"
    )
    assert entry.drafting_unit == "Văn phòng Tỉnh ủy"
    assert entry.copy_keeper == "Lê Văn Soạn"
    assert entry.sent_on is None

    # Without a post inside the unit, the unit itself drafted it.
    outsider_post = make_user(
        "other", role="specialist", unit=tree["province"], position=(tree["commune_b"], "Cán bộ")
    )
    own = registers.register_document(
        actor=clerk,
        document=_outgoing(tree["office"], created_by=outsider_post, subject="Thông báo"),
        kind="outgoing",
    )
    assert own.drafting_unit == "Văn phòng Tỉnh ủy"
    assert own.copy_keeper == "Other"
    # Incoming entries have no drafting columns: the sender drafted them.
    incoming = registers.register_document(
        actor=clerk,
        document=Document.objects.create(
            unit=tree["province"], subject="Công văn đến", notation="3-CV/ĐU", created_by=drafter
        ),
        kind="incoming",
    )
    assert (incoming.drafting_unit, incoming.copy_keeper) == ("", "")


def test_confidential_entry_keeps_the_drafting_columns_empty(
    tree: dict[str, Any], clerk: Any
) -> None:
    """The clerk types a confidential entry: they are not its drafter."""
    entry = registers.register_confidential(
        actor=clerk,
        unit=tree["province"],
        kind="outgoing",
        metadata=registers.ConfidentialMetadata(
            confidentiality=Confidentiality.CONFIDENTIAL,
            doc_type=DocumentType.objects.get(code="cong_van"),
        ),
    )
    assert (entry.drafting_unit, entry.copy_keeper) == ("", "")


def test_date_sent_is_written_once_audited_and_printed(
    tree: dict[str, Any], clerk: Any, drafter: Any, tmp_path: Path
) -> None:
    from secretariat.audit.models import AuditEvent

    entry = registers.register_document(
        actor=clerk,
        document=_outgoing(tree["province"], created_by=drafter),
        kind="outgoing",
        on=dt.date(2026, 5, 4),
    )
    with transaction.atomic():
        registers.entry_record_sent(actor=clerk, entry=entry, on=dt.date(2026, 5, 5))
    # A second dispatch record keeps the first date: the register records what happened.
    with transaction.atomic():
        again = registers.entry_record_sent(actor=clerk, entry=entry, on=dt.date(2026, 5, 9))
    assert again.sent_on == dt.date(2026, 5, 5)
    entry.refresh_from_db()
    assert entry.sent_on == dt.date(2026, 5, 5)
    assert AuditEvent.objects.filter(action="documents.entry_sent_recorded").count() == 1

    content, _, _ = exports.register_export(user=clerk, register=entry.register, fmt="xlsx")
    ws = _xlsx(content)
    headings = [c.value for c in ws[6]]
    row = dict(zip(headings, [c.value for c in ws[7]], strict=True))
    assert row["Đơn vị soạn thảo"] == "Văn phòng Tỉnh ủy"
    assert row["Người nhận bản lưu"] == "Lê Văn Soạn"
    assert row["Ngày gửi"].date() == dt.date(2026, 5, 5)
    assert row["Số lượng bản"] == 5
    assert row["Số, ký hiệu văn bản"] == "01-KH/TU"

    text = _pdf_text(
        exports.register_export(user=clerk, register=entry.register, fmt="pdf")[0], tmp_path
    )
    for expected in ("Văn phòng Tỉnh ủy", "Lê Văn Soạn", "05/05/2026"):
        assert expected in text, expected


def test_receiving_unit_or_person_comes_from_the_instruction(
    incoming: Any, clerk: Any, tree: dict[str, Any], make_user: Any, tmp_path: Path
) -> None:
    from secretariat.audit.models import AuditEvent

    handler = make_user("chuyen", role="specialist", unit=tree["office"])
    handler.full_name = "Trần Thị Chuyên"
    handler.save()
    first = incoming.entries.get(number=1)
    with transaction.atomic():
        registers.entry_record_handling(
            actor=None, entry=first, unit=tree["office"], people=[handler]
        )
    first.refresh_from_db()
    assert first.handled_by == "Văn phòng Tỉnh ủy: Trần Thị Chuyên"
    event = AuditEvent.objects.get(action="documents.entry_handling_recorded")
    assert event.data["people"] == ["chuyen"]

    ws = _xlsx(exports.register_export(user=clerk, register=incoming, fmt="xlsx")[0])
    assert ws["G6"].value == "Đơn vị hoặc người nhận"
    assert ws["G7"].value == "Văn phòng Tỉnh ủy: Trần Thị Chuyên"
    assert ws["G8"].value is None  # not instructed yet: empty, as on paper
    text = _pdf_text(exports.register_export(user=clerk, register=incoming, fmt="pdf")[0], tmp_path)
    assert "Trần Thị Chuyên" in text


def test_columns_belong_to_their_kind_of_register(
    incoming: Any, tree: dict[str, Any], clerk: Any, drafter: Any
) -> None:
    outgoing = registers.register_document(
        actor=clerk, document=_outgoing(tree["province"], created_by=drafter), kind="outgoing"
    )
    with pytest.raises(Conflict), transaction.atomic():
        registers.entry_record_handling(actor=None, entry=outgoing, unit=tree["office"])
    with pytest.raises(Conflict), transaction.atomic():
        registers.entry_record_sent(actor=None, entry=incoming.entries.first())
