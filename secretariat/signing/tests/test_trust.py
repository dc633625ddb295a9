"""Trust store administration: what goes in (roots, intermediates), what is refused (and then
nothing at all is stored), who may change it, and validation following the changes."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from reportlab.pdfgen import canvas

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.signing import keys, pki, trust
from secretariat.signing.models import AnchorKind, CredentialPurpose, TrustAnchor

CA_USAGE = x509.KeyUsage(True, False, False, False, False, True, True, False, False)


def _ca(
    name: str,
    *,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
    ca: bool = True,
    days: int = 3650,
    start: dt.datetime | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(CA_USAGE, critical=True)
    )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256()), key


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


@pytest.fixture
def admins(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        "node": make_user("nodeadmin", role=Role.SYSTEM_ADMIN, unit=tree["province"]),
        "commune": make_user("communeadmin", role=Role.SYSTEM_ADMIN, unit=tree["commune_a"]),
        "clerk": make_user("clerk", role=Role.RECORDS_CLERK, unit=tree["province"]),
    }


def test_bundle_with_root_and_intermediate(admins: dict[str, Any]) -> None:
    root = _ca("Ban Cơ yếu Chính phủ Root CA")
    intermediate = _ca("Ban Cơ yếu Chính phủ CA cấp 2", issuer=root)
    added = trust.add_anchors(
        actor=admins["node"], data=b"comment before\n" + _pem(root[0], intermediate[0])
    )
    assert [a.kind for a in added] == [AnchorKind.ROOT, AnchorKind.INTERMEDIATE]
    assert added[0].subject == "CN=Ban Cơ yếu Chính phủ Root CA"
    assert added[0].added_by == admins["node"]
    assert all(a.active for a in added)
    assert AuditEvent.objects.filter(action="signing.trust_anchor_added").count() == 2
    roots = {c.subject.human_friendly for c in trust.trust_roots()}
    assert "Common Name: Ban Cơ yếu Chính phủ Root CA" in roots
    assert len(trust.intermediates()) == 1


def test_one_der_certificate(admins: dict[str, Any]) -> None:
    root = _ca("DER Root")
    (anchor,) = trust.add_anchors(
        actor=admins["node"], data=root[0].public_bytes(serialization.Encoding.DER)
    )
    assert anchor.kind == AnchorKind.ROOT
    assert anchor.fingerprint == pki.fingerprint(root[0].public_bytes(serialization.Encoding.DER))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: b"", "empty"),
        (lambda: b"\x00garbage\xff" * 10, "not a certificate"),
        (
            lambda: b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n",
            "cannot be read",
        ),
        (
            lambda: (
                _pem(_ca("Good root")[0])
                + b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            "Item 2 of the file is not a certificate",
        ),
        (
            lambda: _pem(_ca("Good root")[0], _ca("Leaf", ca=False)[0]),
            r"Certificate 2 \(CN=Leaf\) is not an authority",
        ),
        (
            lambda: _pem(_ca("Expired", start=dt.datetime(2015, 1, 1, tzinfo=dt.UTC), days=365)[0]),
            "has expired",
        ),
        (lambda: (lambda c: _pem(c, c))(_ca("Twice")[0]), "appears twice"),
    ],
)
def test_bad_uploads_store_nothing(admins: dict[str, Any], build: Any, message: str) -> None:
    before = TrustAnchor.objects.count()
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match=message):
        trust.add_anchors(actor=admins["node"], data=build())
    assert TrustAnchor.objects.count() == before
    assert AuditEvent.objects.count() == audit_before


def test_already_trusted_certificate_refuses_the_whole_file(admins: dict[str, Any]) -> None:
    known = _ca("Known root")
    trust.add_anchors(actor=admins["node"], data=_pem(known[0]))
    new = _ca("New root")
    with pytest.raises(ValidationFailed, match=r"Certificate 2 \(CN=Known root\) is already"):
        trust.add_anchors(actor=admins["node"], data=_pem(new[0], known[0]))
    assert not TrustAnchor.objects.filter(subject="CN=New root").exists()


def test_only_node_wide_administrators_change_the_store(admins: dict[str, Any]) -> None:
    root = _ca("Root")
    for actor in (admins["commune"], admins["clerk"]):
        with pytest.raises(PermissionDenied):
            trust.add_anchors(actor=actor, data=_pem(root[0]))
    (anchor,) = trust.add_anchors(actor=admins["node"], data=_pem(root[0]))
    with pytest.raises(PermissionDenied):
        trust.set_anchor_active(actor=admins["commune"], anchor=anchor, active=False)
    # Managers somewhere read the store; others do not.
    assert trust.anchors_visible_to(user=admins["commune"]).filter(pk=anchor.pk).exists()
    assert not trust.anchors_visible_to(user=admins["clerk"]).exists()


def _signed_pdf(credential: Any) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, "Thông báo")
    page.showPage()
    page.save()
    with keys.open_signer(credential) as signer:
        return signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(out.getvalue())),
            signers.PdfSignatureMetadata(
                field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES
            ),
            signer=signer,
        ).getvalue()


def _trusted(pdf: bytes) -> bool:
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(signature, trust.validation_context(allow_fetching=False))
    return bool(status.trusted)


def test_deactivating_a_root_stops_trusting_its_signatures(admins: dict[str, Any]) -> None:
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name="Lê Minh Quang"),
    )
    pdf = _signed_pdf(credential)
    assert _trusted(pdf)
    anchor = TrustAnchor.objects.get(fingerprint=pki.fingerprint(pki.authority_certificate_der()))
    trust.set_anchor_active(actor=admins["node"], anchor=anchor, active=False)
    assert not _trusted(pdf)
    assert AuditEvent.objects.filter(action="signing.trust_anchor_deactivated").count() == 1
    trust.set_anchor_active(actor=admins["node"], anchor=anchor, active=True)
    assert _trusted(pdf)
    assert AuditEvent.objects.filter(action="signing.trust_anchor_activated").count() == 1
    # Setting the state it already has changes nothing and records nothing.
    trust.set_anchor_active(actor=admins["node"], anchor=anchor, active=True)
    assert AuditEvent.objects.filter(action="signing.trust_anchor_activated").count() == 1
