"""What the signing app needs from the apps above it: who may sign what through the workstation
agent, and what happens with the signed PDF.

A `SigningSession` names a `purpose` ("office.outgoing.personal"…). The app that owns that
purpose registers a `SessionHandler` in its `AppConfig.ready()`; the agent endpoints call it to
re-check the user's right when the agent downloads and uploads, and to hand over the signed and
validated PDF. Signing stays below the documents and the office (DESIGN.md layers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import SigningSession
    from .validation import Report


class SessionHandler(Protocol):
    def authorize(self, *, user: Any, subject_id: str) -> None:
        """Raise `core.errors.PermissionDenied` / `Conflict` when `user` may not (or no longer)
        sign `subject_id` for this purpose."""

    def completed(
        self, *, user: Any, session: SigningSession, signed_pdf: bytes, report: Report
    ) -> dict[str, Any]:
        """Store the signed PDF (validated: `report`) and move the work on. Runs inside the
        transaction that closes the session; raising refuses the upload and keeps nothing.
        Returns JSON-able facts for the agent's answer (e.g. {"version": 3})."""


_handlers: dict[str, SessionHandler] = {}


def register_session_handler(purpose: str, handler: SessionHandler) -> None:
    _handlers[purpose] = handler


def session_handler(purpose: str) -> SessionHandler | None:
    return _handlers.get(purpose)
