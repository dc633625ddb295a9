"""Read queries of the identity app. Every one that lists takes the acting user and scopes."""

from __future__ import annotations

from typing import Any

from . import policy
from .models import User


def grant_dict(grant: Any) -> dict[str, object]:
    return {
        "id": grant.pk,
        "role": grant.role,
        "unit_code": grant.unit.code,
        "unit_name": grant.unit.display_name,
        "include_subtree": grant.include_subtree,
        "valid_until": grant.valid_until,
    }


def mfa_enrolled(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or user.webauthn_credentials.exists()
    )


def user_profile(*, user: User) -> dict[str, object]:
    """What the caller may know about themself."""
    positions = user.positions.filter(ended_on__isnull=True).select_related("unit")
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "language": user.language,
        "roles": [grant_dict(g) for g in policy.active_grants(user)],
        "positions": [
            {
                "title": p.title,
                "unit_code": p.unit.code,
                "unit_name": p.unit.display_name,
                "is_primary": p.is_primary,
            }
            for p in positions
        ],
        "mfa_enrolled": mfa_enrolled(user),
    }
