"""PAdES signing on bytes (`pades`): every level, with a PKCS#12 key and a key in SoftHSM2, each
signature checked by independent tools — poppler's `pdfsig` and the `pyhanko` command line —
and deferred signing with a key pyHanko never sees.

The helpers here (`make_pdf`, `pdfsig`, `pyhanko_verdict`…) are shared by the other signing
tests of this app."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from pkcs11 import Mechanism, ObjectClass
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from secretariat.signing import keys, pades, pki
from secretariat.signing import pkcs11 as p11
from secretariat.signing.appearance import Stamp
from secretariat.signing.models import Credential, CredentialPurpose, TrustAnchor
from secretariat.signing.tests.softhsm import SoftToken

PYHANKO_CLI = str(Path(sys.executable).parent / "pyhanko")

# --- Shared helpers -------------------------------------------------------------------------


def make_pdf(pages: int = 1, *, title: str = "QUYET DINH") -> bytes:
    """A small text PDF of `pages` A4 pages (reportlab)."""
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        drawing.setFont("Helvetica-Bold", 16)
        drawing.drawString(200, 780, title)
        drawing.setFont("Helvetica", 11)
        drawing.drawString(72, 740, f"Page {number} of {pages}")
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def personal_credential(user: Any, common_name: str = "Nguyễn Thị Hằng") -> Credential:
    return pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name=common_name, organization="Tỉnh ủy Lâm Đồng"),
        user=user,
    )


def hsm_credential(user: Any, hsm: dict[str, str], common_name: str = "Trần Văn Bình") -> Any:
    """A personal credential whose key is generated in the SoftHSM2 token `hsm` (the node's
    HSM, see the `hsm` fixture)."""
    return pki.issue_pkcs11_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name=common_name),
        user=user,
        module=hsm["module"],
        token_label=hsm["token_label"],
        key_label=f"personal-{user.username}",
        pin=hsm["pin"],
    )


def _write(pdf: bytes, directory: Path, name: str = "signed.pdf") -> Path:
    path = directory / name
    path.write_bytes(pdf)
    return path


def pdfsig(pdf: bytes, directory: Path) -> list[dict[str, str]]:
    """poppler's report on each signature: {"Signature Validation": ..., ...}. Certificates
    are not checked (pdfsig trusts an NSS database, which the test machine has none of: the
    chain is checked by the pyhanko command instead), nor OCSP (no network)."""
    path = _write(pdf, directory, "pdfsig.pdf")
    result = subprocess.run(
        ["pdfsig", "-nocert", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    signatures: list[dict[str, str]] = []
    for line in result.stdout.splitlines():
        if re.match(r"^Signature #\d+:", line):
            signatures.append({})
        elif signatures and line.strip().startswith("- "):
            key, _sep, value = line.strip()[2:].partition(": ")
            signatures[-1][key.strip()] = value.strip() if value else key.strip()
            if not value:
                signatures[-1]["coverage"] = key.strip()
    return signatures


def pdfsig_dump(pdf: bytes, directory: Path) -> list[cms.ContentInfo]:
    """The CMS structures pdfsig extracts from the PDF (one per signature)."""
    work = directory / "dump"
    work.mkdir(exist_ok=True)
    path = _write(pdf, work, "dump.pdf")
    subprocess.run(
        ["pdfsig", "-nocert", "-no-ocsp", "-dump", str(path)],
        cwd=work,
        capture_output=True,
        check=True,
    )
    return [cms.ContentInfo.load(p.read_bytes()) for p in sorted(work.glob("dump.pdf.sig*"))]


def unsigned_attribute_types(signature: cms.ContentInfo) -> set[str]:
    signer_info = signature["content"]["signer_infos"][0]
    attributes = signer_info["unsigned_attrs"]
    if not attributes.native:
        return set()
    return {attribute["type"].native for attribute in attributes}


def pyhanko_verdict(pdf: bytes, directory: Path, *, level: str) -> str:
    """The `pyhanko` command's one-line verdict on the first signature, trusting exactly the
    built-in authority's root. B-B and B-T carry no revocation data and no server runs here,
    so revocation is not checked for them; B-LT and B-LTA are checked AdES-style against the
    data embedded in the document."""
    root = directory / "root.der"
    root.write_bytes(pki.authority_certificate_der())
    path = _write(pdf, directory, "pyhanko.pdf")
    if pades.LEVELS.index(level) >= pades.LEVELS.index("B-LT"):
        command = [PYHANKO_CLI, "sign", "adesverify"]
    else:
        command = [PYHANKO_CLI, "sign", "validate", "--no-revocation-check"]
    result = subprocess.run(
        [*command, "--trust", str(root), "--trust-replace", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.count(":") >= 3]
    return lines[0] if lines else result.stdout + result.stderr


def assert_independently_valid(pdf: bytes, directory: Path, *, level: str) -> None:
    """The first signature of `pdf` is a valid PAdES signature at `level` for pdfsig and for
    the pyhanko command."""
    reports = pdfsig(pdf, directory)
    assert reports, "pdfsig found no signature"
    first = reports[0]
    assert first["Signature Validation"] == "Signature is Valid."
    assert first["Signature Type"] == "ETSI.CAdES.detached"
    assert first["Signing Hash Algorithm"] == "SHA-256"
    expect_timestamp = level != "B-B"
    dumped = pdfsig_dump(pdf, directory)
    has_token = "signature_time_stamp_token" in unsigned_attribute_types(dumped[0])
    assert has_token is expect_timestamp
    if level == "B-LTA":
        assert len(reports) == 2
        assert "Time-Stamp Authority" in reports[1]["Signer Certificate Common Name"]
        assert dumped[1]["content"]["encap_content_info"]["content_type"].native == "tst_info"
    else:
        assert len(reports) == 1

    verdict = pyhanko_verdict(pdf, directory, level=level)
    assert ":INTACT:TRUSTED" in verdict, verdict
    assert ("TIMESTAMP_TOKEN<INTACT:TRUSTED>" in verdict) is expect_timestamp, verdict


def dss_of(pdf: bytes) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf)))
    except NoDSSFoundError:
        return None


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def signer_of(
    make_user: Callable[..., Any], request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Any]]:
    """signer_of("pkcs12" | "softhsm") -> a pyHanko signer of a fresh personal credential."""
    opened: list[Any] = []

    def _signer(backend: str) -> Any:
        user = make_user(f"signer-{backend}")
        if backend == "softhsm":
            credential = hsm_credential(user, request.getfixturevalue("hsm"))
        else:
            credential = personal_credential(user)
        manager = keys.open_signer(credential)
        opened.append(manager)
        return manager.__enter__()

    yield _signer
    for manager in reversed(opened):
        manager.__exit__(None, None, None)


# --- Signing at every level ------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["pkcs12", "softhsm"])
@pytest.mark.parametrize("level", pades.LEVELS)
def test_every_level_is_valid_for_pdfsig_and_pyhanko(
    signer_of: Callable[[str], Any], tmp_path: Path, level: str, backend: str
) -> None:
    """A PAdES signature at each level, with a PKCS#12 key and with a key in SoftHSM2,
    validates with both independent tools; B-T and above carry a signature time stamp,
    B-LTA a document time stamp too."""
    signed = pades.sign_pdf(make_pdf(), signer=signer_of(backend), level=level)
    assert_independently_valid(signed, tmp_path, level=level)


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_levels_embed_the_validation_data(
    signer_of: Callable[[str], Any], level: str
) -> None:
    """B-LT and B-LTA put the chain and the built-in authority's CRL in the document security
    store, so the signature validates later without asking anyone."""
    signed = pades.sign_pdf(make_pdf(), signer=signer_of("pkcs12"), level=level)
    dss = dss_of(signed)
    assert dss is not None
    assert list(dss.crls)
    subjects = {cert.subject.human_friendly for cert in dss.load_certs()}
    assert any("Root CA" in subject for subject in subjects)
    assert any("Time-Stamp Authority" in subject for subject in subjects)


def test_b_t_has_no_validation_data(signer_of: Callable[[str], Any]) -> None:
    signed = pades.sign_pdf(make_pdf(), signer=signer_of("pkcs12"), level="B-T")
    assert dss_of(signed) is None


def test_level_defaults_to_the_setting(
    signer_of: Callable[[str], Any], settings: Any, tmp_path: Path
) -> None:
    settings.SIGNING_LEVEL = "B-B"
    signed = pades.sign_pdf(make_pdf(), signer=signer_of("pkcs12"))
    assert "signature_time_stamp_token" not in unsigned_attribute_types(
        pdfsig_dump(signed, tmp_path)[0]
    )


def test_unknown_level_is_a_value_error(signer_of: Callable[[str], Any]) -> None:
    with pytest.raises(ValueError, match="B-LTA"):
        pades.sign_pdf(make_pdf(), signer=signer_of("pkcs12"), level="B-X")


def test_a_second_signature_keeps_the_first_valid(
    signer_of: Callable[[str], Any], tmp_path: Path
) -> None:
    signer = signer_of("pkcs12")
    once = pades.sign_pdf(make_pdf(), signer=signer, level="B-T", reason="Duyệt")
    twice = pades.sign_pdf(once, signer=signer, level="B-T", location="Đà Lạt")
    reports = pdfsig(twice, tmp_path)
    assert [r["Signature Field Name"] for r in reports] == ["Signature1", "Signature2"]
    assert all(r["Signature Validation"] == "Signature is Valid." for r in reports)
    assert reports[0]["coverage"] == "Not total document signed"
    assert reports[1]["coverage"] == "Total document signed"


def test_a_signed_field_is_not_signed_again(signer_of: Callable[[str], Any]) -> None:
    signer = signer_of("pkcs12")
    once = pades.sign_pdf(make_pdf(), signer=signer, level="B-B", field_name="Leader")
    with pytest.raises(pades.SigningRefused, match="already signed"):
        pades.sign_pdf(once, signer=signer, level="B-B", field_name="Leader")


def test_long_term_signature_refused_when_the_root_is_not_trusted(
    signer_of: Callable[[str], Any],
) -> None:
    """B-LT embeds validation data for a chain to a trusted root; with the root withdrawn from
    the trust store there is none, and the signer is told so."""
    signer = signer_of("pkcs12")
    TrustAnchor.objects.update(active=False)
    with pytest.raises(pades.SigningRefused, match="trust store"):
        pades.sign_pdf(make_pdf(), signer=signer, level="B-LT")


# --- PDFs that cannot be signed --------------------------------------------------------------


def test_a_pdf_certified_against_changes_is_refused(signer_of: Callable[[str], Any]) -> None:
    signer = signer_of("pkcs12")
    certified = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(make_pdf())),
        signers.PdfSignatureMetadata(
            field_name="Author", certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES
        ),
        signer=signer,
    ).getvalue()
    with pytest.raises(pades.SigningRefused, match="certified it against any change"):
        pades.sign_pdf(certified, signer=signer, level="B-B")


def test_not_a_pdf_is_refused(signer_of: Callable[[str], Any]) -> None:
    with pytest.raises(pades.SigningRefused, match="not a PDF"):
        pades.sign_pdf(b"GIF89a not a pdf", signer=signer_of("pkcs12"), level="B-B")


def test_damaged_pdf_is_refused(signer_of: Callable[[str], Any]) -> None:
    with pytest.raises(pades.SigningRefused, match="damaged"):
        pades.sign_pdf(b"%PDF-1.7\n1 0 obj <<", signer=signer_of("pkcs12"), level="B-B")


def test_truncated_pdf_is_refused(signer_of: Callable[[str], Any]) -> None:
    pdf = make_pdf()
    with pytest.raises(pades.SigningRefused):
        pades.sign_pdf(pdf[: len(pdf) // 2], signer=signer_of("pkcs12"), level="B-B")


def test_encrypted_pdf_is_refused(signer_of: Callable[[str], Any]) -> None:
    source = pikepdf.open(io.BytesIO(make_pdf()))
    encrypted = io.BytesIO()
    source.save(encrypted, encryption=pikepdf.Encryption(owner="chủ", user="", R=6))
    with pytest.raises(pades.SigningRefused, match="encrypted"):
        pades.sign_pdf(encrypted.getvalue(), signer=signer_of("pkcs12"), level="B-B")


# --- Deferred signing -------------------------------------------------------------------------


def _pkcs12_key(credential: Credential) -> Any:
    key, _cert, _extra = pkcs12.load_key_and_certificates(pki.credential_pkcs12(credential), None)
    return key


def _through_json(state: dict[str, Any]) -> dict[str, Any]:
    """The state as it comes back from `SigningSession.prepared` (a JSON column)."""
    return json.loads(json.dumps(state))


@pytest.mark.parametrize("level", pades.LEVELS)
def test_deferred_signing_with_a_key_pyhanko_never_sees(
    make_user: Callable[..., Any], tmp_path: Path, level: str
) -> None:
    """The server prepares; the key (here in `cryptography`, as on a token) signs `to_sign`
    with RSA PKCS#1 v1.5 SHA-256; the server completes from the PDF and the JSON state only.
    The result validates like a signature made in one go."""
    credential = personal_credential(make_user("leader"))
    prepared = pades.prepare_external(
        make_pdf(2),
        certificate_der=bytes(credential.certificate),
        chain_der=[pki.authority_certificate_der()],
        level=level,
        stamp=Stamp(signer_name="Nguyễn Thị Hằng", title="Bí thư", page=1),
    )
    assert b"/ByteRange" in prepared.pdf
    value = _pkcs12_key(credential).sign(prepared.to_sign, padding.PKCS1v15(), hashes.SHA256())
    signed = pades.complete_external(prepared.pdf, _through_json(prepared.state), value)
    assert_independently_valid(signed, tmp_path, level=level)


def test_deferred_signing_with_a_softhsm_key_through_python_pkcs11(
    softhsm_token: SoftToken, tmp_path: Path
) -> None:
    """As the workstation agent does: the token's certificate prepares the signature, the
    token signs the bytes through python-pkcs11 (CKM_SHA256_RSA_PKCS)."""
    prepared = pades.prepare_external(
        make_pdf(),
        certificate_der=softhsm_token.certificate_der,
        chain_der=[pki.authority_certificate_der()],
        level="B-LT",
    )
    token = p11.module(softhsm_token.module).get_token(token_label=softhsm_token.token_label)
    with token.open(user_pin=softhsm_token.pin) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=softhsm_token.key_label)
        value = bytes(key.sign(prepared.to_sign, mechanism=Mechanism.SHA256_RSA_PKCS))
    signed = pades.complete_external(prepared.pdf, _through_json(prepared.state), value)
    assert_independently_valid(signed, tmp_path, level="B-LT")


@pytest.fixture
def prepared(make_user: Callable[..., Any]) -> tuple[pades.PreparedSignature, Credential]:
    credential = personal_credential(make_user("leader"))
    return (
        pades.prepare_external(
            make_pdf(),
            certificate_der=bytes(credential.certificate),
            chain_der=[pki.authority_certificate_der()],
            level="B-T",
        ),
        credential,
    )


def test_a_wrong_signature_value_is_refused(
    prepared: tuple[pades.PreparedSignature, Credential], make_user: Callable[..., Any]
) -> None:
    """A value from another key, or a corrupted one, is refused before anything is embedded."""
    signature, credential = prepared
    right = _pkcs12_key(credential).sign(signature.to_sign, padding.PKCS1v15(), hashes.SHA256())
    corrupted = right[:-1] + bytes([right[-1] ^ 1])
    other = _pkcs12_key(personal_credential(make_user("someone"), "Lê Văn C"))
    wrong_key = other.sign(signature.to_sign, padding.PKCS1v15(), hashes.SHA256())
    for value in (corrupted, wrong_key, b""):
        with pytest.raises(pades.SigningRefused, match="does not match"):
            pades.complete_external(signature.pdf, signature.state, value)


def test_completing_another_pdf_is_refused(
    prepared: tuple[pades.PreparedSignature, Credential],
) -> None:
    signature, credential = prepared
    value = _pkcs12_key(credential).sign(signature.to_sign, padding.PKCS1v15(), hashes.SHA256())
    changed = signature.pdf.replace(b"ReportLab Generated", b"ReportLab generated")
    assert changed != signature.pdf
    with pytest.raises(pades.SigningRefused, match="not the PDF"):
        pades.complete_external(changed, signature.state, value)


def test_a_damaged_state_is_refused(prepared: tuple[pades.PreparedSignature, Credential]) -> None:
    signature, credential = prepared
    value = _pkcs12_key(credential).sign(signature.to_sign, padding.PKCS1v15(), hashes.SHA256())
    for broken in (
        {},
        {**signature.state, "signed_attributes": "***"},
        {**signature.state, "level": "B-Z"},
        {**signature.state, "version": 99},
    ):
        with pytest.raises(pades.SigningRefused, match="incomplete or damaged"):
            pades.complete_external(signature.pdf, broken, value)


def test_signed_attributes_hold_the_document_digest(
    prepared: tuple[pades.PreparedSignature, Credential],
) -> None:
    """`to_sign` is the DER of the signed attributes, whose message digest is the PDF's."""
    signature, _credential = prepared
    attributes = cms.CMSAttributes.load(signature.to_sign)
    by_type = {a["type"].native: a["values"][0].native for a in attributes}
    assert by_type["message_digest"] == bytes.fromhex(signature.state["document_digest"])
    assert by_type["content_type"] == "data"
    assert "signing_certificate_v2" in by_type
    assert base64.b64decode(signature.state["signed_attributes"]) == signature.to_sign


def test_preparing_with_a_bad_certificate_is_refused() -> None:
    with pytest.raises(pades.SigningRefused, match="certificate"):
        pades.prepare_external(make_pdf(), certificate_der=b"not a certificate", level="B-B")


def test_independent_validators_are_installed() -> None:
    """The tools the tests check signatures with are present (poppler-utils' pdfsig, the
    pyhanko-cli dev dependency): a missing one fails here in words, not as a parse error."""
    assert shutil.which("pdfsig"), "install the Debian package poppler-utils"
    assert Path(PYHANKO_CLI).exists(), "install the dev dependency pyhanko-cli"
