"""The ETSI TS 119 102-2 XML validation report: it parses, uses the standard's namespace and
structure, and carries the verdict and the facts of each signature."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import Any

from secretariat.signing import etsi
from secretariat.signing.tests.validation_pdfs import (
    SIGNED_TEXT,
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)
from secretariat.signing.validation import Report, validate

NS = {"vr": "http://uri.etsi.org/19102/v1.2.1#", "ds": "http://www.w3.org/2000/09/xmldsig#"}


def _parse(xml: bytes) -> ET.Element:
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(xml)  # noqa: S314 - our own output
    assert root.tag == "{http://uri.etsi.org/19102/v1.2.1#}ValidationReport"
    return root


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path, NS)
    assert found is not None, path
    return found.text or ""


def test_a_passed_signature_in_the_etsi_report(make_user: Any) -> None:
    credential = personal_credential(make_user("nguyenvana"))
    report = validate(sign(plain_pdf(), key_holder(credential)))
    signature = report.signatures[0]
    root = _parse(report.etsi_xml())

    reports = root.findall("vr:SignatureValidationReport", NS)
    assert len(reports) == 1
    one = reports[0]
    # The order of the standard's sequence.
    assert [child.tag.split("}")[1] for child in one] == [
        "SignatureIdentifier",
        "ValidationTimeInfo",
        "SignersDocument",
        "SignatureAttributes",
        "SignerInformation",
        "SignatureValidationProcess",
        "SignatureValidationStatus",
    ]
    status = one.find("vr:SignatureValidationStatus", NS)
    assert status is not None
    assert _text(status, "vr:MainIndication") == "urn:etsi:019102:mainindication:total-passed"
    assert status.find("vr:SubIndication", NS) is None
    assert (
        _text(one, "vr:SignerInformation/vr:Signer")
        == "CN=Nguyễn Văn A,title=Bí thư,O=Tỉnh ủy Lâm Đồng,C=VN"
    )
    assert "Nguyễn Văn A" in _text(one, "vr:SignerInformation/vr:Signer")
    assert _text(one, "vr:SignatureIdentifier/vr:DAIdentifier") == "Signature1"
    assert _text(one, "vr:SignatureIdentifier/vr:HashOnly") == "false"
    assert (
        _text(one, "vr:SignatureValidationProcess/vr:SignatureValidationProcessID")
        == "urn:etsi:019102:validationprocess:LTVM"
    )
    # Best signature time: the time stamp's; the signer's claimed time as an attribute.
    timestamp = signature.timestamp
    assert timestamp is not None
    assert _text(one, "vr:ValidationTimeInfo/vr:BestSignatureTime/vr:POETime").startswith(
        timestamp["time"][:19]
    )
    assert _text(one, "vr:SignatureAttributes/vr:SignatureTimeStamp/vr:TimeStampValue").startswith(
        timestamp["time"][:19]
    )
    assert one.find("vr:SignatureAttributes/vr:SigningTime/vr:Time", NS) is not None
    assert (
        _text(one, "vr:SignatureAttributes/vr:SubFilter/vr:SubFilterElement")
        == "ETSI.CAdES.detached"
    )
    # The signed document's digest is the one the signature covers.
    digest = _text(one, "vr:SignersDocument/vr:DigestAlgAndValue/ds:DigestValue")
    assert base64.b64decode(digest).hex() == signature.details["signed_data_digest"]
    # Signer certificate and trust anchor are validation objects, referenced by id.
    reference = one.find("vr:SignerInformation/vr:SignerCertificate", NS)
    assert reference is not None
    signer_vo = reference.get("VOReference")
    assert signer_vo == f"vo-certificate-{credential.fingerprint}"
    chain = status.find("vr:AssociatedValidationReportData/vr:CertificateChain", NS)
    assert chain is not None
    anchor = chain.find("vr:TrustAnchor", NS)
    assert anchor is not None
    ids = [
        vo.get("id") for vo in root.findall("vr:SignatureValidationObjects/vr:ValidationObject", NS)
    ]
    assert signer_vo in ids
    assert anchor.get("VOReference") in ids
    first = root.find("vr:SignatureValidationObjects/vr:ValidationObject", NS)
    assert first is not None
    assert _text(first, "vr:ObjectType") == "urn:etsi:019102:validationObject:certificate"


def test_a_failed_and_a_revoked_signature_in_the_etsi_report(make_user: Any) -> None:
    from secretariat.signing import pki

    credential = personal_credential(make_user("nguyenvana"))
    signed = sign(plain_pdf(), key_holder(credential), level="B-B")
    at = signed.index(SIGNED_TEXT)
    tampered = validate(signed[:at] + b"Quyet dinh so 13" + signed[at + 16 :])
    root = _parse(tampered.etsi_xml())
    status = root.find("vr:SignatureValidationReport/vr:SignatureValidationStatus", NS)
    assert status is not None
    assert _text(status, "vr:MainIndication") == "urn:etsi:019102:mainindication:total-failed"
    assert _text(status, "vr:SubIndication") == "urn:etsi:019102:subindication:HASH_FAILURE"

    pki.revoke(actor=None, credential=credential, reason="key_compromise")
    revoked = validate(signed)
    root = _parse(revoked.etsi_xml())
    status = root.find("vr:SignatureValidationReport/vr:SignatureValidationStatus", NS)
    assert status is not None
    assert _text(status, "vr:MainIndication") == "urn:etsi:019102:mainindication:indeterminate"
    assert _text(status, "vr:SubIndication") == "urn:etsi:019102:subindication:REVOKED_NO_POE"
    info = status.find("vr:AssociatedValidationReportData/vr:RevocationStatusInformation", NS)
    assert info is not None
    assert _text(info, "vr:RevocationReason") == "key_compromise"
    assert _text(info, "vr:RevocationTime").endswith("Z")


def test_the_report_renders_from_its_stored_form_and_for_an_unsigned_file(db: Any) -> None:
    unsigned = validate(plain_pdf())
    root = _parse(unsigned.etsi_xml())
    assert root.findall("vr:SignatureValidationReport", NS) == []
    # Anything the apps stored renders again, even a report written by an older version.
    root = _parse(
        etsi.render(
            {
                "signatures": [
                    {
                        "field_name": "Sig",
                        "indication": "TOTAL-FAILED",
                        "sub_indication": "FORMAT_FAILURE",
                    }
                ]
            }
        )
    )
    assert (
        _text(root, "vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:SubIndication")
        == "urn:etsi:019102:subindication:FORMAT_FAILURE"
    )
    assert Report.from_dict({}).etsi_xml().startswith(b"<?xml")
