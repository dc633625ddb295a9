"""The minutes of a meeting as a PDF laid out like a Party document (DOMAIN.md §1–2): the
convening body on the left with the asterisk under it, "ĐẢNG CỘNG SẢN VIỆT NAM" on the right
with the date under it, the title "BIÊN BẢN" and the meeting's name, the text the secretary
edited, then the signature blocks — the secretary on the left, the chair on the right — whose
empty boxes receive the visible digital signatures (`SECRETARY_BOX`, `CHAIR_BOX`).

The text is drawn with DejaVu Serif (Debian `fonts-dejavu-core`), which has every Vietnamese
letter; every string is normalized to NFC first, so that a name typed with combining marks
prints with the font's precomposed glyphs and reads back as the same text. A4, margins of
Decree 30's layout (left 30 mm, right 15 mm, top and bottom 20 mm).

The text's own markup is minimal, so that the secretary edits plain text: a line starting with
a Roman numeral and a dot ("II. THÀNH PHẦN") is a heading, "- " starts an indented item, an
empty line separates paragraphs.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PAGE_WIDTH, PAGE_HEIGHT = 595.2755905511812, 841.8897637795277  # A4 in points
MM = 72 / 25.4
LEFT, RIGHT, TOP, BOTTOM = 30 * MM, 15 * MM, 20 * MM, 20 * MM
FRAME_WIDTH = PAGE_WIDTH - LEFT - RIGHT
# The signature blocks, at the bottom of the last page: a title line, an empty box for the
# visible signature, the signer's name. Boxes are (x1, y1, x2, y2) in points from the page's
# bottom left, where `signing.appearance.Stamp(box=...)` draws the stamp.
BLOCK_HEIGHT = 175.0
STAMP_WIDTH, STAMP_HEIGHT = 215.0, 95.0
NAME_Y = BOTTOM + 12
STAMP_Y = NAME_Y + 22
TITLE_Y = STAMP_Y + STAMP_HEIGHT + 14
COLUMN = FRAME_WIDTH / 2
SECRETARY_BOX = (
    LEFT + (COLUMN - STAMP_WIDTH) / 2,
    STAMP_Y,
    LEFT + (COLUMN + STAMP_WIDTH) / 2,
    STAMP_Y + STAMP_HEIGHT,
)
CHAIR_BOX = (
    LEFT + COLUMN + (COLUMN - STAMP_WIDTH) / 2,
    STAMP_Y,
    LEFT + COLUMN + (COLUMN + STAMP_WIDTH) / 2,
    STAMP_Y + STAMP_HEIGHT,
)

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian/Ubuntu fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora, Alpine
    "/usr/share/fonts/TTF",  # Arch
)
REGULAR, BOLD = "MinutesSerif", "MinutesSerif-Bold"
HEADING = re.compile(r"^[IVXLC]+\.\s")


@dataclass(frozen=True)
class Layout:
    """What the PDF prints. Names and titles are Vietnamese, as on the paper form."""

    parent_body: str  # the superior committee (may be empty)
    body: str  # the convening unit
    date_line: str  # "ngày 12 tháng 3 năm 2026" (with the place first when known)
    title: str  # "BIÊN BẢN"
    subject: str  # the meeting's name
    text: str  # the edited minutes
    secretary_title: str
    secretary_name: str
    chair_title: str
    chair_name: str


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def date_line(day: dt.date, place: str = "") -> str:
    """`Lâm Đồng, ngày 12 tháng 3 năm 2026` (DOMAIN.md §2); without a place, the date alone."""
    line = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{place}, {line}" if place else line


def _font_file(name: str) -> str:
    for directory in FONT_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file():
            return str(candidate)
    raise ImproperlyConfigured(
        f"The minutes font {name} is missing. Install the Debian package fonts-dejavu-core "
        "(make system-packages)."
    )


@functools.cache
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    configured = str(getattr(settings, "MINUTES_FONT", "") or "")
    regular = configured or _font_file("DejaVuSerif.ttf")
    bold = str(getattr(settings, "MINUTES_FONT_BOLD", "") or "") or (
        regular if configured else _font_file("DejaVuSerif-Bold.ttf")
    )
    pdfmetrics.registerFont(TTFont(REGULAR, regular))
    pdfmetrics.registerFont(TTFont(BOLD, bold))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _SignatureBlocks:
    """A flowable taking the rest of the last page, drawing the two signature blocks at its
    bottom, so their boxes are always where `SECRETARY_BOX` and `CHAIR_BOX` say (when the
    page has too little room left, it goes to a new page)."""

    def __new__(cls, layout: Layout) -> Any:
        from reportlab.platypus import Flowable

        class Blocks(Flowable):
            def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
                self.height = max(available_height, BLOCK_HEIGHT)
                return available_width, self.height

            def draw(self) -> None:
                canvas = self.canv
                # Drawn in page coordinates, wherever the frame put the flowable's origin.
                origin_x, origin_y = canvas.absolutePosition(0, 0)
                for x, title, name in (
                    (LEFT + COLUMN / 2, layout.secretary_title, layout.secretary_name),
                    (LEFT + COLUMN * 1.5, layout.chair_title, layout.chair_name),
                ):
                    canvas.setFont(BOLD, 12)
                    lines = nfc(title).split("\n")
                    for offset, line in enumerate(lines):
                        y = TITLE_Y + 14 * (len(lines) - 1 - offset)
                        canvas.drawCentredString(x - origin_x, y - origin_y, line)
                    canvas.drawCentredString(x - origin_x, NAME_Y - origin_y, nfc(name))

        return Blocks()


def render(layout: Layout) -> bytes:
    """The minutes as PDF bytes (deterministic for the same layout: no creation date)."""
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    body = ParagraphStyle(
        "body", fontName=REGULAR, fontSize=13, leading=18, alignment=TA_JUSTIFY, spaceAfter=4
    )
    item = ParagraphStyle("item", parent=body, leftIndent=14, firstLineIndent=-10)
    heading = ParagraphStyle("heading", parent=body, fontName=BOLD, spaceBefore=6)
    centred = ParagraphStyle("centred", fontName=REGULAR, fontSize=12, leading=16, alignment=1)
    centred_bold = ParagraphStyle("centred_bold", parent=centred, fontName=BOLD)
    title = ParagraphStyle(
        "title", fontName=BOLD, fontSize=15, leading=20, alignment=TA_CENTER, spaceBefore=14
    )
    subject = ParagraphStyle(
        "subject", fontName=BOLD, fontSize=13, leading=18, alignment=TA_CENTER, spaceAfter=10
    )

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(_escape(nfc(text)).replace("\n", "<br/>"), style)

    left = []
    if layout.parent_body.strip():
        left.append(para(layout.parent_body.upper(), centred))
    left += [para(layout.body.upper(), centred_bold), para("*", centred)]
    right = [
        Paragraph("<u>ĐẢNG CỘNG SẢN VIỆT NAM</u>", centred_bold),
        Spacer(1, 8),
        para(layout.date_line, centred),
    ]
    header = Table([[left, right]], colWidths=[FRAME_WIDTH * 0.45, FRAME_WIDTH * 0.55])
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story: list[Any] = [
        header,
        para(layout.title.upper(), title),
        para(layout.subject, subject),
    ]
    for raw in nfc(layout.text).replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            story.append(Spacer(1, 4))
        elif HEADING.match(line):
            story.append(para(line, heading))
        elif line.lstrip().startswith(("- ", "+ ", "• ")):
            story.append(para("– " + line.lstrip()[2:], item))
        else:
            story.append(para(line, body))
    story.append(Spacer(1, 12))
    story.append(_SignatureBlocks(layout))

    page_label = "Trang %d"

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 9)
        canvas.drawRightString(PAGE_WIDTH - RIGHT, BOTTOM / 2, page_label % document.page)
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=nfc(f"{layout.title} — {layout.subject}"),
        author=nfc(layout.body),
        invariant=1,
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
