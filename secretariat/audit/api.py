"""Audit endpoints, for auditors only; every answer is limited to the caller's audit scope."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from secretariat.accounts import policy
from secretariat.core.errors import NotFound, PermissionDenied

from . import selectors
from .models import AuditEvent, Checkpoint

router = Router(tags=["audit"])

MAX_LIMIT = 200


class EventOut(Schema):
    seq: int
    id: uuid.UUID
    at: dt.datetime
    actor_id: uuid.UUID | None
    actor_username: str
    unit_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str
    before_digest: str
    after_digest: str
    client_ip: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class EventPage(Schema):
    items: list[EventOut]
    # Pass as `before_seq` for the next (older) page; null on the last page.
    next_before_seq: int | None


class EventQuery(Schema):
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    before_seq: int | None = Field(None, ge=1)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class CheckpointOut(Schema):
    id: uuid.UUID
    tree_size: int
    root_hash: str
    last_event_id: uuid.UUID | None
    last_event_hash: str
    signed_at: dt.datetime
    node: str
    key_id: str
    signature: str


def _require_auditor(request: HttpRequest) -> None:
    if not policy.can(request.user, policy.Action.AUDIT_VIEW):
        raise PermissionDenied(_("Only auditors may read the audit log through the API."))


@router.get("/events", response=EventPage, summary="Audit events in the caller's scope")
def list_events(request: HttpRequest, query: Query[EventQuery]) -> dict[str, Any]:
    """Newest first; page with `before_seq` (the `next_before_seq` of the previous page)."""
    _require_auditor(request)
    filters = selectors.EventFilter(
        actor=query.actor,
        action=query.action,
        object_type=query.object_type,
        object_id=query.object_id,
        date_from=query.date_from,
        date_to=query.date_to,
        before_seq=query.before_seq,
    )
    found = selectors.events_search(user=request.user, filters=filters, limit=query.limit + 1)
    items: list[AuditEvent] = found[: query.limit]
    more = len(found) > query.limit
    return {"items": items, "next_before_seq": items[-1].seq if more else None}


@router.get("/events/{event_id}", response=EventOut, summary="One audit event")
def get_event(request: HttpRequest, event_id: uuid.UUID) -> AuditEvent:
    _require_auditor(request)
    event = selectors.event_visible(user=request.user, ref=event_id)
    if event is None:
        # Out of scope answers as absent, so the API does not confirm that an event exists.
        raise NotFound(_("No such event."))
    return event


@router.get("/checkpoints", response=list[CheckpointOut], summary="Latest signed checkpoints")
def list_checkpoints(
    request: HttpRequest, limit: int = Query(50, ge=1, le=MAX_LIMIT)
) -> list[Checkpoint]:
    _require_auditor(request)
    return selectors.checkpoints_latest(limit=limit)
