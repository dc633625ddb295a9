"""The public verification page and API: anyone uploads a PDF and reads its report; nothing is
stored; uploads are limited in size and rate; wrong input gets a clear message, never a 500."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from secretariat.signing import pki
from secretariat.signing.tests.validation_pdfs import (
    SIGNED_TEXT,
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)

URL = "/signing/verify"
API = "/api/v1/signing/verify"


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> Any:
    """The rate limit counts in the (per-process) cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_pdf(make_user: Any) -> bytes:
    return sign(plain_pdf(), key_holder(personal_credential(make_user("nguyenvana"))))


def _upload(pdf: bytes, name: str = "quyet-dinh.pdf") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, pdf, content_type="application/pdf")}


def _rows() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _files() -> list[Path]:
    folder = Path(settings.FILES_DIR)
    return sorted(folder.rglob("*")) if folder.exists() else []


def test_the_page_is_public_and_ignores_unknown_parameters(db: Any) -> None:
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    for url in (URL, f"{URL}?doc=0192f0c4-8e0b-7cc3-a1a5-9c3f0e5d7a10&x=1"):
        page = anonymous.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert "Check a signed document" in body
        assert 'type="file"' in body
        assert "Log out" not in body  # the layout for visitors, without navigation


def test_a_visitor_checks_a_signed_pdf_and_nothing_is_kept(db: Any, signed_pdf: bytes) -> None:
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    anonymous.get(URL)  # the report of the authority's CRL of this minute is not our concern
    rows, files = _rows(), _files()
    page = anonymous.post(URL, _upload(signed_pdf))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Valid signature" in body
    assert re.search(
        r"Signed by Nguyễn Văn A \(Bí thư, Tỉnh ủy Lâm Đồng\) on \d\d/\d\d/\d{4} \d\d:\d\d, "
        r"timestamped;",
        body,
    )
    assert "the certificate chains to a trusted root and was not revoked;" in body
    assert "the document has not been changed since." in body
    assert "Result for “quyet-dinh.pdf”" in body
    assert "no-store" in page["Cache-Control"]
    # The ETSI report comes in the page itself, as a download.
    found = re.search(
        r'download="validation-report.xml" href="data:application/xml;base64,([^"]+)"', body
    )
    assert found is not None
    xml = ET.fromstring(base64.b64decode(found.group(1)))  # noqa: S314 - our own output
    assert xml.find(".//{http://uri.etsi.org/19102/v1.2.1#}MainIndication").text.endswith(  # type: ignore[union-attr]
        "total-passed"
    )
    # Nothing stored: no row in any table, no file, no session.
    assert _rows() == rows
    assert _files() == files
    assert "sessionid" not in page.cookies


def test_failures_are_explained_in_plain_words(db: Any, signed_pdf: bytes) -> None:
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    at = signed_pdf.index(SIGNED_TEXT)
    tampered = signed_pdf[:at] + b"Quyet dinh so 13" + signed_pdf[at + 16 :]
    body = anonymous.post(URL, _upload(tampered)).content.decode()
    assert "Invalid signature" in body
    assert "Why it is invalid:</strong> The signed content was altered after signing." in body
    assert "HASH_FAILURE" in body  # in the details

    unsigned = anonymous.post(URL, _upload(plain_pdf())).content.decode()
    assert "The document carries no digital signature." in unsigned


def test_a_revoked_certificate_is_said_so(make_user: Any) -> None:
    credential = personal_credential(make_user("nguyenvana"))
    pdf = sign(plain_pdf(), key_holder(credential), level="B-B")
    pki.revoke(actor=None, credential=credential)
    body = Client(HTTP_ACCEPT_LANGUAGE="en").post(URL, _upload(pdf)).content.decode()
    assert "Signature not confirmed" in body
    assert "but was revoked on" in body
    assert (
        "The certificate has been revoked and nothing proves the signature was made before" in body
    )


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (None, 400, "Choose a PDF file to check."),
        (b"", 400, "The file is empty."),
        (b"PK\x03\x04 not a pdf", 400, "The file is not a PDF."),
        (b"%PDF-1.7\n\x00\xff broken", 400, "cannot be read as a PDF"),
    ],
)
def test_wrong_input_gets_a_clear_message(
    db: Any, content: bytes | None, status: int, message: str
) -> None:
    def data() -> dict[str, Any]:
        return {} if content is None else _upload(content, "document.pdf")

    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = anonymous.post(URL, data())
    assert page.status_code == status
    assert message in page.content.decode()
    api = anonymous.post(API, data())
    assert api.status_code == status
    assert message in api.json()["message"]


def test_a_file_over_the_size_limit_is_refused(db: Any, settings: Any) -> None:
    settings.MAX_UPLOAD_MB = 1
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10)
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = anonymous.post(URL, _upload(big))
    assert page.status_code == 413
    assert "larger than 1 MB" in page.content.decode()
    api = anonymous.post(API, _upload(big))
    assert api.status_code == 413
    assert "larger than 1 MB" in api.json()["message"]


def test_the_rate_is_limited_per_client_address(db: Any, settings: Any) -> None:
    settings.SIGNING_VERIFY_PER_MINUTE = 2
    pdf = plain_pdf()
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.7")
    assert visitor.post(URL, _upload(pdf)).status_code == 200
    assert visitor.post(API, _upload(pdf)).status_code == 200  # page and API count together
    refused = visitor.post(URL, _upload(pdf))
    assert refused.status_code == 429
    assert "Too many checks from your address" in refused.content.decode()
    api = visitor.post(API, _upload(pdf))
    assert api.status_code == 429
    assert "Too many checks" in api.json()["message"]
    # Another address is not affected; reading the page is not counted.
    assert visitor.get(URL).status_code == 200
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.4")
    assert other.post(URL, _upload(pdf)).status_code == 200


def test_the_api_returns_the_report_and_keeps_nothing(db: Any, signed_pdf: bytes) -> None:
    anonymous = Client()
    anonymous.post(API, _upload(plain_pdf()))
    rows, files = _rows(), _files()
    answer = anonymous.post(API, _upload(signed_pdf))
    assert answer.status_code == 200
    report = answer.json()
    assert report["status"] == "passed"
    assert report["count"] == 1
    signature = report["signatures"][0]
    assert signature["signer"] == "Nguyễn Văn A"
    assert signature["indication"] == "TOTAL-PASSED"
    assert signature["sub_indication"] is None
    assert signature["intact"]
    assert signature["trusted"]
    assert not signature["modified_after_signing"]
    assert signature["signed_at"]["claimed"] is False
    assert _rows() == rows
    assert _files() == files
    assert anonymous.get(API).status_code == 405


def test_the_api_is_documented_as_public(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/signing/verify"]["post"]
    assert "security" not in operation or operation["security"] == []
    assert "multipart/form-data" in operation["requestBody"]["content"]


@pytest.fixture
def signed_file(transactional_db: Any, make_user: Any, tmp_path: Path) -> Path:
    # Signed before the browser starts: Playwright runs an event loop in the test's thread.
    path = tmp_path / "quyet-dinh.pdf"
    path.write_bytes(sign(plain_pdf(), key_holder(personal_credential(make_user("nguyenvana")))))
    return path


@pytest.mark.browser
def test_a_visitor_checks_a_pdf_in_a_browser(
    signed_file: Path, page: Any, live_server: Any, tmp_path: Path
) -> None:
    pdf = signed_file
    page.goto(f"{live_server.url}/signing/verify?doc=from-the-qr-code")
    page.set_input_files("input[type=file]", str(pdf))
    page.locator("#verify-form button[type=submit]").click()
    page.wait_for_selector("#verify-result")
    assert "Valid signature" in page.locator("#verify-result").inner_text()
    with page.expect_download() as download:
        page.get_by_text("Download the validation report (ETSI XML)").click()
    saved = tmp_path / "report.xml"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "validation-report.xml"
    root = ET.fromstring(saved.read_bytes())  # noqa: S314 - our own output
    assert root.tag == "{http://uri.etsi.org/19102/v1.2.1#}ValidationReport"
