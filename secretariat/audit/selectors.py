"""Read queries of the audit log, scoped to the caller."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from secretariat.accounts import policy

from .models import AuditEvent, Checkpoint


def events_visible_to(*, user: Any) -> QuerySet[AuditEvent]:
    """Auditors see the events of the units in their scope; everyone sees their own actions."""
    if not getattr(user, "is_authenticated", False):
        return AuditEvent.objects.none()
    condition = Q(actor_id=user.pk)
    if policy.can(user, policy.Action.AUDIT_VIEW):
        units = policy.units_in_scope(user, policy.Action.AUDIT_VIEW).values("pk")
        condition |= Q(unit_id__in=units)
    return AuditEvent.objects.filter(condition)


@dataclass(frozen=True)
class EventFilter:
    """What the viewer and the API search by; empty fields do not filter."""

    actor: str = ""
    action: str = ""
    object: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    before_seq: int | None = None


def _start_of_day(day: dt.date) -> dt.datetime:
    # Dates are the user's days in Asia/Ho_Chi_Minh, not UTC days.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def events_search(*, user: Any, filters: EventFilter, limit: int = 50) -> list[AuditEvent]:
    """The caller's visible events matching `filters`, newest first, at most `limit`.

    Paged by seq (`before_seq`), never by OFFSET or COUNT(*): both read the whole matching set.
    """
    queryset = events_visible_to(user=user)
    if filters.actor:
        queryset = queryset.filter(actor_username__iexact=filters.actor.strip())
    if filters.action:
        # A prefix, so "accounts." lists every identity action.
        queryset = queryset.filter(action__startswith=filters.action.strip())
    if filters.object:
        term = filters.object.strip()
        queryset = queryset.filter(Q(object_type=term) | Q(object_id=term))
    if filters.object_type:
        queryset = queryset.filter(object_type=filters.object_type.strip())
    if filters.object_id:
        queryset = queryset.filter(object_id=filters.object_id.strip())
    if filters.date_from:
        queryset = queryset.filter(at__gte=_start_of_day(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(at__lt=_start_of_day(filters.date_to + dt.timedelta(days=1)))
    if filters.before_seq is not None:
        queryset = queryset.filter(seq__lt=filters.before_seq)
    return list(queryset.order_by("-seq")[:limit])


def event_visible(*, user: Any, ref: str | int | uuid.UUID) -> AuditEvent | None:
    """One event by id (UUID) or seq, or None when it does not exist or is out of scope."""
    lookup = _ref_lookup(ref)
    if lookup is None:
        return None
    return events_visible_to(user=user).filter(**lookup).first()


def event_by_ref(ref: str | int | uuid.UUID) -> AuditEvent | None:
    """Unscoped lookup by id or seq, for operators' commands only (`audit_proof`)."""
    lookup = _ref_lookup(ref)
    return AuditEvent.objects.filter(**lookup).first() if lookup else None


def _ref_lookup(ref: str | int | uuid.UUID) -> dict[str, Any] | None:
    if isinstance(ref, uuid.UUID):
        return {"id": ref}
    if isinstance(ref, int):
        return {"seq": ref}
    text = str(ref).strip()
    if text.isdigit():
        return {"seq": int(text)}
    try:
        return {"id": uuid.UUID(text)}
    except ValueError:
        return None


def covering_checkpoint(*, event: AuditEvent) -> Checkpoint | None:
    """The first checkpoint that seals `event` (the earliest proof it was there)."""
    return Checkpoint.objects.filter(tree_size__gte=event.seq).order_by("tree_size").first()


def checkpoints_latest(*, limit: int = 50) -> list[Checkpoint]:
    """The newest checkpoints. Not scoped: a tree head reveals sizes and hashes, no content."""
    return list(Checkpoint.objects.order_by("-tree_size", "-signed_at")[:limit])
