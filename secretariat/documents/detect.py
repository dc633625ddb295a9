"""What a file really is, from its content (never its name), and whether it is usable.

Accepted: PDF, TIFF, PNG, JPEG (scans), DOCX and ODT (word-processor documents, converted to PDF).
Everything else, and every file that is empty, too large, damaged, protected by a password, or
named as something it is not, is refused with a message that says what is wrong, before
anything is stored.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.core.errors import ValidationFailed


class FileRefused(ValidationFailed):
    """A file the platform will not take; the message names the file and the reason."""

    def __init__(self, message: str | Promise, *, field: str = "file") -> None:
        super().__init__(message, field_errors={field: [message]})


class Kind(StrEnum):
    PDF = "pdf"
    TIFF = "tiff"
    PNG = "png"
    JPEG = "jpeg"
    DOCX = "docx"
    ODT = "odt"


CONTENT_TYPES: dict[Kind, str] = {
    Kind.PDF: "application/pdf",
    Kind.TIFF: "image/tiff",
    Kind.PNG: "image/png",
    Kind.JPEG: "image/jpeg",
    Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Kind.ODT: "application/vnd.oasis.opendocument.text",
}
LABELS: dict[Kind, Promise] = {
    Kind.PDF: _("a PDF document"),
    Kind.TIFF: _("a TIFF image"),
    Kind.PNG: _("a PNG image"),
    Kind.JPEG: _("a JPEG image"),
    Kind.DOCX: _("a Word document (DOCX)"),
    Kind.ODT: _("an OpenDocument text (ODT)"),
}
EXTENSIONS: dict[str, Kind] = {
    ".pdf": Kind.PDF,
    ".tif": Kind.TIFF,
    ".tiff": Kind.TIFF,
    ".png": Kind.PNG,
    ".jpg": Kind.JPEG,
    ".jpeg": Kind.JPEG,
    ".docx": Kind.DOCX,
    ".odt": Kind.ODT,
}
DECLARED_TYPES: dict[str, Kind] = {v: k for k, v in CONTENT_TYPES.items()} | {
    "image/jpg": Kind.JPEG,
    "image/pjpeg": Kind.JPEG,
    "image/x-png": Kind.PNG,
}
IMAGES = frozenset({Kind.TIFF, Kind.PNG, Kind.JPEG})
OFFICE = frozenset({Kind.DOCX, Kind.ODT})
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Decompressed size allowed for an office document, as a multiple of the upload limit: a zip
# bomb would otherwise fill the disk of the converter.
MAX_ZIP_EXPANSION = 20
ACCEPTED = _("PDF, TIFF, PNG, JPEG, DOCX or ODT")


@dataclass(frozen=True)
class Detected:
    kind: Kind
    content_type: str
    pages: int | None  # None for office documents: known after conversion


def max_upload_bytes() -> int:
    from django.conf import settings

    return int(settings.MAX_UPLOAD_MB) * 1024 * 1024


def _sniff(data: bytes) -> tuple[Kind | None, Promise | None]:
    """The kind of an accepted file, or (None, what it looks like) for a refused one."""
    head = data[:1024]
    if b"%PDF-" in head:
        return Kind.PDF, None
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return Kind.TIFF, None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG, None
    if data.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG, None
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if data.startswith(b"MZ"):
        return None, _("a Windows program")
    if data.startswith(b"\x7fELF"):
        return None, _("a program")
    if data.startswith((b"GIF87a", b"GIF89a")):
        return None, _("a GIF image")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return None, _("an old Microsoft Office file (DOC/XLS)")
    if data.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return None, _("a compressed archive")
    return None, None


def _sniff_zip(data: bytes) -> tuple[Kind | None, Promise | None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
                return Kind.ODT, None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return Kind.DOCX, None
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None, _("a damaged ZIP archive")
    return None, _("a ZIP archive")


def detect(data: bytes, *, name: str, declared_type: str = "") -> Detected:
    """Identify and check one file. Raises FileRefused with the reason; returns what it is."""
    name = PurePosixPath(name.replace("\\", "/")).name or "?"
    if not data:
        raise FileRefused(_("The file “%(name)s” is empty.") % {"name": name})
    limit = max_upload_bytes()
    if len(data) > limit:
        raise FileRefused(
            _("The file “%(name)s” is larger than the limit of %(limit)s MB.")
            % {"name": name, "limit": limit // (1024 * 1024)}
        )
    kind, looks_like = _sniff(data)
    extension = PurePosixPath(name).suffix.lower()
    named_as = EXTENSIONS.get(extension)
    if kind is None:
        if extension in (".docx", ".odt") and looks_like is not None:
            # The usual case of a renamed archive: say which document it fails to be.
            raise FileRefused(
                _(
                    "The file “%(name)s” is not a valid %(type)s document: its content is %(actual)s."
                )
                % {"name": name, "type": extension[1:].upper(), "actual": looks_like}
            )
        if looks_like is not None:
            raise FileRefused(
                _(
                    "The file “%(name)s” is %(actual)s, which is not accepted. "
                    "Accepted: %(accepted)s."
                )
                % {"name": name, "actual": looks_like, "accepted": ACCEPTED}
            )
        raise FileRefused(
            _("The type of the file “%(name)s” is not recognised. Accepted: %(accepted)s.")
            % {"name": name, "accepted": ACCEPTED}
        )
    if named_as is not None and named_as != kind:
        raise FileRefused(
            _("The file “%(name)s” is named as %(named)s but its content is %(actual)s.")
            % {"name": name, "named": LABELS[named_as], "actual": LABELS[kind]}
        )
    if extension and named_as is None:
        raise FileRefused(
            _("Files named “%(extension)s” are not accepted (“%(name)s”). Accepted: %(accepted)s.")
            % {"extension": extension, "name": name, "accepted": ACCEPTED}
        )
    declared = DECLARED_TYPES.get(declared_type.split(";")[0].strip().lower())
    if declared is not None and declared != kind:
        raise FileRefused(
            _("The file “%(name)s” was sent as %(named)s but its content is %(actual)s.")
            % {"name": name, "named": LABELS[declared], "actual": LABELS[kind]}
        )
    if kind is Kind.PDF:
        pages: int | None = _check_pdf(data, name)
    elif kind in IMAGES:
        pages = _check_image(data, name, kind)
    else:
        _check_office(data, name, kind, limit)
        pages = None
    return Detected(kind=kind, content_type=CONTENT_TYPES[kind], pages=pages)


def _damaged(name: str, kind: Kind) -> FileRefused:
    return FileRefused(
        _("The file “%(name)s” is damaged or incomplete: it cannot be read as %(type)s.")
        % {"name": name, "type": LABELS[kind]}
    )


def _check_pdf(data: bytes, name: str) -> int:
    import pikepdf

    # pikepdf (qpdf) silently repairs a truncated file; a PDF always ends with %%EOF, so a
    # missing one means the upload or the scan was cut short.
    if b"%%EOF" not in data[-2048:]:
        raise _damaged(name, Kind.PDF)
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
    except pikepdf.PasswordError as exc:
        raise FileRefused(
            _(
                "The file “%(name)s” is protected by a password. Remove the protection and "
                "upload it again."
            )
            % {"name": name}
        ) from exc
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise _damaged(name, Kind.PDF) from exc
    if pages < 1:
        raise _damaged(name, Kind.PDF)
    return pages


def _check_image(data: bytes, name: str, kind: Kind) -> int:
    from PIL import Image, ImageSequence

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                pages = 0
                # Decode every frame fully: a truncated scan opens fine and fails only here.
                for frame in ImageSequence.Iterator(image):
                    frame.load()
                    pages += 1
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FileRefused(
            _("The image “%(name)s” has too many pixels to be a scanned page.") % {"name": name}
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged(name, kind) from exc
    return max(pages, 1)


def _check_office(data: bytes, name: str, kind: Kind, limit: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > limit * MAX_ZIP_EXPANSION:
                raise FileRefused(
                    _("The document “%(name)s” expands to too much data.") % {"name": name}
                )
            if archive.testzip() is not None:
                raise _damaged(name, kind)
            main = "word/document.xml" if kind is Kind.DOCX else "content.xml"
            body = archive.read(main)[:4096]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise _damaged(name, kind) from exc
    marker = b"<w:document" if kind is Kind.DOCX else b"office:document-content"
    if marker not in body:
        raise FileRefused(
            _("The file “%(name)s” is not a valid %(type)s document: its main part is missing.")
            % {"name": name, "type": kind.value.upper()}
        )
