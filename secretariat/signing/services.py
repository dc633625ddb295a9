"""Signing on the server: the one way to sign a PDF with a key the server holds (the HSM, a
PKCS#11 device; sealed PKCS#12 files in the demo).

Keys on an official's workstation token are used through the signing agent instead
(`sessions`, with `pades.prepare_external` / `complete_external`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.db import transaction
from django.utils.translation import gettext as _
from pyhanko.sign.pkcs11 import PKCS11Signer

from secretariat.audit.services import record
from secretariat.core import clock
from secretariat.core.errors import Conflict, DomainError, ValidationFailed

from . import keys, pades, pki
from . import pkcs11 as p11
from .appearance import Stamp
from .models import Credential, CredentialPurpose, KeyBackend


@dataclass(frozen=True)
class SignedPdf:
    """The signed bytes and the facts an app keeps about the signature (JSON-able)."""

    pdf: bytes
    details: dict[str, Any] = field(default_factory=dict)


def check_usable(credential: Credential) -> None:
    """Conflict when the server may not sign with `credential` now: revoked, inactive,
    expired or not yet valid, not a signing certificate, or its key is on a workstation."""
    now = clock.now()
    if credential.revoked_at is not None:
        raise Conflict(_("This certificate is revoked: it can no longer sign."))
    if not credential.active:
        raise Conflict(_("This certificate is no longer active: it can no longer sign."))
    if credential.not_after <= now:
        raise Conflict(_("This certificate has expired: it can no longer sign."))
    if credential.not_before > now:
        raise Conflict(_("This certificate is not valid yet."))
    if credential.purpose == CredentialPurpose.TIMESTAMP:
        raise Conflict(_("This certificate is for time stamps, not for signing documents."))
    if credential.backend == KeyBackend.WORKSTATION:
        raise Conflict(_("This key is on the official's USB token: sign with the signing agent."))


def _level(level: str | None) -> str:
    try:
        return pades.resolve_level(level)
    except ValueError as error:
        message = _("Unknown signature level. Choose one of: %(levels)s.") % {
            "levels": ", ".join(pades.LEVELS)
        }
        raise ValidationFailed(message, field_errors={"level": [message]}) from error


def _sign_and_record(
    *,
    actor: Any,
    signer: Any,
    credential: Credential | None,
    pdf: bytes,
    level: str,
    stamp: Stamp | None,
    reason: str,
    location: str,
    extra: dict[str, Any],
) -> SignedPdf:
    signed = pades.sign_pdf(
        pdf, signer=signer, level=level, stamp=stamp, reason=reason, location=location
    )
    certificate = x509.load_der_x509_certificate(signer.signing_cert.dump())
    details = {
        "credential": str(credential.pk) if credential is not None else "",
        "certificate_subject": pki.name_text(certificate.subject),
        "certificate_serial": format(certificate.serial_number, "x"),
        "level": level,
        "input_sha256": hashlib.sha256(pdf).hexdigest(),
        "output_sha256": hashlib.sha256(signed).hexdigest(),
        "signed_at": clock.now().isoformat(),
        **extra,
    }
    with transaction.atomic(durable=True):
        record(
            actor=actor,
            action="signing.signed",
            obj=credential,
            unit=credential.unit if credential is not None else None,
            data={k: v for k, v in details.items() if k != "credential"},
        )
    return SignedPdf(pdf=signed, details=details)


def _key_error(error: keys.KeyUnavailable) -> DomainError:
    if isinstance(error.__cause__, p11.WrongPin):
        return ValidationFailed(str(error), field_errors={"pin": [str(error)]})
    return Conflict(str(error))


def sign(
    *,
    actor: Any,
    credential: Credential,
    pdf: bytes,
    level: str | None = None,
    stamp: Stamp | None = None,
    pin: str | None = None,
    reason: str = "",
    location: str = "",
) -> SignedPdf:
    """`pdf` signed with `credential`'s key at PAdES `level` (default `SIGNING_LEVEL`), with
    the visible `stamp` (None: invisible). `pin` opens a PKCS#11 key (default: the HSM's
    configured PIN).

    The signature is made outside any transaction — a token, an HSM and a time-stamp authority
    are slow, and the node's write lock must not wait for them — so call this outside one; the
    audit event `signing.signed` is then written in its own short transaction."""
    level = _level(level)
    check_usable(credential)
    try:
        with keys.open_signer(credential, pin=pin) as signer:
            return _sign_and_record(
                actor=actor,
                signer=signer,
                credential=credential,
                pdf=pdf,
                level=level,
                stamp=stamp,
                reason=reason,
                location=location,
                extra={},
            )
    except keys.KeyUnavailable as error:
        raise _key_error(error) from error


def sign_with_device(
    *,
    actor: Any,
    module: str,
    token_label: str,
    key_label: str,
    pin: str,
    pdf: bytes,
    level: str | None = None,
    stamp: Stamp | None = None,
    reason: str = "",
    location: str = "",
) -> SignedPdf:
    """`pdf` signed with the key labelled `key_label` on the PKCS#11 token `token_label` of
    `module`, with the certificate stored next to it on the token (an operator's token given
    on the command line rather than a registered credential). When that certificate is
    registered here, the credential's checks apply and it must be `actor`'s or their unit's."""
    level = _level(level)
    try:
        with p11.session(module, token_label=token_label, pin=pin) as opened:
            p11.find_private_key(opened, label=key_label)
            certificate_der = p11.read_certificate(opened, label=key_label)
            if certificate_der is None:
                raise Conflict(
                    _("No certificate labelled %(label)s is stored next to the key on the token.")
                    % {"label": key_label}
                )
            credential = Credential.objects.filter(
                fingerprint=hashlib.sha256(certificate_der).hexdigest()
            ).first()
            if credential is not None:
                check_usable(credential)
                if credential.user_id is not None and credential.user_id != getattr(
                    actor, "pk", None
                ):
                    raise Conflict(_("The certificate on this token belongs to someone else."))
            certificate = asn1_x509.Certificate.load(certificate_der)
            chain = (
                [asn1_x509.Certificate.load(pki.authority_certificate_der())]
                if pades.issued_by_builtin_authority(certificate)
                else []
            )
            signer = PKCS11Signer(
                opened,
                key_label=key_label,
                signing_cert=certificate,
                ca_chain=chain,
                other_certs_to_pull=(),
            )
            return _sign_and_record(
                actor=actor,
                signer=signer,
                credential=credential,
                pdf=pdf,
                level=level,
                stamp=stamp,
                reason=reason,
                location=location,
                extra={"token": token_label, "key_label": key_label},
            )
    except p11.DeviceError as error:
        message = keys._device_message(error)
        if isinstance(error, p11.WrongPin):
            raise ValidationFailed(message, field_errors={"pin": [message]}) from error
        raise Conflict(message) from error
