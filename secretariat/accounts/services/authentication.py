"""Sign-in in two steps, lockout, logout and password change.

`login()` runs only once the second factor has succeeded. Between the password and the second
factor the session holds nothing but the pending user's id and the time of the password step
(valid five minutes), so no page or API endpoint is reachable half-authenticated.

Failures count towards django-axes' per-username lockout: wrong passwords through
`authenticate()`, wrong TOTP / recovery codes / security-key answers through the same
`user_login_failed` signal `authenticate()` sends. One counter means one lockout page, one
cool-off and one reset on success (`AXES_RESET_ON_SUCCESS`), instead of two counters that an
attacker could play against each other (a correct password must not reset the code counter).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import DomainError, ValidationFailed

from .. import policy
from ..middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT
from ..models import User
from . import mfa

PENDING_USER = "secretariat_pending_user"
PENDING_AT = "secretariat_pending_at"
PENDING_NEXT = "secretariat_pending_next"
# The unconfirmed TOTP device shown on the enrolment page, so a reload keeps the same secret.
ENROL_DEVICE = "secretariat_enrol_device"
PENDING_SECONDS = 300
_BACKEND = "django.contrib.auth.backends.ModelBackend"


class Step(StrEnum):
    DONE = "done"  # logged in
    MFA = "mfa"  # password accepted, second factor to give
    ENROL = "enrol"  # password accepted, a second factor must be enrolled first
    FAILED = "failed"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignIn:
    step: Step
    user: User | None = None
    language: str = ""
    next_url: str = ""
    recovery_codes: list[str] = field(default_factory=list)


class SignInExpired(DomainError):
    status = 400


# --- pending state --------------------------------------------------------------------------


def pending_user(request: HttpRequest) -> User | None:
    """The user between password and second factor, or None. Raises SignInExpired (and forgets
    the pending state) when the password step is older than five minutes."""
    pk = request.session.get(PENDING_USER)
    if pk is None:
        return None
    at = float(request.session.get(PENDING_AT, 0))
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or clock.now().timestamp() - at > PENDING_SECONDS:
        pending_clear(request)
        raise SignInExpired(_("Your sign-in has expired. Please enter your password again."))
    return user


def pending_clear(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_AT, PENDING_NEXT, ENROL_DEVICE):
        request.session.pop(key, None)


def _pending_set(request: HttpRequest, user: User, next_url: str) -> None:
    # A new session key at each privilege change defeats session fixation.
    request.session.cycle_key()
    request.session[PENDING_USER] = str(user.pk)
    request.session[PENDING_AT] = clock.now().timestamp()
    request.session[PENDING_NEXT] = next_url


# --- lockout --------------------------------------------------------------------------------


def is_locked(request: HttpRequest, username: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def lockout_minutes_left(request: HttpRequest, username: str) -> int:
    """Whole minutes until the cool-off of `username` ends (at least 1)."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return 0
    latest = AccessAttempt.objects.filter(username=username).aggregate(at=Max("attempt_time"))["at"]
    if latest is None:
        return max(1, math.ceil(cool_off.total_seconds() / 60))
    seconds = (latest + cool_off - clock.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def _count_failure(request: HttpRequest, user: User) -> bool:
    """Count a failed second factor like a failed password; True when the account is now locked."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.username}, request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


# --- steps ----------------------------------------------------------------------------------


def _login_complete(
    request: HttpRequest, user: User, method: str, next_url: str | None = None
) -> SignIn:
    """Log in for real. Runs inside the caller's transaction, with the audit event."""
    if next_url is None:
        next_url = str(request.session.get(PENDING_NEXT, "") or "")
    pending_clear(request)
    login(request, user, backend=_BACKEND)
    now = clock.now().timestamp()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now
    translation.activate(user.language)
    audit.record(actor=user, action="accounts.login_succeeded", obj=user, data={"method": method})
    return SignIn(step=Step.DONE, user=user, language=user.language, next_url=next_url)


def login_password_step(
    *, request: HttpRequest, username: str, password: str, next_url: str = ""
) -> SignIn:
    """First step: check the password (axes counts failures and refuses locked accounts)."""
    was_locked = is_locked(request, username)
    # Password hashing (argon2) runs outside any transaction: under SQLite's IMMEDIATE mode it
    # would otherwise hold the database write lock for the whole hash.
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        known = User.objects.filter(username=username).first()
        now_locked = bool(getattr(request, "axes_locked_out", False))
        with transaction.atomic(durable=True):
            audit.record(
                actor=known,
                actor_username="" if known else username[:150],
                action="accounts.login_failed",
                obj=known,
                data={"reason": "locked" if was_locked else "credentials"},
            )
            if now_locked and not was_locked:
                audit.record(
                    actor=known,
                    actor_username="" if known else username[:150],
                    action="accounts.locked_out",
                    obj=known,
                    data={"username": username[:150]},
                )
        return SignIn(step=Step.LOCKED if now_locked else Step.FAILED, user=known)
    assert isinstance(user, User)
    if mfa.has_second_factor(user) or policy.mfa_required(user):
        step = Step.MFA if mfa.has_second_factor(user) else Step.ENROL
        _pending_set(request, user, next_url)
        with transaction.atomic(durable=True):
            audit.record(
                actor=user,
                action="accounts.login_password_verified",
                obj=user,
                data={"next": str(step)},
            )
        return SignIn(step=step, user=user)
    with transaction.atomic(durable=True):
        return _login_complete(request, user, "password", next_url)


def _second_factor(
    request: HttpRequest, user: User, method: str, verify: Callable[[], bool]
) -> SignIn:
    if is_locked(request, user.username):
        pending_clear(request)
        with transaction.atomic(durable=True):
            audit.record(
                actor=user, action="accounts.login_failed", obj=user, data={"reason": "locked"}
            )
        return SignIn(step=Step.LOCKED, user=user)
    with transaction.atomic(durable=True):
        if verify():
            return _login_complete(request, user, method)
        if _count_failure(request, user):
            pending_clear(request)
            audit.record(
                actor=user,
                action="accounts.locked_out",
                obj=user,
                data={"username": user.username},
            )
            return SignIn(step=Step.LOCKED, user=user)
    return SignIn(step=Step.FAILED, user=user)


def login_with_totp(*, request: HttpRequest, user: User, token: str) -> SignIn:
    return _second_factor(
        request, user, "totp", lambda: mfa.mfa_verify_totp(user=user, token=token)
    )


def login_with_recovery_code(*, request: HttpRequest, user: User, code: str) -> SignIn:
    return _second_factor(
        request, user, "recovery_code", lambda: mfa.mfa_verify_recovery(user=user, code=code)
    )


def login_with_passkey(*, request: HttpRequest, user: User, credential: dict[str, Any]) -> SignIn:
    return _second_factor(
        request,
        user,
        "webauthn",
        lambda: (
            mfa.passkey_authenticate_complete(
                session=request.session, user=user, credential=credential
            )
            is not None
        ),
    )


def login_enrol_totp(*, request: HttpRequest, user: User, device: TOTPDevice, token: str) -> SignIn:
    """Forced enrolment: confirm the new TOTP device, then log in. A wrong code raises
    ValidationFailed; it does not count towards lockout, since the device is the user's own."""
    with transaction.atomic(durable=True):
        codes = mfa.totp_enrol_confirm(actor=user, user=user, device=device, token=token)
        done = _login_complete(request, user, "totp_enrolment")
    return SignIn(
        step=done.step,
        user=done.user,
        language=done.language,
        next_url=done.next_url,
        recovery_codes=codes,
    )


@transaction.atomic(durable=True)
def logout_user(*, request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        audit.record(actor=user, action="accounts.logout", obj=user)
    logout(request)


def password_change(
    *, request: HttpRequest, user: User, current_password: str, new_password: str
) -> None:
    """Change the user's own password; the current session stays valid, other sessions end."""
    if not user.check_password(current_password):
        raise ValidationFailed(
            _("Your current password is not correct."),
            field_errors={"current_password": [_("Your current password is not correct.")]},
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("The new password is not accepted."), field_errors={"new_password1": exc.messages}
        ) from exc
    user.set_password(new_password)
    user.must_change_password = False
    with transaction.atomic(durable=True):
        user.save(update_fields=["password", "must_change_password"])
        audit.record(actor=user, action="accounts.password_changed", obj=user)
    update_session_auth_hash(request, user)
