"""The signature check made as a file enters: signature fields counted until the signing
capability registers a validator through `documents.hooks`."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest
from reportlab.pdfgen import canvas

from secretariat.documents import hooks
from secretariat.documents.services import IncomingFile, document_capture
from secretariat.documents.signatures import FieldCounter, check_signatures


def _pdf(signers: list[str]) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Quyet dinh ve viec thu nghiem chu ky so, van ban co du noi dung.")
    page.showPage()
    page.save()
    pdf = pikepdf.open(io.BytesIO(buffer.getvalue()))
    fields = []
    for name in signers:
        value = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Sig, Name=name))
        fields.append(pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=name, V=value)))
    if fields:
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(fields))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_field_counter_reports_signature_fields_without_validating() -> None:
    assert FieldCounter().check(_pdf([])) == {"status": "unsigned", "signatures": 0, "signers": []}
    report = FieldCounter().check(_pdf(["Lê Minh Quang", "Văn phòng Tỉnh ủy"]))
    assert report["status"] == "not_validated"
    assert report["signatures"] == 2
    assert set(report["signers"]) == {"Lê Minh Quang", "Văn phòng Tỉnh ủy"}


class _Refusing:
    def check(self, pdf: bytes) -> dict[str, Any]:
        return {"status": "invalid", "signatures": 1, "signers": ["forged"], "reason": "digest"}


@pytest.fixture
def refusing_checker() -> Any:
    hooks.register_signature_checker(_Refusing())
    yield
    hooks.register_signature_checker(None)


def test_a_registered_checker_replaces_the_counter(refusing_checker: Any) -> None:
    assert check_signatures(_pdf(["x"]))["status"] == "invalid"


def test_capture_keeps_the_report_and_shows_it(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    clerk = make_user("clerk1", role="records_clerk", unit=tree["office"])
    document = document_capture(
        actor=clerk,
        unit=tree["office"],
        file=IncomingFile(name="signed.pdf", data=_pdf(["Lê Minh Quang"])),
        run_ocr="now",
    )
    version = document.versions.get()
    assert version.signature_check["signatures"] == 1
    page = client_for(clerk).get(f"/documents/{document.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "1 signature, not validated" in page.content.decode()
    assert "Lê Minh Quang" in page.content.decode()
