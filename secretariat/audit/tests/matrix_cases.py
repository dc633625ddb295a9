"""Permission-matrix cases of the audit log (see secretariat/api/tests/matrix.py)."""

from __future__ import annotations

import datetime as dt  # noqa: F401

from django.urls import reverse

from secretariat.api.tests.matrix import (
    AUDITORS,
    EVERYONE,
    Case,
    api,
)

CASES = [
    Case(
        "api:list_events",
        "get",
        api("/audit/events"),
        AUDITORS,
        scoped=False,
        shows=lambda c, side: f"MARK-EVENT-{side.upper()}",
    ),
    Case("api:get_event", "get", lambda c, s: f"/api/v1/audit/events/{c.events[s].id}", AUDITORS),
    Case("api:list_checkpoints", "get", api("/audit/checkpoints"), AUDITORS, scoped=False),
    # Everyone has the page (their own actions); only auditors see other people's events.
    Case("audit:events", "get", lambda c, s: reverse("audit:events"), EVERYONE, scoped=False),
    Case(
        "audit:event", "get", lambda c, s: reverse("audit:event", args=[c.events[s].id]), AUDITORS
    ),
]
