"""The signature check made as a file enters (Decree 30 Art. 21.2): the signing app's validation
report kept with the version, as JSON and as an ETSI XML report, shown on the document's page,
the XML downloadable by whoever may read the document."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import pikepdf
from reportlab.pdfgen import canvas

from secretariat.documents.models import DocumentVersion
from secretariat.documents.services import IncomingFile, document_capture
from secretariat.documents.signatures import check_signatures, report_xml
from secretariat.signing.tests.validation_pdfs import (
    SIGNED_TEXT,
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)

VR = "{http://uri.etsi.org/19102/v1.2.1#}"


def _pdf_with_empty_signature_fields(signers: list[str]) -> bytes:
    """Signature fields whose value names a signer but holds no signature at all."""
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
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(fields))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _capture(clerk: Any, unit: Any, pdf: bytes, name: str = "signed.pdf") -> Any:
    return document_capture(
        actor=clerk, unit=unit, file=IncomingFile(name=name, data=pdf), run_ocr="now"
    )


def test_a_signed_document_keeps_its_report_and_shows_it(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    clerk = make_user("clerk1", role="records_clerk", unit=tree["office"])
    signed = sign(plain_pdf(), key_holder(personal_credential(make_user("nguyenvana"))))
    document = _capture(clerk, tree["office"], signed)
    version = document.versions.get()
    assert version.signature_check["status"] == "passed"
    assert version.signature_check["count"] == 1
    [signature] = version.signature_check["signatures"]
    assert signature["signer"] == "Nguyễn Văn A"
    assert signature["indication"] == "TOTAL-PASSED"
    # The ETSI report is stored with the version as it was issued.
    root = ET.fromstring(version.signature_report_xml)  # noqa: S314 - our own report
    assert root.find(f".//{VR}MainIndication").text.endswith("total-passed")  # type: ignore[union-attr]

    page = client_for(clerk).get(f"/documents/{document.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert "1 valid signature" in body
    assert "Signed by Nguyễn Văn A (Bí thư, Tỉnh ủy Lâm Đồng) on" in body
    assert "the document has not been changed since." in body
    url = f"/documents/{document.pk}/versions/1/signature-report.xml"
    assert url in body

    download = client_for(clerk).get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    assert 'filename="signature-report-v1.xml"' in download["Content-Disposition"]
    assert download.content.decode() == version.signature_report_xml


def test_the_xml_report_is_only_for_who_may_read_the_document(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    clerk = make_user("clerk1", role="records_clerk", unit=tree["office"])
    outsider = make_user("outsider", role="records_clerk", unit=tree["commune_b"])
    signed = sign(plain_pdf(), key_holder(personal_credential(make_user("nguyenvana"))))
    document = _capture(clerk, tree["office"], signed)
    url = f"/documents/{document.pk}/versions/1/signature-report.xml"
    assert client_for(outsider).get(url).status_code == 404
    assert (
        client_for(clerk)
        .get(f"/documents/{document.pk}/versions/9/signature-report.xml")
        .status_code
        == 404
    )
    assert client_for(clerk).post(url).status_code == 405


def test_a_changed_signed_document_is_captured_with_a_failed_verdict(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    clerk = make_user("clerk1", role="records_clerk", unit=tree["office"])
    signed = sign(plain_pdf(), key_holder(personal_credential(make_user("nguyenvana"))))
    at = signed.index(SIGNED_TEXT)
    tampered = signed[:at] + b"Quyet dinh so 13" + signed[at + 16 :]
    document = _capture(clerk, tree["office"], tampered)
    version = document.versions.get()
    assert version.signature_check["status"] == "failed"
    assert version.signature_check["signatures"][0]["sub_indication"] == "HASH_FAILURE"
    body = client_for(clerk).get(f"/documents/{document.pk}/").content.decode()
    assert "invalid signature" in body
    assert "The signed content was altered after signing." in body


def test_a_broken_signature_never_loses_the_document(tree: dict[str, Any], make_user: Any) -> None:
    clerk = make_user("clerk1", role="records_clerk", unit=tree["office"])
    pdf = _pdf_with_empty_signature_fields(["Lê Minh Quang", "Văn phòng Tỉnh ủy"])
    report = check_signatures(pdf)
    assert report["status"] == "failed"
    assert [s["sub_indication"] for s in report["signatures"]] == ["FORMAT_FAILURE"] * 2
    document = _capture(clerk, tree["office"], pdf, "broken.pdf")
    version = document.versions.get()
    assert version.signature_check["status"] == "failed"
    assert version.signature_report_xml  # the failure is reported in the XML too


def test_an_unsigned_document_has_no_report(tree: dict[str, Any], make_user: Any) -> None:
    clerk = make_user("clerk1", role="records_clerk", unit=tree["office"])
    document = _capture(clerk, tree["office"], plain_pdf(), "unsigned.pdf")
    version = document.versions.get()
    assert version.signature_check["status"] == "unsigned"
    assert version.signature_report_xml == ""


def test_reports_of_the_field_counter_era_are_shown_without_xml(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    """Versions checked before validation existed kept `{"status": "not_validated",
    "signatures": <count>}`: their page still renders."""
    clerk = make_user("clerk1", role="records_clerk", unit=tree["office"])
    document = _capture(clerk, tree["office"], plain_pdf(), "old.pdf")
    legacy = {"status": "not_validated", "signatures": 1, "signers": ["Lê Minh Quang"]}
    DocumentVersion.objects.filter(document=document).update(signature_check=legacy)
    assert report_xml(legacy) == ""
    page = client_for(clerk).get(f"/documents/{document.pk}/")
    assert page.status_code == 200
