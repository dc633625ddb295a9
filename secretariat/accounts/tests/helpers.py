"""Helpers shared by the sign-in and security tests."""

from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from secretariat.accounts.models import User

PASSWORD = "correct horse battery staple"  # the `make_user` fixture's default


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    """The device's TOTP code now (`drift` steps later), as an authenticator app shows it."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def english(user: User) -> User:
    """Give the user English as preferred language (login activates it)."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user
