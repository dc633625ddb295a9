"""Read queries of the audit log, scoped to the caller."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from secretariat.accounts import policy

from .models import AuditEvent


def events_visible_to(*, user: Any) -> QuerySet[AuditEvent]:
    """Auditors see the events of the units in their scope; everyone sees their own actions."""
    if not getattr(user, "is_authenticated", False):
        return AuditEvent.objects.none()
    condition = Q(actor_id=user.pk)
    if policy.can(user, policy.Action.AUDIT_VIEW):
        units = policy.units_in_scope(user, policy.Action.AUDIT_VIEW).values("pk")
        condition |= Q(unit_id__in=units)
    return AuditEvent.objects.filter(condition)
