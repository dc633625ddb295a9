"""WebAuthn ceremonies (security keys, passkeys) around py_webauthn 3.x.

Pure functions: they build the options a browser needs and verify what it sends back. They read
and write nothing in the database; `services/mfa.py` stores credentials and audits. The relying
party (id, name, accepted origins) comes from settings at call time, so tests may override it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from secretariat.core.errors import ValidationFailed

from .models import User, WebAuthnCredential

_KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}


class PasskeyError(ValidationFailed):
    """The browser's answer is malformed or does not verify."""


@dataclass(frozen=True)
class RegisteredKey:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str]


def _descriptors(credentials: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=bytes(c.credential_id),
            transports=[AuthenticatorTransport(t) for t in c.transports if t in _KNOWN_TRANSPORTS],
        )
        for c in credentials
    ]


def registration_options(
    *, user: User, existing: list[WebAuthnCredential]
) -> tuple[dict[str, Any], bytes]:
    """Options for navigator.credentials.create() and the challenge to remember."""
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_name=user.username,
        # The user handle must not reveal personal data; the UUID is opaque.
        user_id=user.pk.bytes,
        user_display_name=str(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        # Registering the same authenticator twice would only confuse the list of keys.
        exclude_credentials=_descriptors(existing),
    )
    return json.loads(options_to_json(options)), options.challenge


def authentication_options(
    *, credentials: list[WebAuthnCredential]
) -> tuple[dict[str, Any], bytes]:
    """Options for navigator.credentials.get(), limited to the pending user's keys."""
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        allow_credentials=_descriptors(credentials),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return json.loads(options_to_json(options)), options.challenge


def verify_registration(*, credential: dict[str, Any], challenge: bytes) -> RegisteredKey:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=list(settings.WEBAUTHN_ORIGINS),
        )
    # py_webauthn raises its own errors for what it checks, and plain ones (KeyError, TypeError,
    # ValueError) for shapes it does not expect: all are the client's fault, none is a 500.
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise PasskeyError(_("The security key could not be registered.")) from exc
    transports = credential.get("response", {}).get("transports") or []
    return RegisteredKey(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str) and t in _KNOWN_TRANSPORTS],
    )


def credential_id_of(credential: dict[str, Any]) -> bytes:
    """The credential id the browser claims to have used (verified later against its key)."""
    raw = credential.get("rawId") or credential.get("id")
    if not isinstance(raw, str):
        raise PasskeyError(_("The security key answer is incomplete."))
    try:
        return base64url_to_bytes(raw)
    except (ValueError, TypeError) as exc:
        raise PasskeyError(_("The security key answer is incomplete.")) from exc


def verify_authentication(
    *, credential: dict[str, Any], challenge: bytes, stored: WebAuthnCredential
) -> int:
    """Verify an assertion against a stored key; returns the new signature counter."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=list(settings.WEBAUTHN_ORIGINS),
            credential_public_key=bytes(stored.public_key),
            credential_current_sign_count=stored.sign_count,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise PasskeyError(_("The security key was not accepted.")) from exc
    return int(verified.new_sign_count)


def encode(value: bytes) -> str:
    return bytes_to_base64url(value)


def decode(value: str) -> bytes:
    return base64url_to_bytes(value)
