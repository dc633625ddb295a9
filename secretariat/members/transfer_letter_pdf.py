"""The introduction letter for a transfer of Party activity out of the node (giấy giới thiệu
sinh hoạt đảng) as a PDF, sent through the secure exchange to the receiving organization.

Vietnamese, like the paper letter **[unverified wording, after the form of Hướng dẫn
01-HD/TW]**: the head of a Party document (`probation_pdf.party_header`), the title, "Kính gửi"
the receiving organization, the member's particulars (name, birth date, probationary or
official, dates of admission and recognition, card number, unit), the destination and the
decision, the request to receive the member, and the signature of the issuing committee.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from secretariat.documents.exports import FONT, FONT_BOLD, register_fonts

from .choices import Status
from .models import Member
from .probation_pdf import party_header
from .reports_pdf import nfc

TITLE = "GIẤY GIỚI THIỆU SINH HOẠT ĐẢNG"


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "……"


def render_letter_pdf(
    *,
    member: Member,
    to_code: str,
    destination: str,
    effective_on: dt.date,
    decision_number: str,
    issued_on: dt.date,
) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    register_fonts()
    body = ParagraphStyle("l_body", fontName=FONT, fontSize=12, leading=18, alignment=4)
    centred = ParagraphStyle("l_centred", parent=body, alignment=1)
    bold_centred = ParagraphStyle("l_bold", parent=centred, fontName=FONT_BOLD)
    title = ParagraphStyle("l_title", fontName=FONT_BOLD, fontSize=15, leading=20, alignment=1)

    def para(text: Any, style: ParagraphStyle) -> Paragraph:
        escaped = nfc(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    page_width, _height = A4
    margin = 20 * mm
    usable = page_width - 2 * margin
    unit = member.unit
    standing = "đảng viên chính thức" if member.status == Status.OFFICIAL else "đảng viên dự bị"
    lines = [
        f"Kính gửi: {destination or to_code} (mã định danh {to_code})",
        f"{unit.name if unit is not None else ''} trân trọng giới thiệu đồng chí: "
        f"{member.full_name}",
        f"Sinh ngày: {_date(member.birth_date)}",
        f"Là {standing}; vào Đảng ngày {_date(member.admitted_on)}"
        + (
            f"; chính thức ngày {_date(member.official_on)}"
            if member.status == Status.OFFICIAL
            else f"; hết thời hạn dự bị ngày {_date(member.probation_ends_on)}"
        ),
        "Số thẻ đảng viên: "
        + (member.card_number or "……")
        + "; số lý lịch đảng viên: "
        + (member.party_record_number or "……"),
        f"Đang sinh hoạt tại: {unit.name if unit is not None else '……'}",
        f"Được chuyển sinh hoạt đảng chính thức đến: {destination or to_code}, "
        f"kể từ ngày {_date(effective_on)}"
        + (f", theo quyết định số {decision_number}" if decision_number else "")
        + ".",
        "Đề nghị các đồng chí tiếp nhận và giúp đỡ đồng chí hoàn thành nhiệm vụ đảng viên. "
        "Hồ sơ đảng viên gửi kèm theo quy định.",
    ]
    story: list[Any] = [
        party_header(unit=unit, day=issued_on, width=usable),
        Spacer(1, 8 * mm),
        para(TITLE, title),
        Spacer(1, 6 * mm),
    ]
    story += [para(line, body) for line in lines]
    story += [
        Spacer(1, 8 * mm),
        Table(
            [
                ["", para("T/M CẤP ỦY", bold_centred)],
                ["", para("(Ký tên, đóng dấu)", centred)],
            ],
            colWidths=[usable * 0.45, usable * 0.55],
        ),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=nfc(f"{TITLE} — {member.full_name}"),
        author=nfc(unit.name if unit is not None else ""),
    ).build(story)
    return out.getvalue()
