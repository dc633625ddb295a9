"""The node's built-in certification authority (for nodes without an external one, the demo and
the tests): a root, certificates for users (personal signatures), units (organization seals) and
the time-stamp authority, revocation and CRLs.

The CA's key is RSA-3072, sealed by the master key in `Authority.sealed_key`; issued keys are
RSA-2048 (DOMAIN.md §4: what the Government Cipher Committee's tokens use) and, unless they are
generated on a PKCS#11 device, kept sealed as PKCS#12 (demo only). Every certificate names the
CRL and OCSP addresses of this node (`PUBLIC_URL`), so other validators can check revocation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import transaction

from secretariat.audit.services import record
from secretariat.core import clock
from secretariat.core.keys import seal, unseal
from secretariat.core.locks import advisory_lock

from .models import AnchorKind, Authority, Credential, CredentialPurpose, KeyBackend, TrustAnchor

CA_VALIDITY_DAYS = 365 * 20
CERT_VALIDITY_DAYS = 365 * 3
# id-kp-documentSigning (RFC 9336)
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _key_context(authority_id: Any) -> str:
    return f"signing.authority-key:{authority_id}"


def _p12_context(credential_id: Any) -> str:
    return f"signing.credential-pkcs12:{credential_id}"


def crl_url() -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}/signing/ca/crl"


def ocsp_url() -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}/signing/ca/ocsp"


def ca_certificate_url() -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}/signing/ca/certificate"


# --- The authority ------------------------------------------------------------------------


def authority() -> Authority:
    """The active built-in authority, created on first use (its root becomes a trust anchor,
    recorded in the audit log like an administrator's import)."""
    found = Authority.objects.filter(active=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        advisory_lock("signing.authority")
        found = Authority.objects.filter(active=True).first()
        if found is not None:
            return found
        return _create_authority()


def _create_authority() -> Authority:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.NODE_NAME),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{settings.NODE_NAME} Root CA"),
        ]
    )
    now = clock.now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    row = Authority(name=f"{settings.NODE_NAME} Root CA", certificate=der, sealed_key=b"")
    row.sealed_key = seal(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        context=_key_context(row.id),
    )
    row.save()
    TrustAnchor.objects.get_or_create(
        fingerprint=fingerprint(der),
        defaults={
            "kind": AnchorKind.ROOT,
            "certificate": der,
            "subject": certificate.subject.rfc4514_string(),
            "issuer": certificate.issuer.rfc4514_string(),
            "not_before": certificate.not_valid_before_utc,
            "not_after": certificate.not_valid_after_utc,
        },
    )
    record(
        actor=None,
        action="signing.authority_created",
        obj=row,
        data={"subject": certificate.subject.rfc4514_string(), "fingerprint": fingerprint(der)},
    )
    return row


def authority_certificate(row: Authority | None = None) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes((row or authority()).certificate))


def authority_key(row: Authority | None = None) -> rsa.RSAPrivateKey:
    row = row or authority()
    key = serialization.load_der_private_key(
        unseal(bytes(row.sealed_key), context=_key_context(row.id)), password=None
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


# --- Issuing ----------------------------------------------------------------------------------


def build_certificate(
    *,
    public_key: Any,
    subject: x509.Name,
    purpose: str,
    valid_days: int = CERT_VALIDITY_DAYS,
    not_before: dt.datetime | None = None,
) -> x509.Certificate:
    """A certificate of the built-in authority for `public_key` (an RSA public key from a
    generated key, or read from a PKCS#11 device)."""
    row = authority()
    ca_cert = authority_certificate(row)
    start = not_before or (clock.now() - dt.timedelta(minutes=5))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url())],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(ocsp_url()),
                    ),
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(ca_certificate_url()),
                    ),
                ]
            ),
            critical=False,
        )
    )
    if purpose == CredentialPurpose.TIMESTAMP:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
    return builder.sign(authority_key(row), hashes.SHA256())


def subject_for(*, common_name: str, organization: str = "", title: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(attributes)


def credential_row(
    certificate: x509.Certificate,
    *,
    purpose: str,
    backend: str,
    user: Any = None,
    unit: Any = None,
    issued_here: bool,
) -> Credential:
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Credential(
        purpose=purpose,
        user=user,
        unit=unit,
        certificate=der,
        fingerprint=fingerprint(der),
        serial=format(certificate.serial_number, "x"),
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        backend=backend,
        issued_here=issued_here,
    )


def issue_pkcs12_credential(
    *,
    actor: Any,
    purpose: str,
    subject: x509.Name,
    user: Any = None,
    unit: Any = None,
    valid_days: int = CERT_VALIDITY_DAYS,
    not_before: dt.datetime | None = None,
) -> Credential:
    """A new key pair and certificate of the built-in authority, the key kept as a sealed
    PKCS#12 (the demo's and tests' keys; production keys live on PKCS#11 devices)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = build_certificate(
        public_key=key.public_key(),
        subject=subject,
        purpose=purpose,
        valid_days=valid_days,
        not_before=not_before,
    )
    with transaction.atomic():
        row = credential_row(
            certificate,
            purpose=purpose,
            backend=KeyBackend.PKCS12,
            user=user,
            unit=unit,
            issued_here=True,
        )
        p12 = pkcs12.serialize_key_and_certificates(
            name=None,
            key=key,
            cert=certificate,
            cas=[authority_certificate()],
            encryption_algorithm=serialization.NoEncryption(),
        )
        row.sealed_pkcs12 = seal(p12, context=_p12_context(row.id))
        row.save()
        record(
            actor=actor,
            action="signing.credential_issued",
            obj=row,
            unit=unit,
            data={"subject": row.subject, "serial": row.serial, "purpose": purpose},
        )
    return row


def credential_pkcs12(credential: Credential) -> bytes:
    """The PKCS#12 bytes of a demo credential (no password inside: it is sealed at rest)."""
    if credential.backend != KeyBackend.PKCS12 or not credential.sealed_pkcs12:
        raise ValueError("this credential's key is not kept here")
    return unseal(bytes(credential.sealed_pkcs12), context=_p12_context(credential.id))


@transaction.atomic
def revoke(*, actor: Any, credential: Credential, reason: str = "unspecified") -> Credential:
    """Revoke a certificate of the built-in authority; the next CRL and OCSP answers say so."""
    if not credential.issued_here:
        raise ValueError("only certificates of the built-in authority are revoked here")
    if credential.revoked_at is None:
        credential.revoked_at = clock.now()
        credential.revocation_reason = reason
        credential.active = False
        credential.save(update_fields=["revoked_at", "revocation_reason", "active", "updated_at"])
        record(
            actor=actor,
            action="signing.credential_revoked",
            obj=credential,
            unit=credential.unit,
            data={"serial": credential.serial, "reason": reason},
        )
    return credential


def crl_der(*, next_update_hours: int = 24) -> bytes:
    """A CRL of the built-in authority listing every revoked certificate it issued."""
    row = authority()
    ca_cert = authority_certificate(row)
    now = clock.now()
    with transaction.atomic():
        advisory_lock("signing.crl")
        Authority.objects.filter(pk=row.pk).update(crl_number=row.crl_number + 1)
        number = row.crl_number + 1
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(hours=next_update_hours))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for serial, revoked_at in Credential.objects.filter(
        issued_here=True, revoked_at__isnull=False
    ).values_list("serial", "revoked_at"):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(serial, 16))
            .revocation_date(revoked_at)
            .build()
        )
    crl = builder.sign(authority_key(row), hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def random_token() -> str:
    return secrets.token_urlsafe(32)
