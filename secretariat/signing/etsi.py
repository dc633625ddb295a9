"""The validation report as XML, in the structure of ETSI TS 119 102-2 (v1.2.1): one
`SignatureValidationReport` per signature with its identifier, validation time and best
signature time, signer's document digest, signature attributes, signer, validation process and
status (main indication and sub-indication URIs, with the certificate chain and revocation facts
as associated report data), then the validation objects (certificates, by digest).

Rendered from the JSON form of `validation.Report` (`Report.to_dict()`), which is what the apps
above store, so a stored report can always be rendered again. Plain `xml.etree`: the report is
built, never parsed from outside input here.
"""

from __future__ import annotations

import base64
import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

VR = "http://uri.etsi.org/19102/v1.2.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
ET.register_namespace("vr", VR)
ET.register_namespace("ds", DS)
ET.register_namespace("XAdES", XADES)

MAIN_INDICATION = {
    "TOTAL-PASSED": "urn:etsi:019102:mainindication:total-passed",
    "TOTAL-FAILED": "urn:etsi:019102:mainindication:total-failed",
    "INDETERMINATE": "urn:etsi:019102:mainindication:indeterminate",
}
SUB_INDICATION = "urn:etsi:019102:subindication:{}"
PROCESS = "urn:etsi:019102:validationprocess:{}"
CERTIFICATE_OBJECT = "urn:etsi:019102:validationObject:certificate"
POE_VALIDATION = "urn:etsi:019102:poetype:validation"
DIGEST_URIS = {
    "sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
    "sha224": "http://www.w3.org/2001/04/xmldsig-more#sha224",
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
}


def _vr(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{VR}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _digest(parent: ET.Element, name: str, algorithm: str, hex_value: str) -> None:
    holder = _vr(parent, name)
    ET.SubElement(
        holder, f"{{{DS}}}DigestMethod", {"Algorithm": DIGEST_URIS.get(algorithm, algorithm)}
    )
    ET.SubElement(holder, f"{{{DS}}}DigestValue").text = _b64(hex_value)


def _b64(hex_value: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(hex_value)).decode("ascii")
    except ValueError:
        return ""


def _time(value: str | None) -> str:
    """xs:dateTime in UTC with a Z."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _vo_id(fingerprint: str) -> str:
    return f"vo-certificate-{fingerprint}"


def render(report: dict[str, Any]) -> bytes:
    """The XML validation report of a `Report.to_dict()`; UTF-8 with its declaration."""
    root = ET.Element(f"{{{VR}}}ValidationReport")
    objects: dict[str, str] = {}  # validation object id -> certificate SHA-256 (hex)
    validated_at = _time(report.get("validated_at")) or _time(dt.datetime.now(dt.UTC).isoformat())
    for number, signature in enumerate(report.get("signatures") or [], start=1):
        _signature_report(root, signature, number, validated_at, objects)
    if objects:
        holder = _vr(root, "SignatureValidationObjects")
        for identifier, fingerprint in objects.items():
            item = _vr(holder, "ValidationObject", id=identifier)
            _vr(item, "ObjectType", CERTIFICATE_OBJECT)
            representation = _vr(item, "ValidationObjectRepresentation")
            _digest(representation, "DigestAlgAndValue", "sha256", fingerprint)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _signature_report(
    root: ET.Element,
    signature: dict[str, Any],
    number: int,
    validated_at: str,
    objects: dict[str, str],
) -> None:
    details = signature.get("details") or {}
    algorithm = str(details.get("digest_algorithm") or "sha256")
    report = _vr(root, "SignatureValidationReport")

    identifier = _vr(report, "SignatureIdentifier", id=f"sig-{number}")
    if details.get("signed_attributes_digest"):
        _digest(identifier, "DigestAlgAndValue", algorithm, details["signed_attributes_digest"])
    _vr(identifier, "HashOnly", "false")
    _vr(identifier, "DocHashOnly", "false")
    _vr(identifier, "DAIdentifier", str(signature.get("field_name") or ""))

    time_info = _vr(report, "ValidationTimeInfo")
    _vr(time_info, "ValidationTime", validated_at)
    best = _vr(time_info, "BestSignatureTime")
    # EN 319 102-1: without a proof of existence, the best signature time is the current time.
    _vr(best, "POETime", _time(details.get("best_signature_time")) or validated_at)
    _vr(best, "TypeOfProof", POE_VALIDATION)

    if details.get("signed_data_digest"):
        document = _vr(report, "SignersDocument")
        _digest(document, "DigestAlgAndValue", algorithm, details["signed_data_digest"])

    _attributes(report, signature, details)

    certificate = signature.get("certificate") or {}
    fingerprint = str(certificate.get("fingerprint_sha256") or "")
    if fingerprint:
        objects[_vo_id(fingerprint)] = fingerprint
        signer = _vr(report, "SignerInformation", Pseudonym="false")
        _vr(signer, "SignerCertificate", VOReference=_vo_id(fingerprint))
        _vr(signer, "Signer", str(certificate.get("subject") or signature.get("signer") or ""))

    process = _vr(report, "SignatureValidationProcess")
    _vr(
        process,
        "SignatureValidationProcessID",
        PROCESS.format(details.get("process") or "Basic"),
    )

    status = _vr(report, "SignatureValidationStatus")
    indication = str(signature.get("indication") or "INDETERMINATE")
    _vr(status, "MainIndication", MAIN_INDICATION.get(indication, MAIN_INDICATION["INDETERMINATE"]))
    if signature.get("sub_indication"):
        _vr(status, "SubIndication", SUB_INDICATION.format(signature["sub_indication"]))
    _associated_data(status, signature, fingerprint, objects)


def _attributes(report: ET.Element, signature: dict[str, Any], details: dict[str, Any]) -> None:
    attributes = _vr(report, "SignatureAttributes")
    if details.get("claimed_signing_time"):
        holder = _vr(attributes, "SigningTime", Signed="true")
        _vr(holder, "Time", _time(details["claimed_signing_time"]))
    timestamp = signature.get("timestamp") or {}
    if timestamp.get("time"):
        holder = _vr(attributes, "SignatureTimeStamp", Signed="false")
        _vr(holder, "TimeStampValue", _time(timestamp["time"]))
    declared = signature.get("declared") or {}
    if declared.get("reason"):
        holder = _vr(attributes, "Reason", Signed="true")
        _vr(holder, "ReasonElement", declared["reason"])
    if declared.get("name"):
        holder = _vr(attributes, "Name", Signed="true")
        _vr(holder, "NameElement", declared["name"])
    if declared.get("contact"):
        holder = _vr(attributes, "ContactInfo", Signed="true")
        _vr(holder, "ContactInfoElement", declared["contact"])
    if details.get("sub_filter"):
        holder = _vr(attributes, "SubFilter", Signed="true")
        _vr(holder, "SubFilterElement", str(details["sub_filter"]))
    if details.get("byte_range"):
        _vr(attributes, "ByteRange", " ".join(str(int(x)) for x in details["byte_range"]))


def _associated_data(
    status: ET.Element, signature: dict[str, Any], fingerprint: str, objects: dict[str, str]
) -> None:
    anchor = signature.get("trust_anchor") or {}
    revocation = signature.get("revocation") or {}
    if not fingerprint and not anchor:
        return
    data = _vr(status, "AssociatedValidationReportData")
    anchor_fingerprint = str(anchor.get("fingerprint_sha256") or "")
    if anchor_fingerprint:
        objects[_vo_id(anchor_fingerprint)] = anchor_fingerprint
        _vr(data, "TrustAnchor", VOReference=_vo_id(anchor_fingerprint))
    if fingerprint:
        chain = _vr(data, "CertificateChain")
        _vr(chain, "SigningCertificate", VOReference=_vo_id(fingerprint))
        if anchor_fingerprint:
            _vr(chain, "TrustAnchor", VOReference=_vo_id(anchor_fingerprint))
    if fingerprint and revocation.get("status") == "revoked" and revocation.get("revoked_at"):
        info = _vr(data, "RevocationStatusInformation")
        _vr(info, "ValidationObjectId", VOReference=_vo_id(fingerprint))
        _vr(info, "RevocationTime", _time(revocation["revoked_at"]))
        if revocation.get("reason"):
            _vr(info, "RevocationReason", str(revocation["reason"]))
