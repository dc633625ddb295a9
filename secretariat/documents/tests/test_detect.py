"""Type detection from content and refusal of every kind of bad file, with its message."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from secretariat.documents import detect
from secretariat.documents.detect import FileRefused, Kind

from .factories import minimal_docx, password_pdf, plain_zip, text_pdf


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 200).save(out, "PNG")
    return out.getvalue()


def _tiff_two_pages() -> bytes:
    out = io.BytesIO()
    first, second = Image.new("L", (50, 50), 255), Image.new("L", (50, 50), 0)
    first.save(out, "TIFF", save_all=True, append_images=[second])
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


def _odt() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        )
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind", "pages"),
    [
        ("a.pdf", text_pdf(["Báo cáo"], pages=2), Kind.PDF, 2),
        ("scan.tif", _tiff_two_pages(), Kind.TIFF, 2),
        ("scan.png", _png(), Kind.PNG, 1),
        ("scan.jpg", _jpeg(), Kind.JPEG, 1),
        ("to-trinh.docx", minimal_docx(["Tờ trình"]), Kind.DOCX, None),
        ("cong-van.odt", _odt(), Kind.ODT, None),
        ("no-extension", _png(), Kind.PNG, 1),
    ],
)
def test_accepted_kinds(name: str, data: bytes, kind: Kind, pages: int | None) -> None:
    found = detect.detect(data, name=name)
    assert (found.kind, found.pages) == (kind, pages)
    assert found.content_type == detect.CONTENT_TYPES[kind]


def _refused(data: bytes, name: str, declared: str = "") -> str:
    with pytest.raises(FileRefused) as info:
        detect.detect(data, name=name, declared_type=declared)
    return str(info.value.message)


def test_empty() -> None:
    assert _refused(b"", "empty.pdf") == "The file “empty.pdf” is empty."


def test_over_the_size_limit(settings: Any) -> None:
    settings.MAX_UPLOAD_MB = 1
    data = text_pdf(["x"]) + b"\n" * (1024 * 1024)
    assert "larger than the limit of 1 MB" in _refused(data, "big.pdf")


def test_png_named_pdf_says_what_it_is() -> None:
    message = _refused(_png(), "scan.pdf")
    assert (
        message == "The file “scan.pdf” is named as a PDF document but its content is a PNG image."
    )


def test_declared_type_must_match() -> None:
    message = _refused(_png(), "scan", declared="application/pdf")
    assert "sent as a PDF document but its content is a PNG image" in message


def test_truncated_pdf() -> None:
    data = text_pdf(["Quyết định"])
    assert "damaged or incomplete" in _refused(data[: len(data) // 2], "cut.pdf")


def test_pdf_garbage_after_header() -> None:
    assert "damaged or incomplete" in _refused(
        b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"%%EOF", "x.pdf"
    )


def test_corrupt_png() -> None:
    data = _png((400, 300))
    assert "damaged or incomplete" in _refused(data[: len(data) - 30], "scan.png")


def test_password_pdf() -> None:
    assert "protected by a password" in _refused(password_pdf(), "mat-khau.pdf")


def test_windows_program() -> None:
    message = _refused(b"MZ\x90\x00" + b"\x00" * 200, "setup.exe")
    assert message.startswith("The file “setup.exe” is a Windows program, which is not accepted.")


def test_zip_junk() -> None:
    assert "is a ZIP archive, which is not accepted" in _refused(plain_zip(), "data.zip")


def test_unknown_bytes() -> None:
    assert "is not recognised" in _refused(b"just some text\n", "notes.txt")


def test_docx_that_is_a_renamed_zip() -> None:
    message = _refused(plain_zip(), "bao-cao.docx")
    assert message == (
        "The file “bao-cao.docx” is not a valid DOCX document: its content is a ZIP archive."
    )


def test_pdf_with_a_disallowed_extension() -> None:
    assert "Files named “.exe” are not accepted" in _refused(text_pdf(["x"]), "x.exe")
