"""Benchmark: scanned pages through our capture pipeline against OCRmyPDF run directly.

Ours: `services.document_capture(..., run_ocr="now")`, as the `ingest` command runs it — type
check, text-layer probe, OCRmyPDF + Tesseract in process, text extraction, suggestions,
encrypted storage, database rows and the audit event. The baseline: the `ocrmypdf` command on
the same files with the same languages and output (PDF/A, internal PDF/A backend, skip-text).
Both run alternately, page by page, so drift hits both alike. The ratio is our cost per page
over the baseline's: target ≤ 1.15.

Scans are generated: A4 pages at 300 dpi rendered with Pillow (header, number, date, title,
subject, body), slightly rotated and speckled, saved as image-only PDFs; each page differs, so
nothing is deduplicated.

    python bench/capture_ocr.py [--pages N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import emit, setup_django


def make_scans(directory: Path, pages: int) -> list[Path]:
    from secretariat.documents.tests.factories import PARTY_DECISION, image_only_pdf, render_page

    paths = []
    for index in range(pages):
        content = dict(PARTY_DECISION)
        content["left"] = ["TỈNH ỦY LÂM ĐỒNG", "*", f"Số {125 + index}-QĐ/TU"]
        path = directory / f"scan-{index + 1}.pdf"
        path.write_bytes(image_only_pdf(render_page(content, seed=index, rotate=0.3)))
        paths.append(path)
    return paths


def run(pages: int, work: Path) -> None:
    from django.conf import settings

    from secretariat.documents import ocr, services
    from secretariat.documents.models import OcrStatus
    from secretariat.orgs.models import Unit

    unit = Unit.objects.add_root(
        create_kwargs={
            "name": "Tỉnh ủy Lâm Đồng",
            "kind": "provincial_committee",
            "code": "000.00.00.T68",
            "abbreviation": "TU",
        }
    )
    scans = make_scans(work, pages + 1)
    ocrmypdf = str(Path(sys.executable).parent / "ocrmypdf")
    baseline_command = [
        ocrmypdf,
        "--quiet",
        "--language",
        str(settings.OCR_LANGUAGES),
        "--output-type",
        "pdfa",
        "--pdfa-backend",
        "internal",
        "--skip-text",
        "--jobs",
        "1",
    ]

    def ours(path: Path) -> float:
        start = time.perf_counter()
        document = services.document_capture(
            actor=None,
            unit=unit,
            file=services.IncomingFile(name=path.name, data=path.read_bytes()),
            run_ocr="now",
        )
        elapsed = time.perf_counter() - start
        version = document.versions.get()
        if version.ocr_status != OcrStatus.DONE or "QUYẾT ĐỊNH" not in version.text:
            raise SystemExit(f"our pipeline did not read {path.name}: {version.ocr_error}")
        return elapsed

    def baseline(path: Path) -> float:
        out = work / f"{path.stem}.ocr.pdf"
        start = time.perf_counter()
        subprocess.run([*baseline_command, str(path), str(out)], check=True)
        elapsed = time.perf_counter() - start
        if "QUYẾT ĐỊNH" not in ocr.extract_text(out.read_bytes()):
            raise SystemExit(f"the baseline did not read {path.name}")
        return elapsed

    # Warm-up on a page of its own: Tesseract's language models, the OCRmyPDF plugins, the keys.
    ours(scans[0])
    baseline(scans[0])
    ours_total = base_total = 0.0
    for path in scans[1:]:
        ours_total += ours(path)
        base_total += baseline(path)
    emit(
        "capture_ocr",
        "pages_per_min",
        pages * 60 / ours_total,
        "pages/min",
        pages * 60 / base_total,
        ours_total / base_total,
        pages=pages,
        languages=str(settings.OCR_LANGUAGES),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3, help="single-page scans to capture (3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as data_dir:
        setup_django(data_dir)
        work = Path(data_dir) / "scans"
        work.mkdir()
        run(max(1, args.pages), work)


if __name__ == "__main__":
    main()
