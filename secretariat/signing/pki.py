"""The node's built-in certification authority (for nodes without an external one, the demo and
the tests): a root, certificates for users (personal signatures), units (organization seals) and
the time-stamp authority, revocation and CRLs (OCSP answers: `ocsp.py`); and the services that
register, issue and revoke signing credentials.

The CA's key is RSA-3072, sealed by the master key in `Authority.sealed_key`; issued keys are
RSA-2048 (DOMAIN.md §4: what the Government Cipher Committee's tokens use). Where an issued key
lives is a node setting: on the HSM when `SIGNING_PKCS11_MODULE` is set (generated there, never
leaving it), else in a sealed PKCS#12 (demo only). Every certificate names the CRL and OCSP
addresses of this node (`PUBLIC_URL`), so other validators can check revocation.

Officials' own certificates (the Government Cipher Committee's, on their USB tokens) are
registered with `import_credential`; the node never sees their keys.

Who may: `Action.SIGNING_MANAGE` on the holder's unit (for a user: a unit where they hold a
position or a role). Credentials of nobody (the time-stamp authority) and the trust store are
node-wide: SIGNING_MANAGE on the root of the tree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.accounts import policy
from secretariat.accounts import selectors as account_selectors
from secretariat.accounts.models import Position, User
from secretariat.audit.services import record
from secretariat.core import clock
from secretariat.core.errors import NotFound, PermissionDenied, ValidationFailed
from secretariat.core.keys import seal, unseal
from secretariat.core.locks import advisory_lock, for_update, serialize_writes
from secretariat.orgs.models import Unit

from . import pkcs11 as p11
from .models import AnchorKind, Authority, Credential, CredentialPurpose, KeyBackend, TrustAnchor

CA_VALIDITY_DAYS = 365 * 20
CERT_VALIDITY_DAYS = 365 * 3
# id-kp-documentSigning (RFC 9336)
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# A new CRL is signed when a certificate is revoked, else at most every few minutes.
CRL_CACHE_SECONDS = 300
CRL_NEXT_UPDATE_HOURS = 24
# Keys of the PostgreSQL advisory locks held while creating one-of-a-kind rows.
_AUTHORITY_LOCK = 0x5EC2_CA01

# The reasons an administrator may give (RFC 5280 §5.3.1 CRLReason, by asn1crypto's names).
REVOCATION_REASONS = {
    "unspecified": gettext_lazy("Unspecified"),
    "key_compromise": gettext_lazy("Key compromised (token lost or stolen)"),
    "affiliation_changed": gettext_lazy("Holder changed unit"),
    "superseded": gettext_lazy("Replaced by a new certificate"),
    "cessation_of_operation": gettext_lazy("No longer needed"),
    "privilege_withdrawn": gettext_lazy("Right to sign withdrawn"),
}


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
        advisory_lock(_AUTHORITY_LOCK)
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


def authority_certificate_der() -> bytes:
    """The DER of the active authority's certificate."""
    return bytes(authority().certificate)


# The CA key, unsealed once per process (OCSP answers and CRLs sign with it often).
_authority_keys: dict[str, rsa.RSAPrivateKey] = {}


def authority_key(row: Authority | None = None) -> rsa.RSAPrivateKey:
    row = row or authority()
    found = _authority_keys.get(str(row.pk))
    if found is None:
        key = serialization.load_der_private_key(
            unseal(bytes(row.sealed_key), context=_key_context(row.id)), password=None
        )
        assert isinstance(key, rsa.RSAPrivateKey)
        found = _authority_keys[str(row.pk)] = key
    return found


# --- Issuing ----------------------------------------------------------------------------------


def build_certificate(
    *,
    public_key: Any,
    subject: x509.Name,
    purpose: str,
    valid_days: int = CERT_VALIDITY_DAYS,
    not_before: dt.datetime | None = None,
    alt_names: Sequence[str] = (),
) -> x509.Certificate:
    """A certificate of the built-in authority for `public_key` (an RSA public key from a
    generated key or read from a PKCS#11 device; an exchange node's Ed25519 key). `alt_names`
    (DNS names or IP addresses) become the subject alternative names, which TLS clients check
    against the address they dialled."""
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
    if alt_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(name) for name in alt_names]),
            critical=False,
        )
    if purpose == CredentialPurpose.TIMESTAMP:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    elif purpose == CredentialPurpose.NODE:
        # A node is a TLS server to its peers and a TLS client of theirs (mutual TLS).
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
    return builder.sign(authority_key(row), hashes.SHA256())


def _general_name(name: str) -> x509.GeneralName:
    """An IP address SAN for an address literal, else a DNS name (IDNA-encoded)."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        pass
    try:
        encoded = name.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValidationFailed(
            _("%(name)s is not a valid host name.") % {"name": name},
            field_errors={"alt_names": []},
        ) from error
    return x509.DNSName(encoded.lower())


def subject_for(*, common_name: str, organization: str = "", title: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(attributes)


def subject_for_holder(*, user: Any = None, unit: Unit | None = None) -> x509.Name:
    """The subject of a certificate for a user (name, title and unit of their primary position)
    or a unit's seal (its name, under the root unit's)."""
    if unit is not None:
        root = (
            Unit.objects.filter(path=unit.path[: Unit.steplen]).first() if unit.depth > 1 else None
        )
        return subject_for(
            common_name=unit.name, organization=root.name if root else settings.NODE_NAME
        )
    position = (
        Position.objects.filter(user=user, ended_on__isnull=True)
        .select_related("unit")
        .order_by("-is_primary", "created_at")
        .first()
    )
    return subject_for(
        common_name=user.full_name or user.username,
        organization=position.unit.name if position else "",
        title=position.title if position else "",
    )


def name_text(name: x509.Name) -> str:
    """A distinguished name as RFC 4514 text, with the title attribute named (officials'
    certificates carry it) rather than shown as its OID."""
    return name.rfc4514_string({NameOID.TITLE: "title"})


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
        subject=name_text(certificate.subject)[:500],
        issuer=name_text(certificate.issuer)[:500],
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        backend=backend,
        issued_here=issued_here,
    )


# --- Who may -----------------------------------------------------------------------------------


def node_wide(actor: Any) -> bool:
    """May `actor` manage what belongs to the whole node (trust store, time-stamp authority)?
    Yes for the system (None) and for SIGNING_MANAGE on every root of the tree."""
    if actor is None:
        return True
    roots = list(Unit.objects.filter(depth=1))
    return bool(roots) and all(policy.can(actor, policy.Action.SIGNING_MANAGE, r) for r in roots)


def require_node_wide(actor: Any) -> None:
    if not node_wide(actor):
        raise PermissionDenied(_("Only the node's signing administrators may do this."))


def users_in_scope(actor: Any) -> QuerySet[User]:
    return account_selectors.users_visible_to(user=actor, action=policy.Action.SIGNING_MANAGE)


def require_holder(actor: Any, *, user: Any = None, unit: Unit | None = None) -> None:
    """SIGNING_MANAGE over the holder: the unit, a unit of the user, or the node."""
    if actor is None:
        return
    if unit is not None:
        policy.require(actor, policy.Action.SIGNING_MANAGE, unit)
    elif user is not None:
        if not users_in_scope(actor).filter(pk=user.pk).exists():
            raise PermissionDenied(_("You do not have permission to do this here."))
    else:
        require_node_wide(actor)


def _check_holder(purpose: str, user: Any, unit: Unit | None, *, required: bool = True) -> None:
    """The purpose is known and fits the holder. `required=False` (the low-level issuers, given
    an explicit subject: tests, tools) lets a personal or seal certificate have no holder row."""
    if purpose not in CredentialPurpose.values:
        raise ValidationFailed(_("Unknown certificate purpose."), field_errors={"purpose": []})
    if user is not None and unit is not None:
        raise ValidationFailed(_("A certificate belongs to a person or to a unit, not both."))
    if purpose == CredentialPurpose.TIMESTAMP and (user is not None or unit is not None):
        raise ValidationFailed(_("The time-stamp authority's certificate has no holder."))
    if purpose == CredentialPurpose.NODE and (user is not None or unit is not None):
        raise ValidationFailed(_("An exchange node's certificate has no holder."))
    if not required:
        return
    if purpose == CredentialPurpose.PERSONAL and user is None:
        raise ValidationFailed(
            _("A personal signature certificate needs a person."), field_errors={"user": []}
        )
    if purpose == CredentialPurpose.SEAL and unit is None:
        raise ValidationFailed(
            _("An organization seal certificate needs a unit."), field_errors={"unit": []}
        )


# --- Reading ---------------------------------------------------------------------------------


def credentials_visible_to(*, user: Any) -> QuerySet[Credential]:
    """The credentials `user` may manage: those of the units and people of their
    SIGNING_MANAGE scope, and the node's own (time-stamp authority) for node-wide managers."""
    if not policy.can(user, policy.Action.SIGNING_MANAGE):
        return Credential.objects.none()
    condition = Q(
        unit__in=policy.units_in_scope(user, policy.Action.SIGNING_MANAGE).values("pk")
    ) | Q(user__in=users_in_scope(user).values("pk"))
    if node_wide(user):
        condition |= Q(user__isnull=True, unit__isnull=True)
    return Credential.objects.filter(condition).select_related("user", "unit")


def credential_get(*, user: Any, credential_id: Any) -> Credential:
    """One credential in the caller's scope; NotFound otherwise (outside looks absent)."""
    try:
        key = uuid.UUID(str(credential_id))
    except (TypeError, ValueError, AttributeError):
        key = None
    found = credentials_visible_to(user=user).filter(pk=key).first() if key else None
    if found is None:
        raise NotFound(_("No such certificate."))
    return found


def current_credential(
    *, purpose: str, user: Any = None, unit: Unit | None = None
) -> Credential | None:
    """The holder's newest active, unrevoked credential valid now, for `purpose`."""
    now = clock.now()
    return (
        Credential.objects.filter(
            purpose=purpose,
            user=user,
            unit=unit,
            active=True,
            revoked_at__isnull=True,
            not_before__lte=now,
            not_after__gt=now,
        )
        .order_by("-not_after")
        .first()
    )


def status_of(credential: Credential) -> str:
    """`active`, `revoked` (by the built-in authority), `withdrawn` (an imported certificate
    no longer used here), `expired` or `inactive`."""
    if credential.revoked_at is not None:
        return "revoked" if credential.issued_here else "withdrawn"
    if credential.not_after <= clock.now():
        return "expired"
    return "active" if credential.active else "inactive"


def describe(credential: Credential) -> dict[str, Any]:
    """JSON-able facts about a credential (commands' `--json` output)."""
    return {
        "id": str(credential.pk),
        "purpose": credential.purpose,
        "backend": credential.backend,
        "user": credential.user.username if credential.user is not None else None,
        "unit": credential.unit.code if credential.unit is not None else None,
        "subject": credential.subject,
        "issuer": credential.issuer,
        "serial": credential.serial,
        "fingerprint": credential.fingerprint,
        "not_before": credential.not_before.isoformat(),
        "not_after": credential.not_after.isoformat(),
        "issued_here": credential.issued_here,
        "status": status_of(credential),
        "revocation_reason": credential.revocation_reason,
        "pkcs11_token_label": credential.pkcs11_token_label,
        "pkcs11_key_label": credential.pkcs11_key_label,
    }


# --- Issuing -----------------------------------------------------------------------------------


def _issued(
    row: Credential, *, actor: Any, user: Any, unit: Unit | None, data: dict[str, Any]
) -> Credential:
    record(
        actor=actor,
        action="signing.credential_issued",
        obj=row,
        unit=unit,
        data={
            "subject": row.subject,
            "serial": row.serial,
            "purpose": row.purpose,
            "backend": row.backend,
            **({"user": user.username} if user is not None else {}),
            **data,
        },
    )
    return row


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
    _check_holder(purpose, user, unit, required=False)
    require_holder(actor, user=user, unit=unit)
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
        return _issued(row, actor=actor, user=user, unit=unit, data={})


def issue_pkcs11_credential(
    *,
    actor: Any,
    purpose: str,
    subject: x509.Name,
    user: Any = None,
    unit: Any = None,
    module: str,
    token_label: str,
    key_label: str,
    pin: str,
    valid_days: int = CERT_VALIDITY_DAYS,
    not_before: dt.datetime | None = None,
) -> Credential:
    """A key pair generated on the PKCS#11 device (`module`, token `token_label`, objects
    labelled `key_label`), certified by the built-in authority; the certificate is written on
    the token next to the key. The key never leaves the device."""
    _check_holder(purpose, user, unit, required=False)
    require_holder(actor, user=user, unit=unit)
    if not key_label or len(key_label) > 64:
        raise ValidationFailed(
            _("Give a key label of at most 64 characters."), field_errors={"key_label": []}
        )
    try:
        with p11.session(module, token_label=token_label, pin=pin, rw=True) as opened:
            public_key = p11.generate_rsa_key(opened, label=key_label)
            try:
                certificate = build_certificate(
                    public_key=public_key,
                    subject=subject,
                    purpose=purpose,
                    valid_days=valid_days,
                    not_before=not_before,
                )
                p11.store_certificate(
                    opened,
                    label=key_label,
                    certificate_der=certificate.public_bytes(serialization.Encoding.DER),
                )
                with transaction.atomic():
                    row = credential_row(
                        certificate,
                        purpose=purpose,
                        backend=KeyBackend.PKCS11,
                        user=user,
                        unit=unit,
                        issued_here=True,
                    )
                    row.pkcs11_token_label = token_label
                    row.pkcs11_key_label = key_label
                    row.save()
                    return _issued(
                        row,
                        actor=actor,
                        user=user,
                        unit=unit,
                        data={"token": token_label, "key_label": key_label},
                    )
            except BaseException:
                p11.destroy_key_pair(opened, label=key_label)
                raise
    except p11.DeviceError as error:
        raise ValidationFailed(
            _("The signing device cannot be used: %(reason)s") % {"reason": error}
        ) from error


def _issue(
    *, actor: Any, purpose: str, user: Any, unit: Unit | None, valid_days: int
) -> Credential:
    subject = subject_for_holder(user=user, unit=unit)
    if settings.SIGNING_PKCS11_MODULE:
        return issue_pkcs11_credential(
            actor=actor,
            purpose=purpose,
            subject=subject,
            user=user,
            unit=unit,
            module=settings.SIGNING_PKCS11_MODULE,
            token_label=settings.SIGNING_HSM_TOKEN_LABEL,
            key_label=f"{purpose}-{secrets.token_hex(6)}",
            pin=settings.SIGNING_HSM_PIN,
            valid_days=valid_days,
        )
    return issue_pkcs12_credential(
        actor=actor, purpose=purpose, subject=subject, user=user, unit=unit, valid_days=valid_days
    )


def issue_credential(
    *,
    actor: Any,
    purpose: str,
    user: Any = None,
    unit: Unit | None = None,
    valid_days: int = CERT_VALIDITY_DAYS,
) -> Credential:
    """A certificate of the built-in authority for a user (personal) or a unit (seal), its
    subject taken from the holder. The key is generated where the node keeps keys: in the HSM
    when `SIGNING_PKCS11_MODULE` is set, else in a sealed PKCS#12 (demo)."""
    if not 1 <= valid_days <= CA_VALIDITY_DAYS:
        raise ValidationFailed(_("The validity must be between 1 day and 20 years."))
    _check_holder(purpose, user, unit)
    _refuse_special(purpose)
    require_holder(actor, user=user, unit=unit)
    with transaction.atomic(durable=True):
        return _issue(actor=actor, purpose=purpose, user=user, unit=unit, valid_days=valid_days)


def _refuse_special(purpose: str) -> None:
    """The signing credentials' services do not issue or register the node's own
    certificates: those have their own issuers, with their own keys."""
    if purpose == CredentialPurpose.TIMESTAMP:
        raise ValidationFailed(_("The time-stamp authority's certificate is issued by itself."))
    if purpose == CredentialPurpose.NODE:
        raise ValidationFailed(
            _("Exchange node certificates are issued by the exchange directory, not here.")
        )


def ensure_credential(
    *, actor: Any, purpose: str, user: Any = None, unit: Unit | None = None
) -> tuple[Credential, bool]:
    """The holder's current credential for `purpose`, issued when there is none (idempotent,
    composes in a caller's transaction: the demo seeder)."""
    found = current_credential(purpose=purpose, user=user, unit=unit)
    if found is not None:
        return found, False
    return _issue(
        actor=actor, purpose=purpose, user=user, unit=unit, valid_days=CERT_VALIDITY_DAYS
    ), True


def credential_pkcs12(credential: Credential) -> bytes:
    """The PKCS#12 bytes of a demo credential (no password inside: it is sealed at rest)."""
    if credential.backend != KeyBackend.PKCS12 or not credential.sealed_pkcs12:
        raise ValueError("this credential's key is not kept here")
    return unseal(bytes(credential.sealed_pkcs12), context=_p12_context(credential.id))


# --- Registering certificates issued elsewhere -----------------------------------------------


def load_certificate(data: bytes) -> x509.Certificate:
    """One certificate from PEM or DER bytes; ValidationFailed for anything else."""
    data = bytes(data)
    try:
        # Only PEM text is stripped: DER may well end with a byte that looks like a space.
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data.strip())
        return x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise ValidationFailed(
            _("The file is not a certificate (PEM or DER)."), field_errors={"certificate": []}
        ) from error


def _issuer_in_store(certificate: x509.Certificate) -> bool:
    for der in TrustAnchor.objects.filter(active=True).values_list("certificate", flat=True):
        if _issued_by(certificate, x509.load_der_x509_certificate(bytes(der))):
            return True
    return False


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except Exception:  # any failure (algorithm, signature, names) means "not issued by"
        return False
    return True


def import_credential(
    *,
    actor: Any,
    certificate: bytes,
    user: Any = None,
    unit: Unit | None = None,
    backend: str = KeyBackend.WORKSTATION,
    purpose: str | None = None,
    token_label: str = "",
    key_label: str = "",
) -> Credential:
    """Register a certificate issued elsewhere (an official's certificate of the Government
    Cipher Committee on their USB token, `backend="workstation"`; or a key already on the HSM,
    `backend="pkcs11"` with its token and key labels). The certificate must be valid now, fit
    for signing, issued by an authority of the trust store, and not registered yet."""
    purpose = purpose or (
        CredentialPurpose.SEAL if unit is not None else CredentialPurpose.PERSONAL
    )
    _check_holder(purpose, user, unit)
    _refuse_special(purpose)
    if backend not in (KeyBackend.WORKSTATION, KeyBackend.PKCS11):
        raise ValidationFailed(_("Choose where the key is: the official's token or the HSM."))
    if backend == KeyBackend.PKCS11 and not key_label:
        raise ValidationFailed(
            _("Give the label of the key on the HSM."), field_errors={"key_label": []}
        )
    require_holder(actor, user=user, unit=unit)
    parsed = load_certificate(certificate)
    now = clock.now()
    if parsed.not_valid_after_utc <= now:
        raise ValidationFailed(_("The certificate has expired."), field_errors={"certificate": []})
    if parsed.not_valid_before_utc > now:
        raise ValidationFailed(
            _("The certificate is not valid yet."), field_errors={"certificate": []}
        )
    try:
        constraints = parsed.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is not None and constraints.ca:
        raise ValidationFailed(
            _("This is an authority's certificate: add it to the trust store instead."),
            field_errors={"certificate": []},
        )
    try:
        usage = parsed.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise ValidationFailed(
            _("The certificate does not allow digital signatures (key usage)."),
            field_errors={"certificate": []},
        )
    if not isinstance(parsed.public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise ValidationFailed(
            _("Only RSA and elliptic-curve keys are supported."), field_errors={"certificate": []}
        )
    if not _issuer_in_store(parsed):
        raise ValidationFailed(
            _("The certificate was not issued by an authority of the trust store."),
            field_errors={"certificate": []},
        )
    der = parsed.public_bytes(serialization.Encoding.DER)
    current = Authority.objects.filter(active=True).first()
    issued_here = current is not None and _issued_by(parsed, authority_certificate(current))
    with transaction.atomic(durable=True):
        # The node's write lock first: two registrations of one certificate cannot both pass
        # the check below (the audit chain serializes writers at its head anyway).
        serialize_writes()
        if Credential.objects.filter(fingerprint=fingerprint(der)).exists():
            raise ValidationFailed(
                _("This certificate is already registered."), field_errors={"certificate": []}
            )
        row = credential_row(
            parsed, purpose=purpose, backend=backend, user=user, unit=unit, issued_here=issued_here
        )
        if backend == KeyBackend.PKCS11:
            row.pkcs11_token_label = token_label
            row.pkcs11_key_label = key_label
        row.save()
        record(
            actor=actor,
            action="signing.credential_imported",
            obj=row,
            unit=unit,
            data={
                "subject": row.subject,
                "issuer": row.issuer,
                "serial": row.serial,
                "fingerprint": row.fingerprint,
                "purpose": purpose,
                "backend": backend,
                **({"user": user.username} if user is not None else {}),
            },
        )
    return row


# --- Revocation ------------------------------------------------------------------------------


def revoke(*, actor: Any, credential: Credential, reason: str = "unspecified") -> Credential:
    """Revoke a certificate of the built-in authority (the next CRL and OCSP answers say so),
    or withdraw an imported one (no longer usable here; its own authority revokes it)."""
    if reason not in REVOCATION_REASONS:
        raise ValidationFailed(_("Unknown revocation reason."), field_errors={"reason": []})
    require_holder(actor, user=credential.user, unit=credential.unit)
    with transaction.atomic(durable=True):
        row = for_update(Credential.objects.filter(pk=credential.pk)).get()
        if row.revoked_at is not None:
            raise ValidationFailed(_("This certificate is already revoked."))
        row.revoked_at = clock.now()
        row.revocation_reason = reason
        row.active = False
        row.save(update_fields=["revoked_at", "revocation_reason", "active", "updated_at"])
        record(
            actor=actor,
            action="signing.credential_revoked"
            if row.issued_here
            else "signing.credential_withdrawn",
            obj=row,
            unit=row.unit,
            data={"serial": row.serial, "subject": row.subject, "reason": reason},
        )
    return row


# --- CRL ---------------------------------------------------------------------------------------

# (authority id) -> (revocation state, monotonic time signed, DER). A revocation changes the
# state, so the next call signs a new CRL at once, in every process.
_crl_cache: dict[str, tuple[tuple[Any, ...], float, bytes]] = {}
_crl_lock = threading.Lock()


def _revocation_state(row: Authority) -> tuple[Any, ...]:
    found = Credential.objects.filter(issued_here=True, revoked_at__isnull=False).aggregate(
        count=Count("pk"), last=Max("revoked_at")
    )
    return (str(row.pk), found["count"], found["last"])


def crl_der(*, next_update_hours: int = CRL_NEXT_UPDATE_HOURS) -> bytes:
    """The built-in authority's current CRL (every revoked certificate it issued). Signed
    again when a certificate was revoked since, or when the last one is a few minutes old;
    each signing takes the next CRL number."""
    row = authority()
    state = _revocation_state(row)
    with _crl_lock:
        cached = _crl_cache.get(str(row.pk))
        if (
            cached is not None
            and cached[0] == state
            and time.monotonic() - cached[1] < CRL_CACHE_SECONDS
        ):
            return cached[2]
    der = _sign_crl(row, next_update_hours=next_update_hours)
    with _crl_lock:
        _crl_cache[str(row.pk)] = (state, time.monotonic(), der)
    return der


def _sign_crl(row: Authority, *, next_update_hours: int) -> bytes:
    ca_cert = authority_certificate(row)
    now = clock.now()
    with transaction.atomic():
        locked = for_update(Authority.objects.filter(pk=row.pk)).get()
        locked.crl_number += 1
        locked.save(update_fields=["crl_number", "updated_at"])
        number = locked.crl_number
        revoked = list(
            Credential.objects.filter(issued_here=True, revoked_at__isnull=False).values_list(
                "serial", "revoked_at", "revocation_reason"
            )
        )
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
    for serial, revoked_at, reason in revoked:
        assert revoked_at is not None  # filtered above
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(serial, 16))
            .revocation_date(revoked_at)
        )
        # RFC 5280 §5.3.1: the reason code "unspecified" SHOULD be absent.
        if reason and reason != "unspecified":
            entry = entry.add_extension(x509.CRLReason(x509.ReasonFlags[reason]), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(authority_key(row), hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def random_token() -> str:
    return secrets.token_urlsafe(32)
