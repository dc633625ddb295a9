"""API of the signing app (agent): the state of a workstation-agent session, polled by the page
that opened it. Sessions are opened by the app owning the purpose (its own view or endpoint
calls `sessions.open_session`); there is no generic "open a session" endpoint here."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from secretariat.core.errors import NotFound

from . import sessions
from .models import SigningSession

router = Router(tags=["signing"])


class SessionOut(Schema):
    id: UUID
    state: str  # open, downloaded, completed, expired
    purpose: str
    subject_id: str
    mode: str
    file_name: str
    expires_at: dt.datetime
    completed_at: dt.datetime | None
    # Completed: {"signer": {...}, "sha256": ..., "data": what the app returned}. Open after a
    # refused attempt: {"refused": {"status": <agent status>, "message": ...}}.
    result: dict[str, Any]


@router.get(
    "/sessions/{uuid:session_id}",
    response=SessionOut,
    summary="The state of one of the caller's signing-agent sessions",
)
def get_session(request: HttpRequest, session_id: UUID) -> dict[str, Any]:
    session = SigningSession.objects.filter(pk=session_id, user_id=str(request.user.pk)).first()
    if session is None:
        raise NotFound(_("Not found."))
    return {
        "id": session.id,
        "state": str(sessions.state(session)),
        "purpose": session.purpose,
        "subject_id": session.subject_id,
        "mode": session.mode,
        "file_name": session.file_name,
        "expires_at": session.expires_at,
        "completed_at": session.completed_at,
        "result": session.result or {},
    }
