"""PDFs for the validation tests, signed with real keys through pyHanko: certificates of the
built-in authority (sealed PKCS#12), time stamps of the built-in authority, and a foreign
authority that is not in the trust store."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.api import CAdESSignedAttrSpec
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.pdfgen import canvas

from secretariat.core import clock
from secretariat.signing import pki, trust, tsa
from secretariat.signing.models import Credential, CredentialPurpose

SIGNED_TEXT = b"Quyet dinh so 12-QD/TU"


def plain_pdf(text: str = SIGNED_TEXT.decode()) -> bytes:
    """A one-page PDF whose page content is not compressed (tests find the text in it)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pageCompression=0)
    page.drawString(72, 720, text)
    page.drawString(72, 700, "Van ban thu nghiem chu ky so.")
    page.showPage()
    page.save()
    return buffer.getvalue()


def personal_credential(user: Any, **options: Any) -> Credential:
    """A personal certificate of the built-in authority for `user` (the key sealed here)."""
    return pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(
            common_name=options.pop("common_name", "Nguyễn Văn A"),
            organization=options.pop("organization", "Tỉnh ủy Lâm Đồng"),
            title=options.pop("title", "Bí thư"),
        ),
        user=user,
        **options,
    )


def key_holder(credential: Credential) -> signers.SimpleSigner:
    """A pyHanko signer straight from the credential's key: signs even when the certificate is
    revoked or expired (what a thief of the key could do; the service refuses that)."""
    signer = signers.SimpleSigner.load_pkcs12_data(pki.credential_pkcs12(credential), [])
    assert signer is not None
    return signer


def sign(
    pdf: bytes,
    signer: Any,
    *,
    level: str = "B-T",
    field_name: str = "Signature1",
    content_timestamp: bool = False,
) -> bytes:
    """`pdf` signed with pyHanko at a PAdES level; `content_timestamp` adds a time stamp of the
    content taken before signing (proof of the earliest signing time)."""
    long_term = level in ("B-LT", "B-LTA")
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=long_term,
        validation_context=trust.validation_context(allow_fetching=False) if long_term else None,
        use_pades_lta=level == "B-LTA",
        cades_signed_attr_spec=CAdESSignedAttrSpec(timestamp_content=True)
        if content_timestamp
        else None,
    )
    timestamper = tsa.timestamper() if level != "B-B" or content_timestamp else None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper).getvalue()


def add_page_text(pdf: bytes, text: str) -> bytes:
    """An incremental update that writes `text` on the first page (a change a signature does
    not allow)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=f"BT /F1 18 Tf 72 600 Td ({text}) Tj ET".encode())
    contents = page["/Contents"]
    items = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*items, writer.add_object(stream)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass(frozen=True)
class ForeignAuthority:
    """A certification authority this node does not know, and a signer it certified."""

    root_der: bytes
    root_pem: bytes
    signer: signers.SimpleSigner


def foreign_authority(common_name: str = "Trần Thị B") -> ForeignAuthority:
    now = clock.now()
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cơ quan khác"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Foreign Root CA"),
        ]
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                ]
            )
        )
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    root_der = root.public_bytes(serialization.Encoding.DER)
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(leaf.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(root_der)]),
    )
    return ForeignAuthority(
        root_der=root_der,
        root_pem=root.public_bytes(serialization.Encoding.PEM),
        signer=signer,
    )
