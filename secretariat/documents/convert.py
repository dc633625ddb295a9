"""Conversion to PDF, the format documents are read, signed, searched and archived in.

Word-processor documents (DOCX, ODT) go through LibreOffice headless; scanned images through
Pillow (one page per image frame, at the scan's resolution). The original is always kept as
the version's `original`; the PDF made here becomes its `pdf`.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .detect import IMAGES, OFFICE, FileRefused, Kind

SOFFICE_TIMEOUT_SECONDS = 120
DEFAULT_DPI = 300


class ConversionFailed(FileRefused):
    """The file passed the checks but could not be turned into a PDF."""


def office_to_pdf(data: bytes, *, kind: Kind, name: str = "") -> bytes:
    """Convert a DOCX or ODT document with LibreOffice. Each call has its own user profile: two
    conversions sharing one would block on its lock file, or fail outright."""
    from django.conf import settings

    if kind not in OFFICE:
        raise ValueError(f"not an office document: {kind}")
    with tempfile.TemporaryDirectory(prefix="secretariat-soffice-") as work:
        base = Path(work)
        source = base / f"document.{kind.value}"
        source.write_bytes(data)
        out_dir = base / "out"
        profile = (base / "profile").as_uri()
        command = [
            str(settings.SOFFICE),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(out_dir),
            str(source),
        ]
        try:
            completed = subprocess.run(  # noqa: S603 - fixed program and arguments, no shell
                command,
                capture_output=True,
                timeout=SOFFICE_TIMEOUT_SECONDS,
                check=False,
                cwd=work,
            )
        except subprocess.TimeoutExpired as exc:
            raise ConversionFailed(
                _("Converting “%(name)s” to PDF took longer than %(seconds)s seconds.")
                % {"name": name, "seconds": SOFFICE_TIMEOUT_SECONDS}
            ) from exc
        except OSError as exc:
            raise ConversionFailed(
                _("The document converter (LibreOffice) is not available: %(error)s")
                % {"error": exc.strerror or str(exc)}
            ) from exc
        result = out_dir / "document.pdf"
        if completed.returncode != 0 or not result.exists() or result.stat().st_size == 0:
            raise ConversionFailed(
                _("The document “%(name)s” could not be converted to PDF.") % {"name": name}
            )
        return result.read_bytes()


def image_to_pdf(data: bytes, *, kind: Kind) -> bytes:
    """One PDF page per image frame, keeping the scan's resolution so OCR sees the real size
    of the letters (Tesseract is tuned for about 300 dpi)."""
    from PIL import Image, ImageSequence

    if kind not in IMAGES:
        raise ValueError(f"not an image: {kind}")
    with Image.open(io.BytesIO(data)) as image:
        dpi = image.info.get("dpi") or (DEFAULT_DPI, DEFAULT_DPI)
        resolution = float(dpi[0]) if dpi and float(dpi[0]) >= 72 else float(DEFAULT_DPI)
        frames = []
        for frame in ImageSequence.Iterator(image):
            # Pillow writes 1-bit and grey pages compactly; colour scans stay colour.
            mode = frame.mode if frame.mode in ("1", "L", "RGB") else "RGB"
            frames.append(frame.convert(mode))
    out = io.BytesIO()
    frames[0].save(out, "PDF", resolution=resolution, save_all=True, append_images=frames[1:])
    return out.getvalue()


def to_pdf(data: bytes, *, kind: Kind, name: str = "") -> bytes:
    """The PDF of any accepted file (a PDF is returned as it is)."""
    if kind is Kind.PDF:
        return data
    if kind in OFFICE:
        return office_to_pdf(data, kind=kind, name=name)
    return image_to_pdf(data, kind=kind)
