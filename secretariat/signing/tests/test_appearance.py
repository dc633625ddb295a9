"""The visible signature: Vietnamese text drawn with an embedded font (checked on poppler's
rendering of the page and with `pdftotext`), the signature image, the organization's seal over
its left third, the QR code, and where stamps go (`placement_for`)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import qrcode
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4

from secretariat.core.errors import ValidationFailed
from secretariat.signing import appearance, keys, pades
from secretariat.signing.appearance import Stamp
from secretariat.signing.models import StampKind, StampPlacement
from secretariat.signing.tests.test_pades import make_pdf, pdfsig, personal_credential

NAME = "Nguyễn Thị Hằng"
TITLE = "Chánh Văn phòng"
UNIT = "Văn phòng Tỉnh ủy Lâm Đồng"
SIGNED_AT = dt.datetime(2026, 3, 5, 2, 30, tzinfo=dt.UTC)  # 09:30 in Hà Nội
VERIFY_URL = "https://vanphong.example.vn/signing/verify"
DPI = 144
PAGE_WIDTH, PAGE_HEIGHT = A4  # of make_pdf's pages
BLUE = (20, 40, 230)
RED = (220, 20, 30)


# --- Helpers --------------------------------------------------------------------------------


def signature_png() -> bytes:
    """A blue handwritten-like stroke across the whole width, on transparent."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(x, 100 + int(60 * ((x // 40) % 2 * 2 - 1) * (x % 40) / 40)) for x in range(600)]
    draw.line(points, fill=(*BLUE, 255), width=14)
    return _png(image)


def seal_png() -> bytes:
    """A red round seal (ring and star) on transparent."""
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 390, 390), outline=(*RED, 255), width=28)
    draw.ellipse((70, 70, 330, 330), outline=(*RED, 255), width=10)
    draw.regular_polygon((200, 200, 60), 5, fill=(*RED, 255))
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def render(pdf: bytes, directory: Path, *, page: int = 1, dpi: int = DPI) -> Image.Image:
    """poppler's rendering of `page` (from 1) as RGB."""
    source = directory / "render.pdf"
    source.write_bytes(pdf)
    prefix = directory / "render"
    subprocess.run(
        [
            *("pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page)),
            *("-singlefile", str(source), str(prefix)),
        ],
        check=True,
        capture_output=True,
    )
    return Image.open(f"{prefix}.png").convert("RGB")


def region(image: Image.Image, box: appearance.Box, page_height: float) -> Image.Image:
    """The part of a rendering under `box` (PDF points from the bottom left)."""
    scale = DPI / 72
    x1, y1, x2, y2 = box
    return image.crop(
        (
            round(x1 * scale),
            round((page_height - y2) * scale),
            round(x2 * scale),
            round((page_height - y1) * scale),
        )
    )


def pixels(image: Image.Image, test: Callable[[Any], bool]) -> list[tuple[int, int]]:
    width = image.width
    return [(i % width, i // width) for i, p in enumerate(image.get_flattened_data()) if test(p)]


def is_blue(p: Any) -> bool:
    """The signature's ink (not the dark blue text and border, nor their anti-aliased edges)."""
    return p[2] > 190 and p[0] < 90 and p[1] < 110


def is_red(p: Any) -> bool:
    return p[0] > 170 and p[1] < 90 and p[2] < 100


def is_ink(p: Any) -> bool:
    return sum(p) < 600


def pdftotext(pdf: bytes, directory: Path) -> str:
    path = directory / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def signer(make_user: Callable[..., Any]) -> Iterator[Any]:
    with keys.open_signer(personal_credential(make_user("leader"))) as opened:
        yield opened


def stamped(signer: Any, pdf: bytes | None = None, **fields: Any) -> bytes:
    stamp = Stamp(
        **{
            "signer_name": NAME,
            "title": TITLE,
            "unit": UNIT,
            "signed_at": SIGNED_AT,
            **fields,
        }
    )
    return pades.sign_pdf(pdf or make_pdf(), signer=signer, level="B-B", stamp=stamp)


# --- Text -----------------------------------------------------------------------------------


def test_vietnamese_text_is_written_with_its_exact_letters(signer: Any, tmp_path: Path) -> None:
    """The stamp's text reads back letter for letter (tones and all), in the document's
    language (Vietnamese labels, whatever the language of the person signing), with the time
    in Hà Nội."""
    with translation.override("en"):
        text = pdftotext(stamped(signer), tmp_path)
    with translation.override("vi"):
        signed_by = _("Signed by: %(name)s") % {"name": NAME}
        time = _("Time: %(time)s") % {"time": "05/03/2026 09:30"}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for expected in (signed_by, TITLE, UNIT, time):
        assert expected in lines, (expected, lines)


def test_a_decomposed_name_prints_composed(signer: Any, tmp_path: Path) -> None:
    """A name typed with combining accents (NFD, as macOS sends it) prints with the font's
    precomposed letters."""
    decomposed = unicodedata.normalize("NFD", "Phạm Thị Hồng Nhung")
    assert decomposed != "Phạm Thị Hồng Nhung"
    assert "Phạm Thị Hồng Nhung" in pdftotext(stamped(signer, signer_name=decomposed), tmp_path)


def test_the_font_is_an_embedded_dejavu_subset(signer: Any, tmp_path: Path) -> None:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(stamped(signer))
    report = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    dejavu = [line for line in report.splitlines() if "DejaVuSans" in line]
    assert dejavu, report
    name, *_rest = dejavu[0].split()
    columns = dejavu[0].split()
    assert "+" in name  # a subset: ABCDEF+DejaVuSans
    assert columns[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, with a ToUnicode map


def test_the_stamp_is_painted_where_the_field_is(signer: Any, tmp_path: Path) -> None:
    """On poppler's rendering, the field's rectangle is blank before signing and carries the
    stamp (text and border) after."""
    pdf = make_pdf()
    signed = stamped(signer, pdf)
    page, box = appearance.last_signature_widget(signed) or (0, (0, 0, 0, 0))
    assert page == 1
    assert box == pytest.approx(appearance.default_box(pdf), abs=0.01)
    height = PAGE_HEIGHT
    before = region(render(pdf, tmp_path), box, height)
    after = region(render(signed, tmp_path), box, height)
    assert pixels(before, is_ink) == []
    ink = pixels(after, is_ink)
    assert len(ink) > 0.03 * after.width * after.height
    # The text lines fill the field's height from top to bottom, not one corner.
    rows = {y for _x, y in ink}
    assert min(rows) < after.height * 0.2
    assert max(rows) > after.height * 0.8


def test_missing_font_is_a_clear_configuration_error(signer: Any, settings: Any) -> None:
    settings.SIGNING_STAMP_FONT = "/nonexistent/DejaVuSans.ttf"
    with pytest.raises(ImproperlyConfigured, match="fonts-dejavu-core"):
        stamped(signer)


# --- Images and QR code ------------------------------------------------------------------------


def test_the_seal_covers_the_left_third_of_the_signature_image(signer: Any, tmp_path: Path) -> None:
    """A stamp with both images: the blue signature across the top, the red seal over its left
    third (DOMAIN.md §4)."""
    alone = stamped(signer, signature_image=signature_png())
    both = stamped(signer, signature_image=signature_png(), seal_image=seal_png())
    _page, box = appearance.last_signature_widget(both) or (0, (0, 0, 0, 0))
    blue = pixels(region(render(alone, tmp_path), box, PAGE_HEIGHT), is_blue)
    field = region(render(both, tmp_path), box, PAGE_HEIGHT)
    red = pixels(field, is_red)
    assert blue
    assert red
    blue_left, blue_right = min(x for x, _y in blue), max(x for x, _y in blue)
    third = blue_left + (blue_right - blue_left) / 3
    red_xs = [x for x, _y in red]
    tolerance = 3
    assert min(red_xs) >= blue_left - tolerance
    assert max(red_xs) <= third + tolerance
    assert max(red_xs) - min(red_xs) > 0.8 * (third - blue_left)  # it fills the third
    # The seal is drawn over the signature (not under it), whose right part still shows.
    assert any(is_red(field.getpixel(point)) for point in blue)
    assert any(is_blue(field.getpixel(point)) for point in blue if point[0] > third + tolerance)


def test_the_seal_signature_goes_over_the_left_third_of_the_personal_one(
    signer: Any, tmp_path: Path
) -> None:
    """The organization's signature, applied after the personal one with no position given,
    is placed over the left third of the personal signature's field and shows the seal there;
    both signatures stay valid."""
    personal = stamped(signer, signature_image=signature_png())
    _page, personal_box = appearance.last_signature_widget(personal) or (0, (0, 0, 0, 0))
    sealed = pades.sign_pdf(
        personal,
        signer=signer,
        level="B-B",
        stamp=Stamp(signer_name=UNIT, seal_image=seal_png(), signed_at=SIGNED_AT),
    )
    page, seal_box = appearance.last_signature_widget(sealed) or (0, (0, 0, 0, 0))
    x1, y1, x2, y2 = personal_box
    assert page == 1
    assert seal_box == pytest.approx((x1, y1, x1 + (x2 - x1) / 3, y2), abs=0.01)
    assert appearance.placement_for("QĐ", StampKind.SEAL, pdf=personal) == (
        1,
        pytest.approx(seal_box, abs=0.01),
    )
    field = region(render(sealed, tmp_path), personal_box, PAGE_HEIGHT)
    red = pixels(field, is_red)
    assert red
    assert max(x for x, _y in red) <= field.width / 3 + 2
    assert any(is_blue(p) for p in field.get_flattened_data())
    reports = pdfsig(sealed, tmp_path)
    assert [r["Signature Validation"] for r in reports] == ["Signature is Valid."] * 2


def is_black(p: Any) -> bool:
    return sum(p) < 90


def bbox(points: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    return (min(xs), min(ys), max(xs) + 1, max(ys) + 1)


def _modules(square: Image.Image, count: int) -> list[list[bool]]:
    """The count x count modules of a QR code filling `square`, read at their centres."""
    size = square.width / count
    assert square.height / count == pytest.approx(size, rel=0.05)
    return [
        [
            is_black(square.getpixel((int((c + 0.5) * size), int((r + 0.5) * size))))
            for c in range(count)
        ]
        for r in range(count)
    ]


def test_the_qr_code_encodes_the_verification_url(signer: Any, tmp_path: Path) -> None:
    """Read back from the rendering, module by module, the QR code is the one of the
    verification URL (there is no QR decoder on the test machine; this is as strict)."""
    signed = stamped(signer, verify_url=VERIFY_URL)
    _page, (x1, y1, x2, y2) = appearance.last_signature_widget(signed) or (0, (0, 0, 0, 0))
    right_part = (x1 + (x2 - x1) * 0.6, y1, x2, y2)
    image = region(render(signed, tmp_path, dpi=DPI), right_part, PAGE_HEIGHT)
    # The QR code is the only pure black there (text and border are dark blue).
    square = image.crop(bbox(pixels(image, is_black)))
    matches = []
    for level in ("L", "M", "Q", "H"):
        code = qrcode.QRCode(error_correction=getattr(qrcode.constants, f"ERROR_CORRECT_{level}"))
        code.add_data(VERIFY_URL)
        code.make()
        expected = code.get_matrix()
        border = code.border
        core = [row[border:-border] for row in expected[border:-border]]
        matches.append(_modules(square, len(core)) == core)
    assert any(matches)


def test_an_unreadable_image_is_refused(signer: Any) -> None:
    with pytest.raises(ValidationFailed, match="signature image"):
        stamped(signer, signature_image=b"\x89PNG not really")


# --- Placement ------------------------------------------------------------------------------


def test_a_page_that_does_not_exist_is_refused(signer: Any) -> None:
    with pytest.raises(ValidationFailed, match="page 5 does not exist"):
        stamped(signer, page=5)


def test_the_stamp_goes_on_the_page_asked(signer: Any) -> None:
    signed = stamped(signer, make_pdf(3), page=1, box=(60.0, 60.0, 260.0, 140.0))
    assert appearance.last_signature_widget(signed) == (1, (60.0, 60.0, 260.0, 140.0))
    signed = stamped(signer, make_pdf(3), page=-2)
    page, _box = appearance.last_signature_widget(signed) or (0, None)
    assert page == 2


@pytest.mark.django_db
def test_placement_of_the_document_type_then_the_default_row() -> None:
    StampPlacement.objects.create(
        document_type="", kind=StampKind.PERSONAL, page=-1, x=300, y=80, width=240, height=90
    )
    StampPlacement.objects.create(
        document_type="QĐ", kind=StampKind.PERSONAL, page=2, x=320, y=100, width=210, height=90
    )
    assert appearance.placement_for("QĐ", StampKind.PERSONAL) == (2, (320, 100, 530, 190))
    assert appearance.placement_for("CV", StampKind.PERSONAL) == (-1, (300, 80, 540, 170))
    # No seal row: the seal follows the personal placement, over its left third.
    assert appearance.placement_for("QĐ", StampKind.SEAL) == (2, (320, 100, 390, 190))
    StampPlacement.objects.create(
        document_type="QĐ", kind=StampKind.SEAL, page=2, x=300, y=90, width=100, height=100
    )
    assert appearance.placement_for("QĐ", StampKind.SEAL) == (2, (300, 90, 400, 190))


@pytest.mark.django_db
def test_default_placement_is_the_bottom_right_of_the_last_page() -> None:
    assert appearance.placement_for("QĐ", StampKind.PERSONAL) == (-1, None)  # decided on signing
    page, box = appearance.placement_for("QĐ", StampKind.PERSONAL, pdf=make_pdf(2))
    assert page == -1
    assert box is not None
    x1, y1, x2, y2 = box
    width, height = PAGE_WIDTH, PAGE_HEIGHT
    assert x2 == pytest.approx(width - appearance.DEFAULT_MARGIN)
    assert y1 == pytest.approx(appearance.DEFAULT_MARGIN)
    assert x1 > width / 2
    assert y2 < height / 4
