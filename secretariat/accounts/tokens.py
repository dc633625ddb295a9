"""Bearer tokens for machine clients: `sct_<prefix>_<secret>`; only a SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.security import HttpBearer

from secretariat.audit import services as audit
from secretariat.core import clock

from .models import ApiToken, User

LAST_USED_PRECISION = dt.timedelta(minutes=1)
TOKEN_PREFIX = "sct"  # noqa: S105 (a label, not a secret)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_issue(*, actor: User | None, user: User, name: str = "cli") -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the secret, shown once."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(raw))
        audit.record(
            actor=actor,
            action="accounts.token_issued",
            obj=token,
            data={"user": user.username, "name": name, "prefix": prefix},
        )
    return token, raw


def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            actor=actor,
            action="accounts.token_revoked",
            obj=token,
            data={"user": token.user.username, "prefix": token.prefix},
        )
    return token


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (the secret is never stored, only its prefix)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_owned(*, user: User, token_id: Any) -> ApiToken | None:
    """One of the user's own active tokens, or None: nobody revokes someone else's here."""
    return ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()


def token_authenticate(raw: str) -> User | None:
    """The active user owning the token, or None for an unknown, revoked or expired token."""
    if not raw.startswith(f"{TOKEN_PREFIX}_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    now = clock.now()
    if token is None or (token.expires_at and token.expires_at <= now) or not token.user.is_active:
        return None
    # A write per request would make every API read a write; a minute's precision is enough to
    # tell an administrator whether a token is still in use.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user
