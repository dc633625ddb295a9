"""The statutory report as a PDF (A4 portrait), with the watermark on every page.

Vietnamese is drawn with DejaVu Sans as the register exports do (`documents.exports`: the
Debian `fonts-dejavu-core` files, which have every Vietnamese letter); every string is
normalized to NFC so that text typed with combining marks prints with precomposed glyphs. The
watermark — who exported the file and when — is a line at the top and the bottom of every
page, and a light diagonal line across it.
"""

from __future__ import annotations

import io
import unicodedata
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from secretariat.documents.exports import FONT, FONT_BOLD, register_fonts

if TYPE_CHECKING:
    from .reports import Report


def nfc(text: Any) -> str:
    return unicodedata.normalize("NFC", str(text))


def render_pdf(report: Report, *, watermark: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from .reports import CODES_NOTE

    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11)
    head = ParagraphStyle("head", parent=body, fontName=FONT_BOLD, alignment=1)
    number = ParagraphStyle("number", parent=body, alignment=2)
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=14, leading=18, alignment=1)
    section = ParagraphStyle("section", fontName=FONT_BOLD, fontSize=11, leading=14)
    centred = ParagraphStyle("centred", fontName=FONT, fontSize=10, leading=13, alignment=1)
    small = ParagraphStyle("small", fontName=FONT, fontSize=7, leading=9, alignment=1)

    def para(text: Any, style: ParagraphStyle) -> Paragraph:
        escaped = nfc(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    page_width, page_height = A4
    margin = 15 * mm
    usable = page_width - 2 * margin
    mark = nfc(watermark)

    story: list[Any] = [
        para(report.unit_name, centred),
        Spacer(1, 2 * mm),
        para(_("PARTY MEMBER STATISTICS"), title),
        para(
            _("As of %(date)s") % {"date": report.as_of.strftime("%d/%m/%Y")}
            + (" — " + _("derived from the life-cycle events") if report.from_events else ""),
            centred,
        ),
        para(CODES_NOTE, small),
        Spacer(1, 4 * mm),
    ]
    for table in report.tables:
        heading = f"{table.code} — {table.title}" if table.code else table.title
        first = [para(heading, section)]
        if table.note:
            first.append(para(table.note, body))
        label_width = usable * (0.55 if len(table.columns) > 1 else 0.75)
        widths = [label_width] + [(usable - label_width) / len(table.columns)] * len(table.columns)
        data: list[list[Any]] = [["", *[para(c, head) for c in table.columns]]]
        for row in table.rows:
            indent = "    " * row.level
            label_style = ParagraphStyle(
                f"l{row.level}",
                parent=body,
                leftIndent=10 * row.level,
                fontName=FONT_BOLD if row.level == 0 else FONT,
            )
            data.append(
                [para(indent.strip() + row.label, label_style)]
                + [para(f"{v:,}".replace(",", "."), number) for v in row.values]
            )
        grid = Table(data, colWidths=widths, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2DCDB")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.append(KeepTogether([*first, Spacer(1, 1.5 * mm), grid]))
        story.append(Spacer(1, 5 * mm))
    if report.due_list is not None:
        story.append(para(_("BC21 — Probationary members due for recognition"), section))
        story.append(para(_("Restricted: for the member-records officers of the unit."), body))
        story.append(Spacer(1, 1.5 * mm))
        columns = [
            _("Full name"),
            _("Born"),
            _("Unit"),
            _("Admitted on"),
            _("Probation ends on"),
        ]
        data = [[para(c, head) for c in columns]]
        for due in report.due_list:
            data.append(
                [
                    para(due.full_name, body),
                    para(str(due.birth_year), body),
                    para(due.unit_name, body),
                    para(due.admitted_on.strftime("%d/%m/%Y"), body),
                    para(
                        due.probation_ends_on.strftime("%d/%m/%Y")
                        + (" (" + _("overdue") + ")" if due.overdue else ""),
                        body,
                    ),
                ]
            )
        if not report.due_list:
            data.append([para(_("Nobody."), body), "", "", "", ""])
        grid = Table(
            data, colWidths=[usable * w for w in (0.27, 0.09, 0.3, 0.15, 0.19)], repeatRows=1
        )
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2DCDB")),
                ]
            )
        )
        story.append(grid)

    page_label = _("Page %(page)d")

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        # A light diagonal line across the page, and the same text at its top and bottom.
        canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.18))
        canvas.setFont(FONT_BOLD, 16)
        canvas.translate(page_width / 2, page_height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, 0, mark)
        canvas.restoreState()
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(margin, page_height - 9 * mm, mark)
        canvas.drawString(margin, 8 * mm, mark)
        canvas.drawRightString(page_width - margin, 8 * mm, page_label % {"page": document.page})
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=nfc(_("Party member statistics") + f" — {report.unit_name}"),
        author=mark,
        subject=mark,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
