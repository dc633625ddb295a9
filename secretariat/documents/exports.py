"""A register printed for a date range, as PDF (A4 landscape) or XLSX (Decree 30 Art. 16).

The columns follow the registers of Appendix IV as DOMAIN.md describes them — **[unverified]**
against the official text, and said so in the printed output. Column headings are the legal
form's Vietnamese text, whatever the UI language; the words around them are translated.

The columns that are not the document's metadata come from the entry (`registers.py`): the
drafting unit and the keeper of the file copy (written at registration of an outgoing document
drafted on the platform), the date sent (written by the office's dispatch), the receiving unit
or person (written by the office when the leader instructs). Until then they print empty, as on
paper. A confidential (secret series) entry prints only what the clerk entered: there is no
content to print.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core.errors import ValidationFailed

from . import registers
from .models import Confidentiality, Register, RegisterEntry, RegisterKind, Urgency

UNVERIFIED_NOTE = gettext_lazy(
    "Columns after Decree 30/2020/NĐ-CP Appendix IV [unverified against the official text]."
)

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


class Format(StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"


CONTENT_TYPES = {
    Format.PDF: "application/pdf",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Value = str | int | dt.date | None


@dataclass(frozen=True)
class Column:
    heading: str  # the legal form's Vietnamese text
    width: float  # relative width (XLSX characters; PDF shares of the page width)
    value: Callable[[RegisterEntry], Value]


def _type_and_subject(entry: RegisterEntry) -> str:
    document = entry.document
    subject = registers.display_subject(document)
    return f"{document.doc_type.name}: {subject}" if document.doc_type else subject


def _notes(entry: RegisterEntry) -> str:
    """Confidentiality and urgency marks, as the Vietnamese labels printed on documents."""
    document = entry.document
    marks = []
    if document.confidentiality != Confidentiality.NORMAL:
        marks.append(_CONFIDENTIALITY_MARKS[document.confidentiality])
    if document.urgency != Urgency.NORMAL:
        marks.append(_URGENCY_MARKS[document.urgency])
    return ", ".join(marks)


_CONFIDENTIALITY_MARKS: dict[str, str] = {
    Confidentiality.CONFIDENTIAL: "MẬT",
    Confidentiality.SECRET: "TỐI MẬT",
    Confidentiality.TOP_SECRET: "TUYỆT MẬT",
}
_URGENCY_MARKS: dict[str, str] = {
    Urgency.URGENT: "KHẨN",
    Urgency.VERY_URGENT: "THƯỢNG KHẨN",
    Urgency.FLASH: "HỎA TỐC",
}


# Appendix IV [unverified]: incoming — date received, incoming number, author / sender, number
# and notation, document date, type and subject, receiving unit or person, due date, notes.
INCOMING_COLUMNS = [
    Column("Ngày đến", 13, lambda e: e.registered_on),
    Column("Số đến", 10, lambda e: e.number),
    Column("Tác giả", 24, lambda e: e.document.issuing_body),
    Column("Số, ký hiệu", 17, lambda e: e.notation),
    Column("Ngày tháng", 13, lambda e: e.document.issued_on),
    Column("Tên loại và trích yếu nội dung", 40, _type_and_subject),
    Column("Đơn vị hoặc người nhận", 20, lambda e: e.handled_by),
    Column("Hạn giải quyết", 17, lambda e: e.document.due_on),
    Column("Ghi chú", 14, _notes),
]

# Outgoing — number and notation, date, type and subject, signer, recipients, drafting unit,
# keeper of the file copy, number of copies, date sent, notes.
# Date columns are wide enough for dd/mm/yyyy on one line of the PDF at 8 pt.
OUTGOING_COLUMNS = [
    Column("Số, ký hiệu văn bản", 19, lambda e: e.notation),
    Column("Ngày tháng văn bản", 15, lambda e: e.document.issued_on),
    Column("Tên loại và trích yếu nội dung", 32, _type_and_subject),
    Column("Người ký", 16, lambda e: e.document.signer_name),
    Column("Nơi nhận văn bản", 20, lambda e: e.document.recipients),
    Column("Đơn vị soạn thảo", 16, lambda e: e.drafting_unit),
    Column("Người nhận bản lưu", 19, lambda e: e.copy_keeper),
    Column("Số lượng bản", 10, lambda e: e.document.copies),
    Column("Ngày gửi", 15, lambda e: e.sent_on),
    Column("Ghi chú", 12, _notes),
]


def columns_for(register: Register) -> list[Column]:
    """Incoming registers use the incoming layout; outgoing and internal the outgoing one."""
    return INCOMING_COLUMNS if register.kind == RegisterKind.INCOMING else OUTGOING_COLUMNS


@dataclass(frozen=True)
class Sheet:
    """What every format prints: a title block, the headings and the rows."""

    unit_name: str
    title: str  # "Sổ đăng ký văn bản đến 2026"
    period: str
    headings: list[str]
    widths: list[float]
    rows: list[list[Value]]


def _period(date_from: dt.date | None, date_to: dt.date | None) -> str:
    def show(day: dt.date) -> str:
        return day.strftime("%d/%m/%Y")

    if date_from and date_to:
        return _("From %(start)s to %(end)s") % {"start": show(date_from), "end": show(date_to)}
    if date_from:
        return _("From %(start)s") % {"start": show(date_from)}
    if date_to:
        return _("Until %(end)s") % {"end": show(date_to)}
    return _("Whole year")


def build_sheet(
    *, register: Register, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> Sheet:
    columns = columns_for(register)
    entries: Iterable[RegisterEntry] = registers.entries_for_export(
        register=register, date_from=date_from, date_to=date_to
    )
    return Sheet(
        unit_name=register.unit.name,
        title=str(register),
        period=_period(date_from, date_to),
        headings=[c.heading for c in columns],
        widths=[c.width for c in columns],
        rows=[[c.value(entry) for c in columns] for entry in entries],
    )


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


# --- XLSX -------------------------------------------------------------------------------------


def render_xlsx(sheet: Sheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet.title[:31]
    last = get_column_letter(len(sheet.headings))
    ws["A1"] = sheet.unit_name
    ws["A1"].font = Font(bold=True)
    ws["A2"] = sheet.title.upper()
    ws["A2"].font = Font(bold=True, size=14)
    ws["A3"] = sheet.period
    ws["A4"] = str(UNVERIFIED_NOTE)
    ws["A4"].font = Font(italic=True, size=9)
    for row in (1, 2, 3, 4):
        ws.merge_cells(f"A{row}:{last}{row}")
    header_row = 6
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for index, (heading, width) in enumerate(zip(sheet.headings, sheet.widths, strict=True), 1):
        cell = ws.cell(row=header_row, column=index, value=heading)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(index)].width = width
    for offset, values in enumerate(sheet.rows, 1):
        for index, value in enumerate(values, 1):
            cell = ws.cell(row=header_row + offset, column=index, value=value)
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if isinstance(value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = f"{header_row}:{header_row}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------


@cache
def register_fonts() -> None:
    """DejaVu Sans (regular, bold) registered with ReportLab once per process: every PDF of the
    platform written with it has the whole Vietnamese alphabet."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, FONT_PATH))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, FONT_BOLD_PATH))


def render_pdf(sheet: Sheet) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=10)
    head = ParagraphStyle("head", parent=body, fontName=FONT_BOLD, alignment=1)
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=14, leading=18, alignment=1)
    centred = ParagraphStyle("centred", fontName=FONT, fontSize=10, leading=13, alignment=1)
    small = ParagraphStyle("small", fontName=FONT, fontSize=7, leading=9, alignment=1)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped.replace("\n", "<br/>"), style)

    page_width, _page_height = landscape(A4)
    margin = 12 * mm
    usable = page_width - 2 * margin
    total = sum(sheet.widths)
    widths = [usable * w / total for w in sheet.widths]
    data: list[list[Any]] = [[para(h, head) for h in sheet.headings]]
    data += [[para(_text(v), body) for v in row] for row in sheet.rows]
    if not sheet.rows:
        data.append([para(_("No entry in this period."), body)] + [""] * (len(widths) - 1))
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2DCDB")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if not sheet.rows:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))

    page_label = _("Page %(page)d")
    footer_note = str(UNVERIFIED_NOTE)

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(margin, 7 * mm, footer_note)
        canvas.drawRightString(page_width - margin, 7 * mm, page_label % {"page": document.page})
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=14 * mm,
        title=sheet.title,
        author=sheet.unit_name,
    )
    story = [
        para(sheet.unit_name, centred),
        Spacer(1, 2 * mm),
        para(sheet.title.upper(), title),
        para(sheet.period, centred),
        para(footer_note, small),
        Spacer(1, 4 * mm),
        table,
    ]
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


# --- Download ---------------------------------------------------------------------------------


def register_export(
    *,
    user: Any,
    register: Register,
    fmt: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> tuple[bytes, str, str]:
    """The register printed for the range: (content, content type, file name).

    `register` comes from `registers.register_get` (scope checked); the right to read registers
    of its unit is checked again here because a download leaves the page.
    """
    policy.require(user, Action.REGISTERS_VIEW, register.unit)
    if fmt not in {f.value for f in Format}:
        message = gettext_lazy("Choose PDF or XLSX.")
        raise ValidationFailed(message, field_errors={"fmt": [message]})
    if date_from and date_to and date_to < date_from:
        message = gettext_lazy("The end of the period is before its start.")
        raise ValidationFailed(message, field_errors={"date_to": [message]})
    chosen = Format(fmt)
    sheet = build_sheet(register=register, date_from=date_from, date_to=date_to)
    content = render_pdf(sheet) if chosen is Format.PDF else render_xlsx(sheet)
    series = "-mat" if register.secret else ""
    filename = f"so-{register.kind}{series}-{register.unit.code}-{register.year}.{chosen.value}"
    return content, CONTENT_TYPES[chosen], filename


__all__ = [
    "CONTENT_TYPES",
    "INCOMING_COLUMNS",
    "OUTGOING_COLUMNS",
    "UNVERIFIED_NOTE",
    "Format",
    "Sheet",
    "build_sheet",
    "columns_for",
    "register_export",
    "render_pdf",
    "render_xlsx",
]
