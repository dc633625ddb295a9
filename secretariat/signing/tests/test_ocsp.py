"""Revocation published by the built-in authority: the CRL and the OCSP responder, read by
independent implementations (cryptography's OCSP and CRL parsers, OpenSSL, and
pyhanko-certvalidator fetching them over real HTTP)."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import requests
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp as x509_ocsp
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import RevokedError

from secretariat.signing import ocsp, pki
from secretariat.signing.models import Credential, CredentialPurpose

OCSP_CONTENT = {"Content-Type": "application/ocsp-request"}


def _issue(name: str = "Lê Minh Quang") -> tuple[Credential, x509.Certificate]:
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name=name, organization="Tỉnh ủy Lâm Đồng"),
    )
    return credential, x509.load_der_x509_certificate(bytes(credential.certificate))


def _ocsp_request(
    certificate: x509.Certificate,
    issuer: x509.Certificate | None = None,
    *,
    algorithm: hashes.HashAlgorithm | None = None,
    nonce: bytes | None = None,
) -> bytes:
    builder = x509_ocsp.OCSPRequestBuilder().add_certificate(
        certificate,
        issuer or pki.authority_certificate(),
        algorithm or hashes.SHA1(),  # noqa: S303
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _verify_signed_by_ca(response: x509_ocsp.OCSPResponse) -> None:
    public = pki.authority_certificate().public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert response.signature_hash_algorithm is not None
    public.verify(
        response.signature,
        response.tbs_response_bytes,
        padding.PKCS1v15(),
        response.signature_hash_algorithm,
    )


def test_good_certificate(db: Any) -> None:
    _credential, certificate = _issue()
    response = x509_ocsp.load_der_ocsp_response(ocsp.respond(_ocsp_request(certificate)))
    assert response.response_status == x509_ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == x509_ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == certificate.serial_number
    assert response.next_update_utc is not None
    assert response.next_update_utc > response.this_update_utc
    assert response.responder_key_hash == (
        x509.SubjectKeyIdentifier.from_public_key(pki.authority_key().public_key()).digest
    )
    _verify_signed_by_ca(response)


def test_revoked_certificate_with_time_and_reason(db: Any) -> None:
    credential, certificate = _issue()
    pki.revoke(actor=None, credential=credential, reason="key_compromise")
    credential.refresh_from_db()
    response = x509_ocsp.load_der_ocsp_response(
        ocsp.respond(_ocsp_request(certificate, algorithm=hashes.SHA256()))
    )
    assert response.certificate_status == x509_ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.key_compromise
    assert credential.revoked_at is not None
    assert response.revocation_time_utc == credential.revoked_at.replace(microsecond=0)
    _verify_signed_by_ca(response)


def test_unknown_when_not_issued_here(db: Any) -> None:
    """Another authority's certificate, or a serial number this node has no record of."""
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Other CA")])
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    other_ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(other_key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(other_key, hashes.SHA256())
    )
    stranger = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(other_key.public_key())
        .serial_number(8)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(other_key, hashes.SHA256())
    )
    response = x509_ocsp.load_der_ocsp_response(ocsp.respond(_ocsp_request(stranger, other_ca)))
    assert response.certificate_status == x509_ocsp.OCSPCertStatus.UNKNOWN
    # Built by our authority's key but never recorded here (not a credential).
    unrecorded = pki.build_certificate(
        public_key=other_key.public_key(),
        subject=pki.subject_for(common_name="Không đăng ký"),
        purpose=CredentialPurpose.PERSONAL,
    )
    response = x509_ocsp.load_der_ocsp_response(ocsp.respond(_ocsp_request(unrecorded)))
    assert response.certificate_status == x509_ocsp.OCSPCertStatus.UNKNOWN


def test_nonce_is_echoed(db: Any) -> None:
    _credential, certificate = _issue()
    nonce = b"\x01" * 16
    response = x509_ocsp.load_der_ocsp_response(
        ocsp.respond(_ocsp_request(certificate, nonce=nonce))
    )
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce


def test_several_certificates_in_one_request(db: Any) -> None:
    first, first_certificate = _issue("Một")
    _second, second_certificate = _issue("Hai")
    pki.revoke(actor=None, credential=first, reason="superseded")
    request = asn1_ocsp.OCSPRequest.load(_ocsp_request(first_certificate))
    second = asn1_ocsp.OCSPRequest.load(_ocsp_request(second_certificate))
    request["tbs_request"]["request_list"] = [
        request["tbs_request"]["request_list"][0],
        second["tbs_request"]["request_list"][0],
    ]
    answer = asn1_ocsp.OCSPResponse.load(ocsp.respond(request.dump()))
    statuses = [
        r["cert_status"].name for r in answer.basic_ocsp_response["tbs_response_data"]["responses"]
    ]
    assert statuses == ["revoked", "good"]


@pytest.mark.parametrize("garbage", [b"", b"junk", b"\x30\x00", b"\x30\x03\x30\x01\x00"])
def test_malformed_requests(db: Any, garbage: bytes) -> None:
    response = x509_ocsp.load_der_ocsp_response(ocsp.respond(garbage))
    assert response.response_status == x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST


# --- CRL ---------------------------------------------------------------------------------------


def test_crl_lists_revocations_with_reasons(db: Any) -> None:
    revoked, revoked_certificate = _issue("Thu hồi")
    _kept, kept_certificate = _issue("Còn hiệu lực")
    pki.revoke(actor=None, credential=revoked, reason="affiliation_changed")
    crl = x509.load_der_x509_crl(pki.crl_der())
    assert crl.is_signature_valid(pki.authority_certificate().public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(revoked_certificate.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.affiliation_changed
    )
    assert crl.get_revoked_certificate_by_serial_number(kept_certificate.serial_number) is None


def test_crl_is_cached_until_a_revocation(db: Any) -> None:
    """The same CRL is served again (no new signature, no new number) until a certificate is
    revoked; then the next one, with a higher number, lists it at once."""
    credential, certificate = _issue()
    first = pki.crl_der()
    assert pki.crl_der() == first
    number = x509.load_der_x509_crl(first).extensions.get_extension_for_class(x509.CRLNumber)
    pki.revoke(actor=None, credential=credential, reason="unspecified")
    after = x509.load_der_x509_crl(pki.crl_der())
    assert after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > (
        number.value.crl_number
    )
    entry = after.get_revoked_certificate_by_serial_number(certificate.serial_number)
    assert entry is not None
    # RFC 5280: no reason code extension for "unspecified".
    assert not list(entry.extensions)


# --- Over HTTP ----------------------------------------------------------------------------------


def test_public_endpoints_over_http(live_server: Any) -> None:
    credential, certificate = _issue()
    base = live_server.url + "/signing/ca"
    response = requests.get(base + "/certificate", timeout=10)
    assert response.headers["Content-Type"] == "application/pkix-cert"
    assert response.content == pki.authority_certificate_der()
    response = requests.get(base + "/crl", timeout=10)
    assert response.headers["Content-Type"] == "application/pkix-crl"
    x509.load_der_x509_crl(response.content)
    response = requests.post(
        base + "/ocsp", data=_ocsp_request(certificate), headers=OCSP_CONTENT, timeout=10
    )
    assert response.headers["Content-Type"] == "application/ocsp-response"
    assert x509_ocsp.load_der_ocsp_response(response.content).certificate_status == (
        x509_ocsp.OCSPCertStatus.GOOD
    )
    # RFC 6960 Appendix A.1: GET with the request in base64, URL-encoded, in the path.
    pki.revoke(actor=None, credential=credential, reason="privilege_withdrawn")
    encoded = urllib.parse.quote(base64.b64encode(_ocsp_request(certificate)).decode(), safe="")
    response = requests.get(f"{base}/ocsp/{encoded}", timeout=10)
    assert x509_ocsp.load_der_ocsp_response(response.content).certificate_status == (
        x509_ocsp.OCSPCertStatus.REVOKED
    )
    response = requests.get(f"{base}/ocsp/not*base64", timeout=10)
    assert x509_ocsp.load_der_ocsp_response(response.content).response_status == (
        x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    assert requests.post(base + "/ocsp", data=b"x", timeout=10).status_code == 415


def test_certvalidator_fetches_revocation_over_http(live_server: Any, settings: Any) -> None:
    """Certificates name this node's CRL and OCSP addresses; a validator with no local data
    fetches them from the running server, in hard-fail mode, and sees the revocation."""
    settings.PUBLIC_URL = live_server.url
    credential, certificate = _issue()
    asn1_certificate = asn1_x509.Certificate.load(bytes(credential.certificate))
    root = asn1_x509.Certificate.load(pki.authority_certificate_der())

    def validate() -> Any:
        context = ValidationContext(
            trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail"
        )
        return asyncio.run(
            CertificateValidator(asn1_certificate, validation_context=context).async_validate_usage(
                {"digital_signature"}
            )
        )

    path = validate()
    assert path.trust_anchor.authority.name == root.subject
    pki.revoke(actor=None, credential=credential, reason="key_compromise")
    with pytest.raises(RevokedError):
        validate()
    assert certificate.serial_number  # the same certificate, now revoked


def test_openssl_ocsp_client(live_server: Any, tmp_path: Path) -> None:
    """OpenSSL's OCSP client posts its own request and verifies our signed answer."""
    credential, certificate = _issue()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.authority_certificate().public_bytes(serialization.Encoding.PEM))
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    response_file = tmp_path / "response.der"

    def ask() -> str:
        result = subprocess.run(
            [
                "openssl",
                "ocsp",
                "-issuer",
                str(ca),
                "-cert",
                str(leaf),
                "-url",
                live_server.url + "/signing/ca/ocsp",
                "-CAfile",
                str(ca),
                "-respout",
                str(response_file),
                "-resp_text",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Response verify OK" in result.stderr, result.stderr
        return result.stdout

    assert f"{leaf}: good" in ask()
    pki.revoke(actor=None, credential=credential, reason="key_compromise")
    text = ask()
    assert f"{leaf}: revoked" in text
    assert "Reason: keyCompromise" in text
    assert "WARNING: no nonce in response" not in text
    # The saved answer reads back offline.
    offline = subprocess.run(
        ["openssl", "ocsp", "-respin", str(response_file), "-resp_text", "-noverify"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Cert Status: revoked" in offline
