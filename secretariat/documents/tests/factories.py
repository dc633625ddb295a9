"""Test material for capture: real files built by the tests (scanned pages rendered with Pillow,
text PDFs with reportlab, office documents written by hand), and documents captured through the
real services. No mocks: the pipeline sees the bytes a clerk's scanner or word processor makes."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
DPI = 300
# A fixed, test-only master key (base64 of 32 bytes): tests never touch the node's real key.
TEST_MASTER_KEY = "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmchISE="

# The first page of a Party decision (Hướng dẫn 36-HD/VPTW layout): left header with the
# issuing body and its asterisk, right header with the Party's name, number, place and date,
# the type title, the subject (trích yếu), and a body paragraph.
PARTY_DECISION = {
    "left": ["TỈNH ỦY LÂM ĐỒNG", "*", "Số 125-QĐ/TU"],
    "right": ["ĐẢNG CỘNG SẢN VIỆT NAM", "", "Lâm Đồng, ngày 12 tháng 3 năm 2026"],
    "title": "QUYẾT ĐỊNH",
    "subject": ["Về việc thành lập Ban chỉ đạo chuyển đổi số", "của Đảng bộ tỉnh"],
    "body": [
        "BAN THƯỜNG VỤ TỈNH ỦY",
        "Căn cứ Điều lệ Đảng và Quy chế làm việc của Ban Chấp hành",
        "Đảng bộ tỉnh khóa XI, nhiệm kỳ 2025 - 2030; xét đề nghị của",
        "Văn phòng Tỉnh ủy về việc kiện toàn tổ chức bộ máy,",
    ],
}

FRENCH_LETTER = {
    "left": ["PRÉFECTURE DE LA RÉGION", "Direction générale"],
    "right": ["RÉPUBLIQUE FRANÇAISE", "", "Paris, le 12 mars 2026"],
    "title": "DÉCISION",
    "subject": ["Objet : coopération décentralisée avec Lâm Đồng"],
    "body": [
        "Le préfet de région décide de créer un comité de pilotage",
        "chargé du développement économique et de la coopération",
        "entre les collectivités territoriales des deux régions.",
    ],
}


def render_page(content: dict[str, Any], *, seed: int = 7, rotate: float = 0.4) -> Image.Image:
    """An A4 page at 300 dpi as a scanner makes it: grey, slightly rotated, speckled."""
    width, height = int(8.27 * DPI), int(11.69 * DPI)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    regular = ImageFont.truetype(FONT, 44)
    bold = ImageFont.truetype(FONT_BOLD, 46)
    title = ImageFont.truetype(FONT_BOLD, 58)

    def centred(text: str, x_centre: int, y: int, font: ImageFont.FreeTypeFont) -> None:
        w = draw.textlength(text, font=font)
        draw.text((x_centre - w / 2, y), text, fill=20, font=font)

    y = 260
    for i, line in enumerate(content["left"]):
        centred(line, 620, y + i * 70, bold if i == 0 else regular)
    for i, line in enumerate(content["right"]):
        centred(line, 1680, y + i * 70, bold if i == 0 else regular)
    y += 5 * 70
    centred(content["title"], width // 2, y, title)
    y += 100
    for line in content["subject"]:
        centred(line, width // 2, y, bold)
        y += 65
    y += 60
    for line in content["body"]:
        draw.text((250, y), line, fill=25, font=regular)
        y += 65
    rng = random.Random(seed)
    pixels = page.load()
    assert pixels is not None
    for _ in range(4000):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.randrange(90, 200)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    return page.rotate(rotate, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)


def image_bytes(page: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "TIFF":
        page.save(out, "TIFF", compression="tiff_lzw", dpi=(DPI, DPI))
    elif fmt == "JPEG":
        page.save(out, "JPEG", quality=85, dpi=(DPI, DPI))
    else:
        page.save(out, fmt, dpi=(DPI, DPI))
    return out.getvalue()


def image_only_pdf(page: Image.Image) -> bytes:
    """A scanned PDF: one image per page, no text layer."""
    out = io.BytesIO()
    page.convert("L").save(out, "PDF", resolution=float(DPI))
    return out.getvalue()


def text_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    """A born-digital PDF with a text layer (reportlab, DejaVu for Vietnamese letters);
    byte-identical for identical input (invariant mode), so deduplication can be tested."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    for page_no in range(pages):
        pdf.setFont("DejaVuSans", 12)
        y = 780.0
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 18
        if pages > 1:
            pdf.drawString(60, 40, f"{page_no + 1}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def minimal_docx(paragraphs: list[str]) -> bytes:
    """A valid Word document built by hand: the four parts Word needs, nothing else."""
    from xml.sax.saxutils import escape

    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>"
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "không phải văn bản")
    return out.getvalue()


def password_pdf() -> bytes:
    import pikepdf

    source = io.BytesIO(text_pdf(["Tài liệu có mật khẩu"]))
    out = io.BytesIO()
    with pikepdf.open(source) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="chủ", user="bí mật", R=6))
    return out.getvalue()


DECISION_TEXT_LINES = [
    "ỦY BAN NHÂN DÂN          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "TỈNH LÂM ĐỒNG                Độc lập - Tự do - Hạnh phúc",
    "Số: 12/QĐ-UBND           Lâm Đồng, ngày 5 tháng 1 năm 2026",
    "QUYẾT ĐỊNH",
    "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026",
    "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",
]


@pytest.fixture(name="isolated_storage")
def isolated_storage_fixture(settings: Any, tmp_path: Path) -> Path:
    """Files and keys of this test in its own directory, under a fixed test master key."""
    settings.FILES_DIR = tmp_path / "files"
    settings.KEYS_DIR = tmp_path / "keys"
    settings.MASTER_KEY = TEST_MASTER_KEY
    settings.FILES_S3_BUCKET = ""
    return Path(settings.FILES_DIR)


def blobs(files_dir: Path) -> list[Path]:
    """The blobs written under FILES_DIR (temporary files excluded)."""
    if not files_dir.exists():
        return []
    return [p for p in files_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]


def capture(
    *,
    actor: Any,
    unit: Any,
    data: bytes,
    name: str = "van-ban.pdf",
    metadata: dict[str, Any] | None = None,
    run_ocr: str = "background",
) -> Any:
    """A document captured through the real service."""
    from secretariat.documents import services

    return services.document_capture(
        actor=actor,
        unit=unit,
        file=services.IncomingFile(name=name, data=data),
        confidentiality="normal",
        metadata=metadata or {},
        run_ocr=run_ocr,  # type: ignore[arg-type]
    )
