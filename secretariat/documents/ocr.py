"""Text of a PDF: read from its text layer (pdftotext, poppler), or recognised with OCRmyPDF and
Tesseract (languages from OCR_LANGUAGES) into a searchable PDF/A when it has none (a scan).

OCR costs about 4 CPU-seconds a page (MEASURED.md), so the web flow runs it in a background task
(`tasks.py`); the `ingest` command runs it in the foreground.
"""

from __future__ import annotations

import io
import logging
import subprocess
import tempfile
import threading
import unicodedata
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from secretariat.core.errors import DomainError

log = logging.getLogger(__name__)

PDFTOTEXT_TIMEOUT_SECONDS = 60
# A page with fewer visible characters than this is treated as a scan: scanners and some
# printers add a stray page number or a blank text object to image-only pages.
MIN_TEXT_CHARS_PER_DOCUMENT = 16
# OCRmyPDF's plugin manager keeps process-global state; one job at a time per process keeps
# the Huey worker and a management command predictable. Parallelism comes from more workers.
_ocr_lock = threading.Lock()


class OcrFailed(DomainError):
    status = 422


def normalise(text: str) -> str:
    """NFC: Vietnamese letters as one code point each (ệ, not e + ̣ + ̂), as users type them,
    so that search and suggestions compare like with like. Form feeds between pages are kept:
    suggestions read the first page only."""
    return unicodedata.normalize("NFC", text).strip()


def extract_text(pdf: bytes) -> str:
    """The text layer of a PDF, laid out as on the page (`pdftotext -layout`), NFC."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        try:
            completed = subprocess.run(  # noqa: S603 - fixed program, no shell
                ["pdftotext", "-layout", "-enc", "UTF-8", handle.name, "-"],  # noqa: S607
                capture_output=True,
                timeout=PDFTOTEXT_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OcrFailed(
                _("The text of the PDF could not be read: %(error)s") % {"error": exc}
            ) from exc
    if completed.returncode != 0:
        return ""
    return normalise(completed.stdout.decode("utf-8", "replace"))


def has_text_layer(pdf: bytes) -> bool:
    return len("".join(extract_text(pdf).split())) >= MIN_TEXT_CHARS_PER_DOCUMENT


def page_count(pdf: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def languages() -> list[str]:
    from django.conf import settings

    return [code for code in str(settings.OCR_LANGUAGES).split("+") if code]


def ocr_pdf(pdf: bytes, *, jobs: int = 1) -> bytes:
    """Recognise the text of a scanned PDF; the searchable PDF/A (images kept, text underneath).

    Pages that already carry text are left alone (`skip_text`). PDF/A is made by OCRmyPDF's
    internal (pikepdf) backend: the Debian Ghostscript 10.0 has known regressions that corrupt
    text when pages are skipped, and OCRmyPDF refuses that combination."""
    import ocrmypdf

    with tempfile.TemporaryDirectory(prefix="secretariat-ocr-") as work:
        source, target = Path(work) / "in.pdf", Path(work) / "out.pdf"
        source.write_bytes(pdf)
        try:
            with _ocr_lock:
                ocrmypdf.ocr(
                    source,
                    target,
                    language=languages(),
                    output_type="pdfa",
                    pdfa_backend="internal",
                    skip_text=True,
                    jobs=jobs,
                    progress_bar=False,
                )
        except ocrmypdf.exceptions.ExitCodeException as exc:
            log.warning("OCR failed: %s", exc)
            raise OcrFailed(
                _("Text recognition failed: %(error)s") % {"error": str(exc) or type(exc).__name__}
            ) from exc
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("OCR failed: %s", exc)
            raise OcrFailed(_("Text recognition failed: %(error)s") % {"error": exc}) from exc
        return target.read_bytes()
