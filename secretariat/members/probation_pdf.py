"""The two forms of the recognition file as printable PDFs (A4): the probationary member's
self-review (bản tự kiểm điểm của đảng viên dự bị) and the helping member's comment (bản nhận
xét của đảng viên chính thức được phân công giúp đỡ).

The forms are Vietnamese administrative documents: their text is Vietnamese whatever the
reader's language (like the paper forms). The layout follows the Party's documents: the
committee above and the cell on the left, "ĐẢNG CỘNG SẢN VIỆT NAM" underlined on the right with
the place and date, the title, the member's particulars, the three parts of the form and the
signature. Without a recorded form, the PDF is the blank form to fill in by hand (dotted lines).
Fonts and NFC normalization as in `reports_pdf.py`.
"""

from __future__ import annotations

import io
from typing import Any

from secretariat.documents.exports import FONT, FONT_BOLD, register_fonts
from secretariat.orgs.models import Unit

from .choices import ReviewKind
from .models import Member, ProbationReview
from .reports_pdf import nfc

PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"
TITLES = {
    ReviewKind.SELF_REVIEW: ("BẢN TỰ KIỂM ĐIỂM", "của đảng viên dự bị"),
    ReviewKind.HELPER_COMMENT: (
        "BẢN NHẬN XÉT",
        "của đảng viên chính thức được phân công giúp đỡ đảng viên dự bị",
    ),
}
PARTS = {
    ReviewKind.SELF_REVIEW: (
        "1. Ưu điểm (tư tưởng chính trị, phẩm chất đạo đức, lối sống; ý thức tổ chức kỷ luật; "
        "thực hiện nhiệm vụ được giao):",
        "2. Khuyết điểm, hạn chế và nguyên nhân:",
        "3. Tự nhận xét, hướng khắc phục và đề nghị chi bộ xét công nhận đảng viên chính thức:",
    ),
    ReviewKind.HELPER_COMMENT: (
        "1. Ưu điểm của đảng viên dự bị trong thời gian dự bị:",
        "2. Khuyết điểm, hạn chế:",
        "3. Kết luận và đề nghị (đủ / chưa đủ điều kiện công nhận đảng viên chính thức):",
    ),
}
SIGNATURE = {
    ReviewKind.SELF_REVIEW: "NGƯỜI TỰ KIỂM ĐIỂM",
    ReviewKind.HELPER_COMMENT: "ĐẢNG VIÊN GIÚP ĐỠ",
}


def filename(member: Member, kind: str) -> str:
    stem = "tu-kiem-diem" if kind == ReviewKind.SELF_REVIEW else "nhan-xet-giup-do"
    return f"{stem}-{str(member.pk)[:8]}.pdf"


def _date_line(day: Any, place: str = "") -> str:
    where = nfc(place) or "……………"
    if day is None:
        return f"{where}, ngày …… tháng …… năm ………"
    return f"{where}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def party_header(*, unit: Unit | None, day: Any, width: float, place: str = "") -> Any:
    """The head of a Party document: the committee above and the issuing cell or committee on
    the left, "ĐẢNG CỘNG SẢN VIỆT NAM" underlined with the place and date on the right."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    register_fonts()
    centred = ParagraphStyle("h_centred", fontName=FONT, fontSize=12, leading=17, alignment=1)
    bold = ParagraphStyle("h_bold", parent=centred, fontName=FONT_BOLD)
    dated = ParagraphStyle("h_date", parent=centred, fontSize=11)

    def para(text: Any, style: ParagraphStyle) -> Paragraph:
        escaped = nfc(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    parent = Unit.objects.get_parent(unit) if unit is not None else None
    issuer = nfc(unit.name).upper() if unit is not None else ""
    if unit is not None and unit.kind == "cell" and not issuer.startswith("CHI BỘ"):
        issuer = f"CHI BỘ {issuer}"
    header = Table(
        [
            [
                para(nfc(parent.name).upper() if parent is not None else "", centred),
                Paragraph(f"<u>{nfc(PARTY)}</u>", bold),
            ],
            [para(issuer, bold), para(_date_line(day, place), dated)],
            [para("*", centred), ""],
        ],
        colWidths=[width * 0.45, width * 0.55],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return header


def render_review_pdf(*, member: Member, kind: str, review: ProbationReview | None) -> bytes:
    """The form `kind` of `member`'s current probation: filled with `review`, else blank."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    register_fonts()
    kind = ReviewKind(kind)
    body = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=17, alignment=4)
    centred = ParagraphStyle("centred", parent=body, alignment=1)
    centred_bold = ParagraphStyle("centred_bold", parent=centred, fontName=FONT_BOLD)
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=15, leading=20, alignment=1)
    heading = ParagraphStyle("heading", parent=body, fontName=FONT_BOLD)

    def para(text: Any, style: ParagraphStyle) -> Paragraph:
        escaped = nfc(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped.replace("\n", "<br/>"), style)

    page_width, _height = A4
    margin = 20 * mm
    usable = page_width - 2 * margin
    unit = member.unit
    header = party_header(unit=unit, day=review.written_on if review else None, width=usable)
    heading_text, subtitle = TITLES[kind]
    admitted = member.admitted_on
    particulars = [
        f"Họ và tên đảng viên dự bị: {member.full_name}",
        "Ngày sinh: " + (member.birth_date.strftime("%d/%m/%Y") if member.birth_date else "……"),
        "Ngày vào Đảng: " + (admitted.strftime("%d/%m/%Y") if admitted else "……"),
        "Hết thời hạn dự bị: "
        + (member.probation_ends_on.strftime("%d/%m/%Y") if member.probation_ends_on else "……"),
        "Sinh hoạt tại chi bộ: " + (unit.name if unit is not None else "……"),
    ]
    if kind == ReviewKind.HELPER_COMMENT:
        helper = review.author_name if review else "…………………………………………"
        particulars.insert(0, f"Họ và tên đảng viên được phân công giúp đỡ: {helper}")
    story: list[Any] = [
        header,
        Spacer(1, 8 * mm),
        para(heading_text, title),
        para(subtitle, centred_bold),
        Spacer(1, 6 * mm),
    ]
    story += [para(line, body) for line in particulars]
    story.append(Spacer(1, 4 * mm))
    texts = (
        (review.strengths, review.weaknesses, review.conclusion) if review else (None, None, None)
    )
    dots = "…" * 70
    for label, text in zip(PARTS[kind], texts, strict=True):
        story.append(para(label, heading))
        if text:
            story.append(para(text, body))
        else:
            story += [para(dots, body) for _line in range(4)]
        story.append(Spacer(1, 3 * mm))
    signer = review.author_name if review else ""
    signature = Table(
        [
            ["", para(SIGNATURE[kind], centred_bold)],
            ["", para("(Ký, ghi rõ họ tên)", centred)],
            ["", Spacer(1, 18 * mm)],
            ["", para(signer, centred_bold)],
        ],
        colWidths=[usable * 0.45, usable * 0.55],
    )
    story += [Spacer(1, 4 * mm), signature]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=nfc(f"{heading_text} {subtitle} — {member.full_name}"),
        author=nfc(signer or PARTY),
    )
    document.build(story)
    return out.getvalue()
