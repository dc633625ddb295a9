"""RFC 3161 time stamps: the client used when signing, and the node's built-in authority.

`timestamper()` is what the signing code calls: an HTTP client of `SIGNING_TSA_URL` when one is
configured, else the built-in authority in-process (so B-T and above work from commands with no
server running). The built-in authority is also served over HTTP (`POST /signing/tsa`).

The built-in authority (`respond`) answers every request with a `TimeStampResp`, never an
exception: a granted token signed by the authority's credential (purpose `timestamp`, issued by
the built-in CA; its key in the HSM when `SIGNING_PKCS11_MODULE` is set, else a sealed PKCS#12),
or a rejection with the RFC 3161 failure bit (malformed request, unsupported hash, another
policy, extensions). Tokens carry the policy `SIGNING_TSA_POLICY_OID`, a random 127-bit serial
number (unique without a counter shared between processes), the request's nonce, an accuracy of
one second, and the authority's certificate and its issuer when the request asks (`certReq`).
The signer is named by an ESS signing-certificate-v2 attribute (SHA-256, RFC 5816).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.db import transaction
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from secretariat.core import clock
from secretariat.core.locks import advisory_lock

from . import keys, pki
from .models import Credential, CredentialPurpose

logger = logging.getLogger(__name__)

# An OID of our own without registration (ITU-T X.667: 2.25 followed by a UUID as an integer).
DEFAULT_POLICY_OID = "2.25.45315767168387641232669906531341398507"
# Digest algorithms accepted in requests (SHA-1 and MD5 are refused as too weak).
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
ACCURACY_SECONDS = 1
# A new authority certificate is issued this long before the current one expires.
RENEW_BEFORE = dt.timedelta(days=30)
_LOCK_KEY = 0x5EC2_75A0


def policy_oid() -> str:
    return str(settings.SIGNING_TSA_POLICY_OID or DEFAULT_POLICY_OID)


class TimeStampResp(tsp.TimeStampResp):
    # asn1crypto marks the token as required; RFC 3161 §2.4.2 omits it from rejections.
    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _Rejected(Exception):
    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info
        self.text = text


def rejection(fail_info: str, text: str) -> bytes:
    """A `TimeStampResp` refusing the request with the RFC 3161 failure bit `fail_info`."""
    status = tsp.PKIStatusInfo(
        {
            "status": "rejection",
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        }
    )
    return TimeStampResp({"status": status}).dump()


# --- The authority's credential -------------------------------------------------------------


def tsa_credential() -> Credential:
    """The built-in authority's current credential, issued on first use (and again shortly
    before it expires): on the HSM when one is configured, else a sealed PKCS#12."""
    found = _current_credential()
    if found is not None:
        return found
    with transaction.atomic():
        advisory_lock(_LOCK_KEY)
        found = _current_credential()
        if found is not None:
            return found
        subject = pki.subject_for(
            common_name=f"{settings.NODE_NAME} Time-Stamp Authority",
            organization=settings.NODE_NAME,
        )
        if settings.SIGNING_PKCS11_MODULE:
            return pki.issue_pkcs11_credential(
                actor=None,
                purpose=CredentialPurpose.TIMESTAMP,
                subject=subject,
                module=settings.SIGNING_PKCS11_MODULE,
                token_label=settings.SIGNING_HSM_TOKEN_LABEL,
                key_label=f"tsa-{secrets.token_hex(4)}",
                pin=settings.SIGNING_HSM_PIN,
            )
        return pki.issue_pkcs12_credential(
            actor=None, purpose=CredentialPurpose.TIMESTAMP, subject=subject
        )


def _current_credential() -> Credential | None:
    return (
        Credential.objects.filter(
            purpose=CredentialPurpose.TIMESTAMP,
            active=True,
            issued_here=True,
            revoked_at__isnull=True,
            not_after__gt=clock.now() + RENEW_BEFORE,
        )
        .order_by("-not_after")
        .first()
    )


# --- The responder --------------------------------------------------------------------------


@dataclass(frozen=True)
class Responder:
    """Everything needed to answer requests, loaded from the database beforehand: answering
    touches neither the database nor the ORM (the in-process time-stamper answers inside
    pyHanko's event loop, where Django refuses database access)."""

    credential: Credential
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    policy: str

    @classmethod
    def load(cls) -> Responder:
        credential = tsa_credential()
        return cls(
            credential=credential,
            certificate=asn1_x509.Certificate.load(bytes(credential.certificate)),
            chain=(asn1_x509.Certificate.load(pki.authority_certificate_der()),),
            policy=policy_oid(),
        )

    def answer(self, request_der: bytes) -> bytes:
        """The DER `TimeStampResp` for the DER `TimeStampReq`; never raises."""
        try:
            request = _parse(request_der, self.policy)
            return self._grant(request)
        except _Rejected as refused:
            return rejection(refused.fail_info, refused.text)
        except Exception:
            logger.exception("the time-stamp authority failed to answer")
            return rejection("system_failure", "The time-stamp authority cannot answer now.")

    def _grant(self, request: tsp.TimeStampReq) -> bytes:
        now = clock.now().astimezone(dt.UTC)
        info = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": request["message_imprint"],
            "serial_number": secrets.randbits(127) | 1,
            "gen_time": now,
            "accuracy": {"seconds": ACCURACY_SECONDS},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        tst_info = tsp.TSTInfo(info).dump()
        signed_attrs = cms.CMSAttributes(
            [
                _attribute("content_type", "tst_info"),
                _attribute("signing_time", cms.Time({"utc_time": core.UTCTime(now)})),
                _attribute("message_digest", hashlib.sha256(tst_info).digest()),
                _attribute("signing_certificate_v2", as_signing_certificate_v2(self.certificate)),
            ]
        )
        with keys.raw_signer(self.credential) as sign:
            signature = sign(signed_attrs.dump())
        digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {
                                "issuer": self.certificate.issuer,
                                "serial_number": self.certificate.serial_number,
                            }
                        )
                    }
                ),
                "digest_algorithm": digest_algorithm,
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
                "signature": signature,
            }
        )
        signed_data: dict[str, Any] = {
            "version": "v3",
            "digest_algorithms": [digest_algorithm],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(tst_info),
            },
            "signer_infos": [signer_info],
        }
        if request["cert_req"].native:
            signed_data["certificates"] = [self.certificate, *self.chain]
        token = cms.ContentInfo(
            {"content_type": "signed_data", "content": cms.SignedData(signed_data)}
        )
        return TimeStampResp(
            {"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token}
        ).dump()


def _attribute(kind: str, value: Any) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": (value,)})


def _parse(request_der: bytes, policy: str) -> tsp.TimeStampReq:
    """The request, checked; `_Rejected` with the RFC 3161 failure bit otherwise."""
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        request.native  # noqa: B018 - parses every field now, so a bad one is refused here
        version = request["version"].native
        algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
        digest = request["message_imprint"]["hashed_message"].native
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise _Rejected(
            "bad_data_format", "The request is not a valid RFC 3161 request."
        ) from error
    if version != "v1":
        raise _Rejected("bad_request", "Only version 1 requests are accepted.")
    if algorithm not in DIGEST_SIZES:
        raise _Rejected("bad_alg", f"The hash algorithm {algorithm} is not accepted.")
    if len(digest) != DIGEST_SIZES[algorithm]:
        raise _Rejected("bad_data_format", "The message imprint has the wrong length.")
    requested_policy = request["req_policy"].dotted if request["req_policy"].native else None
    if requested_policy is not None and requested_policy != policy:
        raise _Rejected("unaccepted_policy", f"The policy {requested_policy} is not offered.")
    if request["extensions"].native:
        raise _Rejected("unaccepted_extensions", "Request extensions are not supported.")
    return request


def respond(request_der: bytes) -> bytes:
    """The built-in authority's DER `TimeStampResp` to a DER `TimeStampReq` (never raises)."""
    try:
        responder = Responder.load()
    except Exception:
        logger.exception("the time-stamp authority's key cannot be loaded")
        return rejection("system_failure", "The time-stamp authority cannot answer now.")
    return responder.answer(request_der)


# --- The client -------------------------------------------------------------------------------


class BuiltInTimeStamper(TimeStamper):
    """pyHanko's client interface answered by the built-in authority in this process."""

    def __init__(self, responder: Responder) -> None:
        super().__init__()
        self.responder = responder

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return TimeStampResp.load(self.responder.answer(req.dump()))


def timestamper() -> TimeStamper:
    """The time-stamper signing uses: `SIGNING_TSA_URL` over HTTP when configured, else the
    built-in authority in this process."""
    if settings.SIGNING_TSA_URL:
        return HTTPTimeStamper(settings.SIGNING_TSA_URL)
    return BuiltInTimeStamper(Responder.load())
