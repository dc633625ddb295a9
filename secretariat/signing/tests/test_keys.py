"""Keys on a real PKCS#11 device (SoftHSM2) and in sealed PKCS#12 files, as pyHanko signers."""

from __future__ import annotations

import gc
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.config.pkcs11 import PKCS11SignatureConfig, TokenCriteria
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.pkcs11 import PKCS11Signer, PKCS11SigningContext
from pyhanko.sign.validation import validate_pdf_signature
from reportlab.pdfgen import canvas

from secretariat.signing import keys, pki, trust
from secretariat.signing import pkcs11 as p11
from secretariat.signing.models import Credential, CredentialPurpose, KeyBackend
from secretariat.signing.tests.softhsm import SoftToken


def _pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, "Quyết định số 7-QĐ/TU")
    page.showPage()
    page.save()
    return out.getvalue()


def _sign(signer: Any) -> bytes:
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(_pdf())),
        signers.PdfSignatureMetadata(
            field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES
        ),
        signer=signer,
    )
    return out.getvalue()


def _assert_valid(pdf: bytes, certificate_der: bytes) -> None:
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(signature, trust.validation_context(allow_fetching=False))
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.signing_cert.dump() == certificate_der


def _pkcs11_credential(token: SoftToken, settings: Any, **changes: Any) -> Credential:
    settings.SIGNING_PKCS11_MODULE = token.module
    return pki.import_credential(
        actor=None,
        certificate=token.certificate_der,
        backend=KeyBackend.PKCS11,
        purpose=CredentialPurpose.PERSONAL,
        user=changes.pop("user", None) or _someone(),
        token_label=token.token_label,
        key_label=token.key_label,
    )


def _someone() -> Any:
    from secretariat.accounts.models import User

    return User.objects.create_user(username="nguyenvana", full_name="Nguyễn Văn An")


def test_fixture_token_holds_key_and_certificate(softhsm_token: SoftToken) -> None:
    """The key pair was generated on the token; the certificate next to it has the same label
    and CKA_ID and certifies exactly that key."""
    assert Path(softhsm_token.conf_path).exists()
    certificate = x509.load_der_x509_certificate(softhsm_token.certificate_der)
    assert certificate.issuer == pki.authority_certificate().subject
    with p11.session(
        softhsm_token.module, token_label=softhsm_token.token_label, pin=softhsm_token.pin
    ) as opened:
        public = p11.public_key(opened, label=softhsm_token.key_label)
        assert public.public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]
        assert p11.read_certificate(opened, label=softhsm_token.key_label) == (
            softhsm_token.certificate_der
        )
        key = p11.find_private_key(opened, label=softhsm_token.key_label)
        from pkcs11 import Attribute

        assert key[Attribute.SENSITIVE]
        assert not key[Attribute.EXTRACTABLE]
        assert key[Attribute.ID] == p11.key_id_for(public)


def test_pyhanko_finds_the_pair_by_label(softhsm_token: SoftToken) -> None:
    """pyHanko's own PKCS#11 configuration (what the agent uses) finds certificate and key."""
    config = PKCS11SignatureConfig(
        module_path=softhsm_token.module,
        token_criteria=TokenCriteria(label=softhsm_token.token_label),
        cert_label=softhsm_token.key_label,
        key_label=softhsm_token.key_label,
        user_pin=softhsm_token.pin,
    )
    with PKCS11SigningContext(config) as signer:
        pdf = _sign(signer)
    _assert_valid(pdf, softhsm_token.certificate_der)


def test_open_signer_signs_on_the_device(softhsm_token: SoftToken, settings: Any) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    with keys.open_signer(credential, pin=softhsm_token.pin) as signer:
        assert isinstance(signer, PKCS11Signer)
        pdf = _sign(signer)
    _assert_valid(pdf, softhsm_token.certificate_der)


def test_pin_from_settings(softhsm_token: SoftToken, settings: Any) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    settings.SIGNING_HSM_PIN = softhsm_token.pin
    with keys.open_signer(credential) as signer:
        _assert_valid(_sign(signer), softhsm_token.certificate_der)


def test_signer_for_keeps_its_session_until_collected(
    softhsm_token: SoftToken, settings: Any
) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    signer = keys.signer_for(credential, pin=softhsm_token.pin)
    _assert_valid(_sign(signer), softhsm_token.certificate_der)
    del signer
    gc.collect()


def test_wrong_pin_is_a_clear_error(softhsm_token: SoftToken, settings: Any) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    with (
        pytest.raises(keys.KeyUnavailable, match="refused the PIN"),
        keys.open_signer(credential, pin="999999"),
    ):
        pass


def test_unconfigured_module(softhsm_token: SoftToken, settings: Any) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    settings.SIGNING_PKCS11_MODULE = ""
    with (
        pytest.raises(keys.KeyUnavailable, match="not configured"),
        keys.open_signer(credential, pin=softhsm_token.pin),
    ):
        pass
    settings.SIGNING_PKCS11_MODULE = "/nonexistent/libpkcs11.so"
    with (
        pytest.raises(keys.KeyUnavailable, match="not configured"),
        keys.open_signer(credential, pin=softhsm_token.pin),
    ):
        pass


def test_absent_token_and_key(softhsm_token: SoftToken, settings: Any) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    credential.pkcs11_token_label = "not-plugged-in"
    with (
        pytest.raises(keys.KeyUnavailable, match="not present"),
        keys.open_signer(credential, pin=softhsm_token.pin),
    ):
        pass
    credential.pkcs11_token_label = softhsm_token.token_label
    credential.pkcs11_key_label = "no-such-key"
    with (
        pytest.raises(keys.KeyUnavailable, match="not on its token"),
        keys.open_signer(credential, pin=softhsm_token.pin),
    ):
        pass


def test_workstation_keys_are_not_usable_here(softhsm_token: SoftToken) -> None:
    credential = pki.import_credential(
        actor=None, certificate=softhsm_token.certificate_der, user=_someone()
    )
    assert credential.backend == KeyBackend.WORKSTATION
    with pytest.raises(keys.KeyUnavailable, match="signing agent"), keys.open_signer(credential):
        pass
    with pytest.raises(keys.KeyUnavailable):
        keys.signer_for(credential)


def test_revoked_credentials_do_not_sign(db: Any) -> None:
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name="Phạm Thu Hằng"),
    )
    pki.revoke(actor=None, credential=credential, reason="key_compromise")
    credential.refresh_from_db()
    with pytest.raises(keys.KeyUnavailable, match="revoked"), keys.open_signer(credential):
        pass


def test_pkcs12_signer_and_raw_signer(db: Any) -> None:
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.SEAL,
        subject=pki.subject_for(common_name="Văn phòng Tỉnh ủy"),
    )
    with keys.open_signer(credential) as signer:
        _assert_valid(_sign(signer), bytes(credential.certificate))
    with keys.raw_signer(credential) as sign:
        signature = sign(b"data")
    public = x509.load_der_x509_certificate(bytes(credential.certificate)).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())


def test_raw_signer_on_the_device(softhsm_token: SoftToken, settings: Any) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    with keys.raw_signer(credential, pin=softhsm_token.pin) as sign:
        signature = sign(b"data")
    public = x509.load_der_x509_certificate(softhsm_token.certificate_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())


def test_two_tokens_in_one_test(make_softhsm_token: Any) -> None:
    first = make_softhsm_token("Lê Minh Quang")
    second = make_softhsm_token("Trần Thị Mai")
    for token in (first, second):
        with p11.session(token.module, token_label=token.token_label, pin=token.pin) as opened:
            assert p11.read_certificate(opened, label=token.key_label) == token.certificate_der


def test_nested_and_concurrent_sessions_share_one_login(
    softhsm_token: SoftToken, settings: Any
) -> None:
    """PKCS#11 logs in a process, not a session: a session opened inside another (signing with
    an HSM key while the time-stamp authority signs with another key of the same HSM) and
    sessions of several threads all work, and closing one logs none of the others out."""
    credential = _pkcs11_credential(softhsm_token, settings)
    public = x509.load_der_x509_certificate(softhsm_token.certificate_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    with keys.raw_signer(credential, pin=softhsm_token.pin) as outer:
        with keys.raw_signer(credential, pin=softhsm_token.pin) as inner:
            public.verify(inner(b"inner"), b"inner", padding.PKCS1v15(), hashes.SHA256())
        public.verify(outer(b"outer"), b"outer", padding.PKCS1v15(), hashes.SHA256())

    def sign_many(number: int) -> int:
        for round_ in range(5):
            data = f"{number}-{round_}".encode()
            with keys.raw_signer(credential, pin=softhsm_token.pin) as sign:
                public.verify(sign(data), data, padding.PKCS1v15(), hashes.SHA256())
        return number

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sorted(pool.map(sign_many, range(4))) == [0, 1, 2, 3]


def test_a_wrong_pin_is_refused_even_once_logged_in(
    softhsm_token: SoftToken, settings: Any
) -> None:
    credential = _pkcs11_credential(softhsm_token, settings)
    with keys.open_signer(credential, pin=softhsm_token.pin):
        pass
    with (
        pytest.raises(keys.KeyUnavailable, match="refused the PIN"),
        keys.open_signer(credential, pin="111111"),
    ):
        pass
    with keys.open_signer(credential, pin=softhsm_token.pin) as signer:
        _assert_valid(_sign(signer), softhsm_token.certificate_der)
