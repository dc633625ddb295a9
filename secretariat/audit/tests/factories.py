"""Audit events for viewer and API tests, written by the real service."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from secretariat.audit import services
from secretariat.audit.models import AuditEvent


def event(
    *, actor: Any = None, unit: Any = None, action: str = "test.event", **kwargs: Any
) -> AuditEvent:
    with transaction.atomic():
        return services.record(actor=actor, unit=unit, action=action, **kwargs)
