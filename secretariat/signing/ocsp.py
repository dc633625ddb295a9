"""The built-in authority's OCSP responder (RFC 6960), served at `pki.ocsp_url()`.

Answers are signed by the CA key itself (no delegated responder certificate: one key less to
manage, and every client accepts a response signed by the certificate's issuer), responder named
by its key hash. Per requested certificate: `good`, `revoked` (time and reason) when the built-in
authority revoked it, `unknown` when it was not issued here (another issuer, or a serial number
this node has no record of). The request's nonce is echoed. A request that cannot be parsed gets
the status `malformedRequest`, an internal failure `internalError`: never an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, core, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from secretariat.core import clock

from . import pki
from .models import Credential

logger = logging.getLogger(__name__)

# How long an answer may be relied upon (nextUpdate), like the CRL.
VALIDITY = dt.timedelta(hours=pki.CRL_NEXT_UPDATE_HOURS)
MAX_NONCE_BYTES = 128
_HASHES = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def malformed() -> bytes:
    """The answer to a request that cannot be read."""
    return _status_only("malformed_request")


def _status_only(status: str) -> bytes:
    return ocsp.OCSPResponse({"response_status": status}).dump()


@dataclass(frozen=True)
class _Issuer:
    certificate: asn1_x509.Certificate
    name_der: bytes
    key_bits: bytes

    def matches(self, cert_id: ocsp.CertId) -> bool:
        algorithm = cert_id["hash_algorithm"]["algorithm"].native
        digest = _HASHES.get(algorithm)
        if digest is None:
            return False
        return (
            cert_id["issuer_name_hash"].native == digest(self.name_der).digest()
            and cert_id["issuer_key_hash"].native == digest(self.key_bits).digest()
        )


def _issuer() -> _Issuer:
    certificate = asn1_x509.Certificate.load(pki.authority_certificate_der())
    return _Issuer(
        certificate=certificate,
        name_der=certificate.subject.dump(),
        key_bits=certificate.public_key["public_key"].contents[
            1:
        ],  # BIT STRING without the pad byte
    )


def _status(issuer: _Issuer, cert_id: ocsp.CertId) -> ocsp.CertStatus:
    if not issuer.matches(cert_id):
        return ocsp.CertStatus(name="unknown", value=core.Null())
    serial = format(cert_id["serial_number"].native, "x")
    found = (
        Credential.objects.filter(issued_here=True, serial=serial)
        .values("revoked_at", "revocation_reason")
        .first()
    )
    if found is None:
        return ocsp.CertStatus(name="unknown", value=core.Null())
    if found["revoked_at"] is None:
        return ocsp.CertStatus(name="good", value=core.Null())
    # DER times in RFC 5280 profiles carry whole seconds.
    info: dict[str, Any] = {"revocation_time": found["revoked_at"].replace(microsecond=0)}
    if found["revocation_reason"] and found["revocation_reason"] != "unspecified":
        info["revocation_reason"] = found["revocation_reason"]
    return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))


def respond(request_der: bytes) -> bytes:
    """The DER `OCSPResponse` to a DER `OCSPRequest` (never raises)."""
    try:
        request = ocsp.OCSPRequest.load(bytes(request_der), strict=True)
        request.native  # noqa: B018 - parse every field now, so a bad one is refused here
        tbs = request["tbs_request"]
        requests = list(tbs["request_list"])
        nonce = None
        for extension in tbs["request_extensions"] or []:
            if extension["extn_id"].native == "nonce":
                nonce = extension["extn_value"].contents
            elif extension["critical"].native:
                return _status_only("malformed_request")
        if not requests or (nonce is not None and len(nonce) > MAX_NONCE_BYTES):
            return _status_only("malformed_request")
    except (ValueError, TypeError, KeyError, OverflowError):
        return _status_only("malformed_request")
    try:
        return _answer(requests, nonce)
    except Exception:
        logger.exception("the OCSP responder failed to answer")
        return _status_only("internal_error")


def _answer(requests: list[ocsp.Request], nonce: bytes | None) -> bytes:
    issuer = _issuer()
    now = clock.now().astimezone(dt.UTC).replace(microsecond=0)
    responses = [
        ocsp.SingleResponse(
            {
                "cert_id": item["req_cert"],
                "cert_status": _status(issuer, item["req_cert"]),
                "this_update": now,
                "next_update": now + VALIDITY,
            }
        )
        for item in requests
    ]
    data: dict[str, Any] = {
        "responder_id": ocsp.ResponderId(
            name="by_key",
            value=hashlib.sha1(issuer.key_bits).digest(),  # noqa: S324 - RFC 6960 KeyHash
        ),
        "produced_at": now,
        "responses": responses,
    }
    if nonce is not None:
        data["response_extensions"] = [
            {"extn_id": "nonce", "extn_value": core.ParsableOctetString(nonce)}
        ]
    response_data = ocsp.ResponseData(data)
    signature = pki.authority_key().sign(response_data.dump(), padding.PKCS1v15(), hashes.SHA256())
    basic = ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": response_data,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": signature,
            "certs": [issuer.certificate],
        }
    )
    return ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    ).dump()
