"""`python manage.py demo_totp`: the current TOTP code of the demo accounts (demo mode only)."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from secretariat.demo.province import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo accounts (demo mode only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("demo_totp works only in demo mode (SECRETARIAT_DEMO=1).")
        key = base64.b32decode(DEMO_TOTP_SECRET)
        self.stdout.write(f"{totp(key):06d}")
