"""One clock for the whole platform: stored in UTC, shown in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in the platform's local time zone (Asia/Ho_Chi_Minh)."""
    return timezone.localdate()
