"""The built-in time-stamp authority (RFC 3161): answers to good and bad requests, served over
real HTTP, checked by pyHanko's client and by OpenSSL (an independent implementation)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import CertificateValidator
from reportlab.pdfgen import canvas

from secretariat.signing import keys, pki, trust, tsa
from secretariat.signing.models import Credential, CredentialPurpose, KeyBackend

TSA_CONTENT = {"Content-Type": "application/timestamp-query"}


def _request(
    digest: bytes | None = None,
    *,
    algorithm: str = "sha256",
    nonce: int | None = 0x5EC2E7A2,
    cert_req: bool = True,
    policy: str | None = None,
) -> bytes:
    fields_: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
            "hashed_message": digest
            if digest is not None
            else hashlib.new(algorithm, b"document").digest(),
        },
        "cert_req": cert_req,
    }
    if nonce is not None:
        fields_["nonce"] = nonce
    if policy is not None:
        fields_["req_policy"] = policy
    return tsp.TimeStampReq(fields_).dump()


def _response(der: bytes) -> tsp.TimeStampResp:
    return tsa.TimeStampResp.load(der)


def _tst_info(response: tsp.TimeStampResp) -> tsp.TSTInfo:
    signed = response["time_stamp_token"]["content"]
    return signed["encap_content_info"]["content"].parsed


def _pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, "Công văn số 12-CV/TU")
    page.showPage()
    page.save()
    return out.getvalue()


def _validate_token_chain(token: cms.ContentInfo, digest: bytes) -> None:
    """The token's signature is sound, it stamps `digest`, and its certificate chains to the
    built-in root with the time-stamping extended key usage."""
    status = asyncio.run(
        validate_tst_signed_data(
            token["content"],
            trust.validation_context(allow_fetching=False),
            lambda _algorithm: digest,
        )
    )
    assert status["intact"]
    assert status["valid"]
    assert status["trust_problem_indic"] is None
    assert status["validation_path"] is not None
    certificate = status["signing_cert"]
    validator = CertificateValidator(
        certificate, validation_context=trust.validation_context(allow_fetching=False)
    )
    path = asyncio.run(validator.async_validate_usage(set(), {"time_stamping"}))
    assert (
        path.trust_anchor.authority.name
        == asn1_x509.Certificate.load(pki.authority_certificate_der()).subject
    )


def test_granted_token_echoes_the_request(db: Any) -> None:
    digest = hashlib.sha256(b"a signature value").digest()
    response = _response(tsa.respond(_request(digest, nonce=123456789)))
    assert response["status"]["status"].native == "granted"
    info = _tst_info(response)
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert info["nonce"].native == 123456789
    assert info["policy"].dotted == tsa.DEFAULT_POLICY_OID
    assert info["accuracy"]["seconds"].native == 1
    certificates = response["time_stamp_token"]["content"]["certificates"]
    assert len(certificates) == 2  # the authority's certificate and its issuer (certReq)
    _validate_token_chain(response["time_stamp_token"], digest)


def test_certificates_only_when_asked(db: Any) -> None:
    response = _response(tsa.respond(_request(cert_req=False)))
    assert response["status"]["status"].native == "granted"
    assert not response["time_stamp_token"]["content"]["certificates"].native


def test_serial_numbers_are_unique(db: Any) -> None:
    serials = {
        _tst_info(_response(tsa.respond(_request())))["serial_number"].native for _ in range(20)
    }
    assert len(serials) == 20


def test_policy_is_configurable(db: Any, settings: Any) -> None:
    settings.SIGNING_TSA_POLICY_OID = "1.2.3.4.5"
    response = _response(tsa.respond(_request(policy="1.2.3.4.5")))
    assert _tst_info(response)["policy"].dotted == "1.2.3.4.5"


@pytest.mark.parametrize(
    ("request_der", "fail_info"),
    [
        (b"not a request at all", "bad_data_format"),
        (b"", "bad_data_format"),
        (b"\x30\x03\x02\x01\x01", "bad_data_format"),  # a version and nothing else
        (_request(b"\x00" * 16, algorithm="md5"), "bad_alg"),
        (_request(b"\x00" * 20, algorithm="sha1"), "bad_alg"),
        (_request(b"\x00" * 31), "bad_data_format"),  # SHA-256 is 32 bytes
        (_request(policy="1.2.3.4"), "unaccepted_policy"),
        (_request() + b"trailing", "bad_data_format"),
    ],
)
def test_bad_requests_are_rejected_with_a_reason(
    db: Any, request_der: bytes, fail_info: str
) -> None:
    response = _response(tsa.respond(request_der))
    assert response["status"]["status"].native == "rejection"
    assert response["status"]["fail_info"].native == {fail_info}
    assert response["status"]["status_string"].native
    assert not response["time_stamp_token"].native


def test_request_extensions_are_refused(db: Any) -> None:
    request = tsp.TimeStampReq.load(_request())
    request["extensions"] = [{"extn_id": "1.2.3.4", "critical": False, "extn_value": b"\x05\x00"}]
    response = _response(tsa.respond(request.dump()))
    assert response["status"]["fail_info"].native == {"unaccepted_extensions"}


def test_the_authority_credential_is_issued_once(db: Any) -> None:
    tsa.respond(_request())
    tsa.respond(_request())
    credentials = Credential.objects.filter(purpose=CredentialPurpose.TIMESTAMP)
    assert credentials.count() == 1
    assert credentials.get().backend == KeyBackend.PKCS12


def test_in_process_timestamper_signs_at_b_t(db: Any, settings: Any) -> None:
    """With no external authority, `timestamper()` answers in-process: B-T works offline."""
    settings.SIGNING_TSA_URL = ""
    stamper = tsa.timestamper()
    assert isinstance(stamper, tsa.BuiltInTimeStamper)
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name="Lê Minh Quang"),
    )
    with keys.open_signer(credential) as signer:
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(_pdf())),
            signers.PdfSignatureMetadata(
                field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES
            ),
            signer=signer,
            timestamper=stamper,
        )
    signature = PdfFileReader(io.BytesIO(out.getvalue())).embedded_signatures[0]
    status = validate_pdf_signature(signature, trust.validation_context(allow_fetching=False))
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.trusted


def test_tsa_key_on_the_hsm(hsm: dict[str, str]) -> None:
    """With an HSM configured, the authority's key is generated there and signs from there."""
    response = _response(tsa.respond(_request()))
    assert response["status"]["status"].native == "granted"
    credential = Credential.objects.get(purpose=CredentialPurpose.TIMESTAMP)
    assert credential.backend == KeyBackend.PKCS11
    assert credential.pkcs11_token_label == hsm["token_label"]
    assert not credential.sealed_pkcs12
    _validate_token_chain(response["time_stamp_token"], hashlib.sha256(b"document").digest())


def test_hsm_failure_is_a_rejection_not_an_exception(hsm: dict[str, str], settings: Any) -> None:
    tsa.respond(_request())  # the credential exists, on the HSM
    settings.SIGNING_HSM_PIN = "000000"
    response = _response(tsa.respond(_request()))
    assert response["status"]["status"].native == "rejection"
    assert response["status"]["fail_info"].native == {"system_failure"}


# --- Over HTTP ------------------------------------------------------------------------------


def test_http_service_with_pyhanko_client(live_server: Any, settings: Any) -> None:
    """pyHanko's HTTP client against the running server: the token validates to our root."""
    url = live_server.url + "/signing/tsa"
    settings.SIGNING_TSA_URL = url
    stamper = tsa.timestamper()
    assert isinstance(stamper, HTTPTimeStamper)
    digest = hashlib.sha256(b"x").digest()
    token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
    _validate_token_chain(token, digest)
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name="Trần Thị Mai"),
    )
    with keys.open_signer(credential) as signer:
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(_pdf())),
            signers.PdfSignatureMetadata(
                field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES
            ),
            signer=signer,
            timestamper=stamper,
        )
    signature = PdfFileReader(io.BytesIO(out.getvalue())).embedded_signatures[0]
    status = validate_pdf_signature(signature, trust.validation_context(allow_fetching=False))
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact


def test_http_refuses_other_content_types(live_server: Any) -> None:
    url = live_server.url + "/signing/tsa"
    assert requests.post(url, data=_request(), timeout=10).status_code == 415
    assert requests.get(url, timeout=10).status_code == 405
    response = requests.post(url, data=b"garbage", headers=TSA_CONTENT, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/timestamp-reply"
    assert _response(response.content)["status"]["status"].native == "rejection"


def test_openssl_reads_and_verifies_our_reply(live_server: Any, tmp_path: Path) -> None:
    """OpenSSL builds the request, posts it, and verifies the reply against our root."""
    data = tmp_path / "data.txt"
    data.write_bytes("Nghị quyết số 05-NQ/TU".encode())
    query = tmp_path / "request.tsq"
    subprocess.run(
        ["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)],
        check=True,
        capture_output=True,
    )
    response = requests.post(
        live_server.url + "/signing/tsa", data=query.read_bytes(), headers=TSA_CONTENT, timeout=10
    )
    reply = tmp_path / "reply.tsr"
    reply.write_bytes(response.content)
    text = subprocess.run(
        ["openssl", "ts", "-reply", "-in", str(reply), "-text"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Status: Granted." in text
    assert f"Policy OID: {tsa.DEFAULT_POLICY_OID}" in text
    assert "Accuracy: 0x01 seconds" in text
    root = tmp_path / "root.pem"
    root.write_bytes(
        b"-----BEGIN CERTIFICATE-----\n"
        + base64.encodebytes(pki.authority_certificate_der())
        + b"-----END CERTIFICATE-----\n"
    )
    verified = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(data),
            "-in",
            str(reply),
            "-CAfile",
            str(root),
        ],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stderr
    assert "Verification: OK" in verified.stdout
