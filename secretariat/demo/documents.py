"""Demo documents: realistic incoming documents of the Provincial Committee Office, made as PDFs
with a text layer (no OCR needed), captured and registered through the real services."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class DemoDocument:
    issuer_parent: str
    issuer: str
    notation: str
    place_date: str
    type_title: str
    subject: str
    body: str
    party: bool = True


DEMO_DOCUMENTS = [
    DemoDocument(
        "BAN CHẤP HÀNH TRUNG ƯƠNG",
        "VĂN PHÒNG",
        "Số 1250-CV/VPTW",
        "Hà Nội, ngày 5 tháng 11 năm 2026",
        "CÔNG VĂN",
        "V/v chuẩn bị tổng kết công tác năm 2026",
        "Thực hiện chương trình công tác, Văn phòng Trung ương Đảng đề nghị các tỉnh ủy, thành ủy "
        "chuẩn bị báo cáo tổng kết công tác văn phòng cấp ủy năm 2026, gửi về trước ngày 15 tháng 12.",
    ),
    DemoDocument(
        "TỈNH ỦY LÂM ĐỒNG",
        "BAN TỔ CHỨC",
        "Số 85-HD/BTCTU",
        "Lâm Đồng, ngày 10 tháng 11 năm 2026",
        "HƯỚNG DẪN",
        "Về việc đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên năm 2026",
        "Căn cứ Quy định của Ban Chấp hành Trung ương, Ban Tổ chức Tỉnh ủy hướng dẫn các cấp ủy "
        "trực thuộc tổ chức kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên năm 2026.",
    ),
    DemoDocument(
        "UBND TỈNH LÂM ĐỒNG",
        "",
        "Số: 2140/QĐ-UBND",
        "Lâm Đồng, ngày 12 tháng 11 năm 2026",
        "QUYẾT ĐỊNH",
        "Về việc phê duyệt kế hoạch chuyển đổi số tỉnh Lâm Đồng giai đoạn 2026–2030",
        "Phê duyệt kế hoạch chuyển đổi số của tỉnh, trong đó văn phòng điện tử, chữ ký số chuyên dùng "
        "và liên thông văn bản giữa các cơ quan đảng và chính quyền là nhiệm vụ trọng tâm.",
        party=False,
    ),
    DemoDocument(
        "ĐẢNG BỘ TỈNH LÂM ĐỒNG",
        "ĐẢNG ỦY PHƯỜNG XUÂN HƯƠNG",
        "Số 42-BC/ĐU",
        "Đà Lạt, ngày 18 tháng 11 năm 2026",
        "BÁO CÁO",
        "Kết quả thực hiện nhiệm vụ chính trị quý IV năm 2026",
        "Đảng ủy phường Xuân Hương báo cáo kết quả lãnh đạo thực hiện nhiệm vụ chính trị, công tác "
        "xây dựng Đảng và hệ thống chính trị trong quý IV năm 2026.",
    ),
]


def _fonts() -> tuple[str, str]:
    for name, path in (
        ("DejaVuSans", "DejaVuSans.ttf"),
        ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"),
    ):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / path)))
    return "DejaVuSans", "DejaVuSans-Bold"


def render_pdf(doc: DemoDocument) -> bytes:
    """One A4 page laid out like an administrative document (Decree 30 Appendix I)."""
    regular, bold = _fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    y = height - 60
    page.setFont(regular, 11)
    page.drawCentredString(150, y, doc.issuer_parent)
    page.setFont(bold, 11)
    right_title = "ĐẢNG CỘNG SẢN VIỆT NAM" if doc.party else "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    page.drawCentredString(width - 170, y, right_title)
    if doc.issuer:
        page.drawCentredString(150, y - 15, doc.issuer)
    page.setFont(regular, 11)
    page.drawCentredString(150, y - 32, "*" if doc.party else "")
    page.drawCentredString(150, y - 48, doc.notation)
    page.drawCentredString(width - 170, y - 48, doc.place_date)
    page.setFont(bold, 14)
    page.drawCentredString(width / 2, y - 95, doc.type_title)
    page.setFont(regular, 12)
    page.drawCentredString(width / 2, y - 115, doc.subject)
    text = page.beginText(70, y - 160)
    text.setFont(regular, 12)
    line = ""
    for word in doc.body.split():
        candidate = f"{line} {word}".strip()
        if pdfmetrics.stringWidth(candidate, regular, 12) > width - 140:
            text.textLine(line)
            line = word
        else:
            line = candidate
    text.textLine(line)
    page.drawText(text)
    page.showPage()
    page.save()
    return buffer.getvalue()
