"""Second factors: TOTP devices, one-time recovery codes, WebAuthn security keys.

The only writers of `TOTPDevice`, `RecoveryCode` and `WebAuthnCredential`; every change appends an
audit event in the same transaction. Verification functions are composable (plain `atomic`)
because the sign-in services wrap them with lockout counting and the login itself; the
personal-security actions that a view calls alone are durable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import secrets
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, ValidationFailed
from secretariat.core.locks import for_update

from .. import passkeys, policy
from ..models import RecoveryCode, User, WebAuthnCredential

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: the codes are read from paper and typed by hand.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CHALLENGE_KEY = "secretariat_webauthn_challenge"
_CHALLENGE_SECONDS = 300
_PENDING_DEVICE_NAME = "pending"


# --- reads used by views and the sign-in services -------------------------------------------


def totp_device(user: User) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def passkeys_of(user: User) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user).order_by("created_at"))


def has_second_factor(user: User) -> bool:
    return totp_device(user) is not None or WebAuthnCredential.objects.filter(user=user).exists()


def recovery_codes_remaining(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@dataclass(frozen=True)
class TotpProvisioning:
    device_id: int
    secret_base32: str
    uri: str
    qr_svg: SafeString


def totp_provisioning(device: TOTPDevice) -> TotpProvisioning:
    """What an authenticator app needs: the otpauth:// URI as a QR code, and the secret typed."""
    uri = device.config_url
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return TotpProvisioning(
        device_id=device.pk,
        secret_base32=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        uri=uri,
        # Built by the qrcode library from our own URI: the username inside it is drawn as
        # modules, never emitted as markup.
        qr_svg=mark_safe(svg),  # noqa: S308
    )


def pending_totp_device(*, user: User, device_id: Any) -> TOTPDevice | None:
    """An unconfirmed device of `user` started by `totp_enrol_start`."""
    try:
        return TOTPDevice.objects.get(pk=int(device_id), user=user, confirmed=False)
    except (TOTPDevice.DoesNotExist, TypeError, ValueError):
        return None


# --- TOTP -----------------------------------------------------------------------------------


@transaction.atomic
def totp_enrol_start(*, actor: User, user: User) -> TOTPDevice:
    """Create an unconfirmed TOTP device with a fresh random secret.

    Abandoned attempts are dropped first so a user has at most one device waiting for its
    confirmation code. The confirmed device, if any, keeps working until the new one is confirmed.
    """
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=_PENDING_DEVICE_NAME, confirmed=False)
    audit.record(
        actor=actor, action="accounts.mfa_enrol_started", obj=user, data={"factor": "totp"}
    )
    return device


@transaction.atomic
def totp_enrol_confirm(*, actor: User, user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm a pending device with a code from the app; it replaces any previous TOTP device.

    Returns new recovery codes when the user had none left (to be shown once), else [].
    """
    if device.user_id != user.pk or device.confirmed:
        raise NotFound(_("This enrolment has expired. Start again."))
    if not device.verify_token(_digits(token)):
        raise ValidationFailed(
            _("The code is not valid. Check the time on your phone and try again."),
            field_errors={"code": [_("The code is not valid.")]},
        )
    replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0]
    device.confirmed = True
    device.name = "totp"
    device.save(update_fields=["confirmed", "name"])
    audit.record(
        actor=actor,
        action="accounts.mfa_enrolled",
        obj=user,
        data={"factor": "totp", "replaced": bool(replaced)},
    )
    if recovery_codes_remaining(user) == 0:
        return _recovery_codes_replace(actor=actor, user=user)
    return []


@transaction.atomic
def totp_enrol_with_secret(*, actor: User | None, user: User, secret_base32: str) -> TOTPDevice:
    """A confirmed TOTP device with a known secret — for `seed_demo` only (demo mode)."""
    if not settings.DEMO:
        raise Conflict(_("A known TOTP secret may only be enrolled in demo mode."))
    cleaned = secret_base32.replace(" ", "").upper()
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except binascii.Error as exc:
        raise ValidationFailed(_("The TOTP secret is not valid base32.")) from exc
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="totp", key=key.hex(), confirmed=True)
    audit.record(
        actor=actor, action="accounts.mfa_enrolled", obj=user, data={"factor": "totp", "demo": True}
    )
    return device


@transaction.atomic
def mfa_verify_totp(*, user: User, token: str) -> bool:
    """Check a code against the user's device (django-otp throttles repeated failures)."""
    device = totp_device(user)
    verified = device is not None and device.verify_token(_digits(token))
    audit.record(
        actor=user,
        action="accounts.mfa_verified" if verified else "accounts.mfa_failed",
        obj=user,
        data={"factor": "totp"},
    )
    return verified


def _digits(token: str) -> str:
    return "".join(ch for ch in token if ch.isdigit())


# --- recovery codes -------------------------------------------------------------------------


def _normalize_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _code_digest(code: str) -> str:
    return hashlib.sha256(_normalize_code(code).encode("ascii", "ignore")).hexdigest()


def _recovery_codes_replace(*, actor: User, user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, digest=_code_digest(c)) for c in codes)
    audit.record(
        actor=actor,
        action="accounts.mfa_recovery_codes_generated",
        obj=user,
        data={"count": len(codes)},
    )
    return codes


@transaction.atomic(durable=True)
def recovery_codes_generate(*, actor: User, user: User) -> list[str]:
    """Replace all of the user's recovery codes with new ones; the old ones stop working."""
    if not has_second_factor(user):
        raise Conflict(_("Set up an authenticator app or a security key first."))
    return _recovery_codes_replace(actor=actor, user=user)


@transaction.atomic
def mfa_verify_recovery(*, user: User, code: str) -> bool:
    """Spend one recovery code. The conditional update makes each code usable exactly once,
    even when two requests race with the same code."""
    normalized = _normalize_code(code)
    used = 0
    if normalized:
        used = RecoveryCode.objects.filter(
            user=user, digest=_code_digest(normalized), used_at__isnull=True
        ).update(used_at=clock.now())
    if used:
        audit.record(
            actor=user,
            action="accounts.mfa_recovery_code_used",
            obj=user,
            data={"remaining": recovery_codes_remaining(user)},
        )
    else:
        audit.record(
            actor=user, action="accounts.mfa_failed", obj=user, data={"factor": "recovery_code"}
        )
    return bool(used)


# --- WebAuthn -------------------------------------------------------------------------------


def _remember_challenge(session: SessionBase, purpose: str, challenge: bytes) -> None:
    session[_CHALLENGE_KEY] = {
        "purpose": purpose,
        "challenge": passkeys.encode(challenge),
        "at": clock.now().timestamp(),
    }


def _take_challenge(session: SessionBase, purpose: str) -> bytes:
    """The challenge issued for `purpose`, usable once and for five minutes."""
    saved = session.pop(_CHALLENGE_KEY, None)
    if (
        not isinstance(saved, dict)
        or saved.get("purpose") != purpose
        or clock.now().timestamp() - float(saved.get("at", 0)) > _CHALLENGE_SECONDS
    ):
        raise passkeys.PasskeyError(_("The security key request has expired. Try again."))
    return passkeys.decode(str(saved["challenge"]))


def passkey_register_begin(*, session: SessionBase, user: User) -> dict[str, Any]:
    """Options for the browser's registration ceremony; the challenge waits in the session."""
    options, challenge = passkeys.registration_options(user=user, existing=passkeys_of(user))
    _remember_challenge(session, "register", challenge)
    return options


@transaction.atomic(durable=True)
def passkey_register_complete(
    *, session: SessionBase, actor: User, user: User, name: str, credential: dict[str, Any]
) -> WebAuthnCredential:
    challenge = _take_challenge(session, "register")
    key = passkeys.verify_registration(credential=credential, challenge=challenge)
    if WebAuthnCredential.objects.filter(credential_id=key.credential_id).exists():
        raise Conflict(_("This security key is already registered."))
    stored = WebAuthnCredential.objects.create(
        user=user,
        name=(name.strip() or str(_("Security key")))[:100],
        credential_id=key.credential_id,
        public_key=key.public_key,
        sign_count=key.sign_count,
        transports=key.transports,
    )
    audit.record(
        actor=actor,
        action="accounts.mfa_key_added",
        obj=stored,
        data={"user": user.username, "name": stored.name},
    )
    return stored


@transaction.atomic(durable=True)
def passkey_remove(*, actor: User, user: User, key_id: Any) -> None:
    key = for_update(WebAuthnCredential.objects).filter(pk=key_id, user=user).first()
    if key is None:
        raise NotFound(_("This security key does not exist."))
    # A user whose role requires a second factor must keep one: removing the last one would
    # only force a new enrolment at the next sign-in, with a window of password-only access.
    others = WebAuthnCredential.objects.filter(user=user).exclude(pk=key.pk).exists()
    if policy.mfa_required(user) and not others and totp_device(user) is None:
        raise Conflict(
            _("Your role requires a second factor: add another one before removing this key.")
        )
    audit.record(
        actor=actor,
        action="accounts.mfa_key_removed",
        obj=key,
        data={"user": user.username, "name": key.name},
    )
    key.delete()


def passkey_authenticate_begin(*, session: SessionBase, user: User) -> dict[str, Any]:
    keys = passkeys_of(user)
    if not keys:
        raise NotFound(_("No security key is registered for this account."))
    options, challenge = passkeys.authentication_options(credentials=keys)
    _remember_challenge(session, "authenticate", challenge)
    return options


@transaction.atomic
def passkey_authenticate_complete(
    *, session: SessionBase, user: User, credential: dict[str, Any]
) -> WebAuthnCredential | None:
    """Verify an assertion from one of the user's keys; None (audited) when it does not verify."""
    try:
        challenge = _take_challenge(session, "authenticate")
        credential_id = passkeys.credential_id_of(credential)
        stored = (
            for_update(WebAuthnCredential.objects)
            .filter(user=user, credential_id=credential_id)
            .first()
        )
        if stored is None:
            raise passkeys.PasskeyError(_("This security key is not registered for this account."))
        new_count = passkeys.verify_authentication(
            credential=credential, challenge=challenge, stored=stored
        )
    except passkeys.PasskeyError:
        audit.record(
            actor=user, action="accounts.mfa_failed", obj=user, data={"factor": "webauthn"}
        )
        return None
    stored.sign_count = new_count
    stored.last_used_at = clock.now()
    stored.save(update_fields=["sign_count", "last_used_at", "updated_at"])
    audit.record(
        actor=user,
        action="accounts.mfa_verified",
        obj=user,
        data={"factor": "webauthn", "key": stored.name},
    )
    return stored
