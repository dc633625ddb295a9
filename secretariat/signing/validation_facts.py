"""The facts a validation report states about one signature, read from pyHanko's objects:
the certificate and its chain, revocation (and where the data came from), the time stamp, the
signing time, what the signer declared; and the validation data a PDF carries.

Every function here reads; none decides a verdict (that is `validation`)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from asn1crypto import cms, crl, ocsp
from asn1crypto import pdf as asn1_pdf
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info, find_unique_cms_attribute
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import LocalKnowledge
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.ltv.poe import ValidationObject, ValidationObjectType
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

log = logging.getLogger(__name__)


# --- Validation data in the file -------------------------------------------------------------


def dss_knowledge(reader: PdfFileReader) -> LocalKnowledge:
    """Certificates and revocation data in the document security store (PAdES B-LT)."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return LocalKnowledge()
    except Exception as error:
        log.info("document security store unreadable: %s", error)
        return LocalKnowledge()
    ocsps: list[OCSPContainer] = []
    crls: list[CRLContainer] = []
    for item in dss.ocsps:
        try:
            ocsps.extend(OCSPContainer.load_multi(ocsp.OCSPResponse.load(item.get_object().data)))
        except Exception as error:
            log.info("unreadable OCSP response in the security store: %s", error)
    for item in dss.crls:
        try:
            crls.append(CRLContainer(crl.CertificateList.load(item.get_object().data)))
        except Exception as error:
            log.info("unreadable CRL in the security store: %s", error)
    try:
        certs = list(dss.load_certs())
    except Exception:
        certs = []
    return LocalKnowledge(known_ocsps=ocsps, known_crls=crls, known_certs=certs)


def archived_knowledge(signature: EmbeddedPdfSignature) -> LocalKnowledge:
    """Revocation data Adobe-style signers put in the signed attributes."""
    try:
        archival: asn1_pdf.RevocationInfoArchival = find_unique_cms_attribute(
            signature.signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
        return LocalKnowledge(
            known_crls=[CRLContainer(c) for c in archival["crl"]],
            known_ocsps=[OCSPContainer(o) for o in archival["ocsp"]],
        )
    except Exception:
        return LocalKnowledge()


def merge(*parts: LocalKnowledge) -> LocalKnowledge:
    return LocalKnowledge(
        known_ocsps=[o for p in parts for o in p.known_ocsps],
        known_crls=[c for p in parts for c in p.known_crls],
        known_certs=[c for p in parts for c in p.known_certs],
    )


# --- Facts of a signature ---------------------------------------------------------------------


async def chain(
    signer_cert: asn1_x509.Certificate,
    pool: list[asn1_x509.Certificate],
    context: ValidationContext,
    status: Any,
) -> tuple[list[str], dict[str, str] | None]:
    """The certificate chain, signer first, and the trust anchor it reaches (None: none).
    `pool`: the certificates the file carries (signature, document security store)."""
    path = getattr(status, "validation_path", None) if status is not None else None
    if path is None:
        context.certificate_registry.register_multiple(pool)
        try:
            paths = await context.path_builder.async_build_paths(signer_cert)
            path = paths[0] if paths else None
        except Exception:
            path = None
    if path is not None:
        certs = list(path.iter_certs(include_root=True))
        certs.reverse()
        anchor_cert = getattr(path.trust_anchor.authority, "certificate", None)
        anchor = {
            "subject": subject(anchor_cert) if anchor_cert is not None else "",
            "fingerprint_sha256": anchor_cert.sha256.hex() if anchor_cert is not None else "",
        }
        return [subject(c) for c in certs], anchor
    # No path to a trust anchor: the chain as far as the file's certificates go.
    found = [signer_cert]
    while len(found) < 10:
        current = found[-1]
        if current.self_signed:
            break
        issuer = next((c for c in pool if c.subject == current.issuer and c not in found), None)
        if issuer is None:
            break
        found.append(issuer)
    return [subject(c) for c in found], None


def revocation(
    signer_cert: asn1_x509.Certificate,
    status: Any,
    validation_objects: Iterable[ValidationObject],
    in_file: LocalKnowledge,
    of_node: LocalKnowledge,
) -> dict[str, Any]:
    """Whether the signer's certificate was revoked, on what data, and where that came from:
    `embedded` (`in_file`), `local` (`of_node`: the built-in authority's CRL) or `fetched`."""
    embedded = _digests(in_file)
    local = _digests(of_node)

    def source(data: Any) -> str:
        digest = _digest(data)
        if digest in embedded:
            return "embedded"
        if digest in local:
            return "local"
        return "fetched"

    found: dict[str, Any] | None = None
    for item in validation_objects:
        if item.object_type == ValidationObjectType.CRL:
            fact = _crl_fact(item.value.crl_data, signer_cert)
            data = item.value.crl_data
        elif item.object_type == ValidationObjectType.OCSP_RESPONSE:
            fact = _ocsp_fact(item.value.ocsp_response_data, signer_cert)
            data = item.value.ocsp_response_data
        else:
            continue
        if fact is None:
            continue
        fact["source"] = source(data)
        # A revocation beats a "good"; a fresher answer beats an older one.
        if (
            found is None
            or (fact["status"] == "revoked" and found["status"] != "revoked")
            or (fact["status"] == found["status"] and fact["checked_at"] > found["checked_at"])
        ):
            found = fact
    details = getattr(status, "revocation_details", None) if status is not None else None
    if details is not None:
        return {
            "status": "revoked",
            "source": found["source"] if found else None,
            "revoked_at": iso(details.revocation_date),
            "reason": _reason(details.revocation_reason),
            "ca_revoked": bool(details.ca_revoked),
            "checked_at": found["checked_at"] if found else None,
        }
    if found is None:
        return {
            "status": "unknown",
            "source": None,
            "revoked_at": None,
            "reason": None,
            "ca_revoked": False,
            "checked_at": None,
        }
    return found


def _crl_fact(data: crl.CertificateList, cert: asn1_x509.Certificate) -> dict[str, Any] | None:
    tbs = data["tbs_cert_list"]
    if tbs["issuer"] != cert.issuer:
        return None
    fact: dict[str, Any] = {
        "status": "good",
        "revoked_at": None,
        "reason": None,
        "ca_revoked": False,
        "checked_at": iso(tbs["this_update"].native),
    }
    for entry in tbs["revoked_certificates"] or []:
        if entry["user_certificate"].native == cert.serial_number:
            fact.update(status="revoked", revoked_at=iso(entry["revocation_date"].native))
            reason = entry.crl_reason_value
            fact["reason"] = _reason(reason) if reason is not None else None
    return fact


def _ocsp_fact(data: ocsp.OCSPResponse, cert: asn1_x509.Certificate) -> dict[str, Any] | None:
    try:
        tbs = data["response_bytes"]["response"].parsed["tbs_response_data"]
    except Exception:
        return None
    for single in tbs["responses"]:
        if single["cert_id"]["serial_number"].native != cert.serial_number:
            continue
        status = single["cert_status"]
        fact: dict[str, Any] = {
            "status": {"good": "good", "revoked": "revoked"}.get(status.name, "unknown"),
            "revoked_at": None,
            "reason": None,
            "ca_revoked": False,
            "checked_at": iso(tbs["produced_at"].native),
        }
        if status.name == "revoked":
            fact["revoked_at"] = iso(status.chosen["revocation_time"].native)
            reason = status.chosen["revocation_reason"]
            fact["reason"] = _reason(reason) if reason.native else None
        return fact
    return None


def _reason(reason: Any) -> str:
    try:
        return str(reason.native or "unspecified")
    except Exception:
        return "unspecified"


def timestamp(tokens: list[cms.SignedData], status: Any) -> dict[str, Any] | None:
    """The signature time stamp: its time, the authority that gave it, whether it validated."""
    if not tokens:
        return None
    token = tokens[0]
    tst_info = token["encap_content_info"]["content"].parsed
    tsa = ""
    try:
        tsa = subject(extract_certificate_info(token).signer_cert)
    except Exception:
        name = tst_info["tsa"]
        tsa = str(name.chosen.human_friendly) if name.native is not None else ""
    validity = getattr(status, "timestamp_validity", None) if status is not None else None
    return {
        "time": iso(tst_info["gen_time"].native),
        "tsa": tsa,
        "valid": bool(validity is not None and validity.intact and validity.valid),
        "trusted": bool(validity is not None and validity.trusted),
    }


def claimed_time(signature: EmbeddedPdfSignature) -> str | None:
    """The signing time the signer states (signing-time attribute or the /M entry)."""
    try:
        claimed = signature.self_reported_timestamp
    except Exception:
        return None
    return iso(claimed) if claimed is not None else None


def signed_at(
    signature: EmbeddedPdfSignature, timestamp: dict[str, Any] | None
) -> dict[str, Any] | None:
    """When the signature was made: proven by its time stamp, else as the signer claims."""
    if timestamp is not None and timestamp["valid"]:
        return {"time": timestamp["time"], "claimed": False}
    claimed = claimed_time(signature)
    return {"time": claimed, "claimed": True} if claimed else None


def declared(signature: EmbeddedPdfSignature) -> dict[str, str]:
    found = {}
    for key, name in (
        ("/Reason", "reason"),
        ("/Location", "location"),
        ("/Name", "name"),
        ("/ContactInfo", "contact"),
    ):
        try:
            value = signature.sig_object.get(key)
        except Exception:
            value = None
        if isinstance(value, generic.TextStringObject | generic.ByteStringObject | str):
            found[name] = str(value)[:300]
    return found


def signed_attributes_digest(signature: EmbeddedPdfSignature) -> str:
    """Digest of the signed attributes: the data to be signed (TS 119 102-2 identifies a
    signature by it)."""
    try:
        return hashlib.new(
            signature.md_algorithm, signature.signer_info["signed_attrs"].dump()
        ).hexdigest()
    except Exception:
        return ""


# --- Certificates ------------------------------------------------------------------------------


# RFC 4514 names, with the officials' title by its name rather than its number (2.5.4.12).
_NAME_OVERRIDES = {NameOID.TITLE: "title", NameOID.SERIAL_NUMBER: "serialNumber"}


def _rfc4514(name: x509.Name) -> str:
    return name.rfc4514_string(_NAME_OVERRIDES)


@functools.lru_cache(maxsize=512)
def _names(der: bytes) -> tuple[str, str]:
    """(subject, issuer) of a certificate, RFC 4514. Kept per process: the same authorities,
    time-stamp authority and signers come back in every report."""
    loaded = x509.load_der_x509_certificate(der)
    return _rfc4514(loaded.subject), _rfc4514(loaded.issuer)


def subject(cert: asn1_x509.Certificate) -> str:
    try:
        return _names(cert.dump())[0]
    except Exception:
        return str(cert.subject.human_friendly)


def certificate_facts(cert: asn1_x509.Certificate) -> dict[str, Any]:
    """What the report says of a certificate: names, serial, fingerprint, validity."""
    return dict(_certificate_facts(cert.dump()))


@functools.lru_cache(maxsize=512)
def _certificate_facts(der: bytes) -> dict[str, Any]:
    # Kept per process, by the certificate's bytes (a copy is handed out): officials sign
    # document after document.
    cert = asn1_x509.Certificate.load(der)
    names = cert.subject.native if isinstance(cert.subject.native, dict) else {}

    def first(key: str) -> str:
        value = names.get(key, "")
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value or "")

    try:
        subject_name, issuer = _names(cert.dump())
    except Exception:
        subject_name, issuer = str(cert.subject.human_friendly), str(cert.issuer.human_friendly)
    validity = cert["tbs_certificate"]["validity"]
    return {
        "subject": subject_name,
        "issuer": issuer,
        "serial": format(cert.serial_number, "x"),
        "fingerprint_sha256": cert.sha256.hex(),
        "not_before": iso(validity["not_before"].native),
        "not_after": iso(validity["not_after"].native),
        "common_name": first("common_name"),
        "organization": first("organization_name"),
        "organizational_unit": first("organizational_unit_name"),
        "title": first("title"),
    }


def _digest(value: Any) -> bytes:
    return hashlib.sha256(value.dump()).digest()


def iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def _digests(knowledge: LocalKnowledge) -> set[bytes]:
    return {_digest(c.crl_data) for c in knowledge.known_crls} | {
        _digest(o.ocsp_response_data) for o in knowledge.known_ocsps
    }
