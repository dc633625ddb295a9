"""Codes of a user's authenticator app, for tests of second-factor confirmations."""

from __future__ import annotations

import time
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def next_code(user: Any) -> str:
    """A valid, not yet used TOTP code for `user`, enrolling a device when the user has none.
    django-otp refuses a code twice, so once a step's code is used this gives the next step's
    (within its tolerance of one step: two confirmations per user and 30 s)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="totp", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return str(totp.token()).zfill(device.digits)
