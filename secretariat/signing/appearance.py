"""The visible signature (the stamp on the page): who signed, their title and unit, when, the
image of the handwritten signature, the organization's seal over its left third (DOMAIN.md §4)
and a QR code linking to the verification page.

Text is drawn with an embedded subset of DejaVu Sans (Debian `fonts-dejavu-core`), which has the
Vietnamese glyphs; the standard PDF fonts do not. The stamp is part of an official Vietnamese
document, so its labels are written in the document's language (Vietnamese), whatever the
language of the person who clicked "sign".

Where the stamp goes is configured per document type (`StampPlacement`); `placement_for` gives
the page and rectangle, with defaults when nothing is configured.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.font import FontEngineFactory
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter, init_xobject_dictionary
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.stamp import BaseStamp, BaseStampStyle

from secretariat.core import clock
from secretariat.core.errors import ValidationFailed

from .models import StampKind, StampPlacement

# The language of the document the stamp is printed on (see the module docstring).
DOCUMENT_LANGUAGE = "vi"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian/Ubuntu fonts-dejavu-core
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",  # Fedora, Alpine
    "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
)
# Size of the personal stamp when no placement is configured, in points (A4 is 595 x 842).
DEFAULT_WIDTH = 230.0
DEFAULT_HEIGHT = 95.0
DEFAULT_MARGIN = 36.0
# Images are scaled down to this many pixels on their long side: enough for print at the
# stamp's size, and the signed PDF stays small.
MAX_IMAGE_PIXELS = 800
TEXT_COLOR = (0.1, 0.1, 0.55)
BORDER_COLOR = (0.1, 0.1, 0.55)

Box = tuple[float, float, float, float]
A4: Box = (0.0, 0.0, 595.28, 841.89)


@dataclass(frozen=True)
class Stamp:
    """What the visible signature shows. `page` counts from 1, negative from the end (-1: the
    last page); `box` is (x1, y1, x2, y2) in PDF points from the page's bottom left, None for
    the default place. Images are PNG bytes (the signature blue on transparent, the seal red)."""

    signer_name: str
    title: str = ""
    unit: str = ""
    signed_at: dt.datetime | None = None
    signature_image: bytes | None = None
    seal_image: bytes | None = None
    verify_url: str | None = None
    page: int = -1
    box: Box | None = None

    @property
    def seal_only(self) -> bool:
        """The organization's signature placed over the personal one: the seal image alone,
        since text would be written over the personal signature's."""
        return self.seal_image is not None and self.signature_image is None


# --- Font ---------------------------------------------------------------------------------------


def font_path() -> str:
    """The TrueType font the stamp's text is drawn with (`SIGNING_STAMP_FONT` when set)."""
    configured = str(settings.SIGNING_STAMP_FONT or "")
    candidates = (configured,) if configured else FONT_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise ImproperlyConfigured(
        f"The signature stamp font is missing (looked for {', '.join(candidates)}). "
        "Install the Debian package fonts-dejavu-core (make system-packages) or set "
        "SECRETARIAT_SIGNING_STAMP_FONT to a TrueType font with Vietnamese glyphs."
    )


# Characters the stamp can print: Latin with every Vietnamese letter (precomposed and
# combining marks), punctuation, the đồng sign.
STAMP_CHARACTERS = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x370),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    0x20AB,
]


@functools.lru_cache(maxsize=2)
def stamp_font(path: str) -> bytes:
    """The stamp's font, prepared once per process: the Latin and Vietnamese part of the
    TrueType font at `path`, rescaled to 1000 units per em.

    Why rescaled: pyHanko writes glyph widths and kerning in the font's own units while PDF
    counts text space in thousandths of an em, so a font with 2048 units per em (DejaVu Sans,
    like most TrueType fonts) would print with every letter twice too far apart."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(path)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.glyph_names = True
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=STAMP_CHARACTERS)
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class _StampFont(FontEngineFactory):
    """pyHanko font factory embedding (a subset of) `stamp_font(path)`."""

    def __init__(self, path: str, font_size: int) -> None:
        self.path = path
        self.font_size = font_size

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> Any:
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(stamp_font(self.path)),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


# --- Text ---------------------------------------------------------------------------------------


def local_time(moment: dt.datetime | None) -> dt.datetime:
    return timezone.localtime(moment or clock.now())


def stamp_lines(stamp: Stamp) -> list[str]:
    """The text lines of a stamp, in the document's language, NFC-normalized (a name typed on
    a Mac arrives decomposed; the font's precomposed Vietnamese glyphs are what prints well)."""
    when = local_time(stamp.signed_at).strftime("%d/%m/%Y %H:%M")
    with translation.override(DOCUMENT_LANGUAGE):
        lines = [_("Signed by: %(name)s") % {"name": stamp.signer_name.strip()}]
        lines += [part.strip() for part in (stamp.title, stamp.unit) if part and part.strip()]
        lines.append(_("Time: %(time)s") % {"time": when})
    return [unicodedata.normalize("NFC", " ".join(line.split())) for line in lines]


# --- Images -------------------------------------------------------------------------------------


def load_image(data: bytes, *, what: str) -> Image.Image:
    """A PNG (or any image Pillow reads) as RGBA, scaled down for the stamp."""
    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValidationFailed(
            _("The %(what)s is not a readable image (PNG expected).") % {"what": what}
        ) from error
    image = opened.convert("RGBA")
    image.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS))
    return image


def _fit(image: Image.Image, region: Box) -> Box:
    """The largest rectangle with the image's proportions centred in `region`."""
    x1, y1, x2, y2 = region
    width, height = x2 - x1, y2 - y1
    if width <= 0 or height <= 0:
        return (x1, y1, x1, y1)
    scale = min(width / image.width, height / image.height)
    w, h = image.width * scale, image.height * scale
    left, bottom = x1 + (width - w) / 2, y1 + (height - h) / 2
    return (left, bottom, left + w, bottom + h)


def seal_box_over(signature: Box) -> Box:
    """Where the organization's seal goes over a signature (x1, y1, x2, y2): its left third
    (DOMAIN.md §4); the seal image is drawn as large as fits there, centred."""
    x1, y1, x2, y2 = signature
    return (x1, y1, x1 + (x2 - x1) / 3, y2)


# --- The pyHanko stamp --------------------------------------------------------------------------


@dataclass(frozen=True)
class _StampStyle(BaseStampStyle):
    """pyHanko stamp style drawing our layout in the signature field's rectangle."""

    stamp: Stamp | None = None
    signature: Image.Image | None = None
    seal: Image.Image | None = None
    font_file: str = ""

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> _Stamp:
        return _Stamp(writer, self, box)


class _Stamp(BaseStamp):
    style: _StampStyle

    def _image(self, image: Image.Image, name: str, region: Box) -> bytes:
        assert self.writer is not None
        self.set_resource(
            category=ResourceType.XOBJECT, name=pdf_name(name), value=pil_image(image, self.writer)
        )
        x1, y1, x2, y2 = region
        return b"q %g 0 0 %g %g %g cm %s Do Q" % (x2 - x1, y2 - y1, x1, y1, name.encode())

    def _qr(self, url: str, region: Box) -> bytes:
        import qrcode
        from pyhanko.pdf_utils.qr import PdfStreamQRImage

        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
        code.add_data(url)
        code.make()
        image = code.make_image(image_factory=PdfStreamQRImage)
        size = (code.modules_count + 2 * code.border) * code.box_size
        xobject = init_xobject_dictionary(image.render_command_stream(), size, size)
        xobject.compress()
        assert self.writer is not None
        self.set_resource(
            category=ResourceType.XOBJECT,
            name=pdf_name("/QR"),
            value=self.writer.add_object(xobject),
        )
        x1, y1, x2, _y2 = region
        scale = (x2 - x1) / size
        return b"q %g 0 0 %g %g %g cm /QR Do Q" % (scale, scale, x1, y1)

    def _text(self, lines: list[str], region: Box) -> bytes:
        """The lines at their natural size (10 pt), shrunk to fit `region` if needed, from its
        top left."""
        x1, y1, x2, y2 = region
        style = TextBoxStyle(
            font=_StampFont(self.style.font_file, font_size=10),
            font_size=10,
            leading=12,
            text_color=TEXT_COLOR,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins.uniform(0),
                inner_content_scaling=layout.InnerScaling.NO_SCALING,
            ),
        )
        box = TextBox(style, writer=self.writer, resources=self.resources, box=None)
        box.content = "\n".join(lines)
        drawn = box.render()
        width, height = float(box.box.width), float(box.box.height)
        scale = min(1.0, (x2 - x1) / width if width else 1.0, (y2 - y1) / height if height else 1.0)
        top = y2 - height * scale
        return b"q %g 0 0 %g %g %g cm %s Q" % (scale, scale, x1, top, drawn)

    def _render_inner_content(self) -> list[bytes]:
        style = self.style
        stamp = style.stamp
        assert stamp is not None
        width, height = float(self.box.width), float(self.box.height)
        pad = 3.0
        commands: list[bytes] = []
        if stamp.seal_only:
            assert style.seal is not None
            commands.append(
                self._image(style.seal, "/Seal", _fit(style.seal, (0, 0, width, height)))
            )
            return commands

        right = width - pad
        if stamp.verify_url:
            side = min(height - 2 * pad, width / 3)
            commands.append(self._qr(stamp.verify_url, (right - side, pad, right, pad + side)))
            right -= side + pad
        text_top = height - pad
        if style.signature is not None:
            image_region = (pad, height / 2, right, height - pad)
            drawn = _fit(style.signature, image_region)
            commands.append(self._image(style.signature, "/Signature", drawn))
            if style.seal is not None:
                commands.append(
                    self._image(style.seal, "/Seal", _fit(style.seal, seal_box_over(drawn)))
                )
            text_top = height / 2
        commands.append(self._text(stamp_lines(stamp), (pad, pad, right, text_top)))
        return commands


def stamp_style(stamp: Stamp) -> BaseStampStyle:
    """The pyHanko stamp style drawing `stamp` (checks its images and the font first, so a bad
    image is refused before anything is signed)."""
    signature = (
        load_image(stamp.signature_image, what=_("signature image"))
        if stamp.signature_image
        else None
    )
    seal = load_image(stamp.seal_image, what=_("seal image")) if stamp.seal_image else None
    return _StampStyle(
        border_width=0 if stamp.seal_only else 1,
        border_color=BORDER_COLOR,
        background=None,
        stamp=stamp,
        signature=signature,
        seal=seal,
        font_file="" if stamp.seal_only else font_path(),
    )


# --- Placement ----------------------------------------------------------------------------------


def _pages(reader: PdfFileReader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def page_box(reader: PdfFileReader, index: int) -> Box:
    """The visible rectangle (crop box, else media box) of the page at 0-based `index`."""
    page = reader.find_page_for_modification(index)[0].get_object()
    box = page.get("/CropBox") or _inherited(page, "/MediaBox")
    x1, y1, x2, y2 = (float(v) for v in box)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _inherited(node: Any, key: str) -> Any:
    while node is not None:
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return A4


def page_index(page: int, page_count: int) -> int:
    """0-based index of a page numbered from 1, or from the end when negative (-1: last)."""
    index = page - 1 if page > 0 else page_count + page
    if page == 0 or not 0 <= index < page_count:
        raise ValidationFailed(
            _("The document has %(count)d page(s); page %(page)d does not exist.")
            % {"count": page_count, "page": page}
        )
    return index


def default_personal_box(page: Box) -> Box:
    """Bottom right of the page, inside the usual margin (where Decree 30's layout puts the
    signer's block)."""
    _x1, y1, x2, _y2 = page
    right = x2 - DEFAULT_MARGIN
    bottom = y1 + DEFAULT_MARGIN
    return (right - DEFAULT_WIDTH, bottom, right, bottom + DEFAULT_HEIGHT)


def last_signature_widget(pdf: bytes) -> tuple[int, Box] | None:
    """(page number from 1, rectangle) of the newest visible signature in the PDF that is not a
    document time stamp: the personal signature the organization's seal goes over."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    references = {name: reference for name, _value, reference in enumerate_sig_fields(reader, True)}
    found: tuple[int, Box] | None = None
    for signature in reader.embedded_regular_signatures:
        reference = references.get(signature.field_name)
        field = signature.sig_field
        widget, widget_ref = field, reference
        if "/Rect" not in field and field.get("/Kids"):
            widget_ref = field["/Kids"][0]
            widget = widget_ref.get_object()
        rect = widget.get("/Rect")
        if rect is None:
            continue
        x1, y1, x2, y2 = (float(v) for v in rect)
        if abs(x2 - x1) < 1 or abs(y2 - y1) < 1:
            continue  # an invisible signature
        number = _page_number(
            reader, widget.get_value_as_reference("/P", optional=True), widget_ref
        )
        if number is not None:
            found = (number, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return found


def _page_number(reader: PdfFileReader, page_ref: Any, widget_ref: Any) -> int | None:
    """The page (from 1) the widget says it is on (/P), else the one listing it in /Annots."""
    widget = getattr(widget_ref, "reference", None)
    for index in range(_pages(reader)):
        page = reader.find_page_for_modification(index)[0]
        if page_ref is not None and page.reference == page_ref:
            return index + 1
        annotations = page.get_object().get("/Annots") or []
        if widget is not None and any(getattr(a, "reference", None) == widget for a in annotations):
            return index + 1
    return None


def placement_for(
    document_type: str, kind: str, *, pdf: bytes | None = None
) -> tuple[int, Box | None]:
    """(page, box) of the stamp of `kind` ("personal" or "seal") on a document of
    `document_type` (its code, e.g. "QĐ"): the type's own `StampPlacement`, else the row for
    every type (empty code), else the defaults — the personal signature at the bottom right of
    the last page; the seal over the left third of the personal signature already in `pdf`, or
    of where the personal placement puts it.

    The box is None when the default depends on a PDF that is not given: signing then
    computes it from the PDF it signs (`default_box`), so callers may pass it on as is."""
    rows = {
        (row.document_type, row.kind): row
        for row in StampPlacement.objects.filter(document_type__in=[document_type, ""])
    }

    def configured(wanted: str) -> tuple[int, Box] | None:
        row = rows.get((document_type, wanted)) or rows.get(("", wanted))
        if row is None:
            return None
        return row.page, (row.x, row.y, row.x + row.width, row.y + row.height)

    own = configured(kind)
    if own is not None:
        return own
    if kind == StampKind.SEAL:
        existing = last_signature_widget(pdf) if pdf is not None else None
        personal = existing or configured(StampKind.PERSONAL)
        if personal is not None:
            return personal[0], seal_box_over(personal[1])
    if pdf is None:
        return -1, None
    return -1, default_box(pdf, seal=kind == StampKind.SEAL)


def default_box(pdf: bytes, *, seal: bool = False, page: int = -1) -> Box:
    """The default rectangle of a stamp on `page` of `pdf`: bottom right for a personal
    signature; over the left third of the newest visible signature for a seal (or of where the
    personal default would be when there is none)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    index = page_index(page, _pages(reader))
    if seal:
        existing = last_signature_widget(pdf)
        if existing is not None:
            return seal_box_over(existing[1])
        return seal_box_over(default_personal_box(page_box(reader, index)))
    return default_personal_box(page_box(reader, index))
