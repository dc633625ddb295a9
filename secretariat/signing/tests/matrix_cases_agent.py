"""Permission-matrix entries of the workstation signing agent (see secretariat/api/tests/matrix.py).

A signing session belongs to the user who opened it: only they may read its state. Inside: a
session of the specialist actor; outside: one of the outside target.
"""

from __future__ import annotations

from typing import Any

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.signing import hooks, sessions
from secretariat.signing.tests.agent_support import small_pdf

PURPOSE = "tests.matrix.agent"

EXEMPT = {
    # The agent's one-time URLs: a program without a session cookie calls them; the random
    # token in the path (one-time, short-lived, bound to the user and the document) is the
    # credential. test_sessions.py and test_agent_cli.py check that an unknown, spent, expired
    # or other mode's token is refused with the protocol's JSON and that refusals change nothing.
    "signing:agent_download",
    "signing:agent_upload",
    "signing:agent_digest",
    "signing:agent_signature",
}


class _Anyone:
    """The app's side of the matrix's sessions: anyone may sign anything."""

    def authorize(self, *, user: Any, subject_id: str) -> None:
        return None

    def completed(self, **kwargs: Any) -> dict[str, Any]:
        return {}


def setup(ctx: Ctx, make_user: Any) -> None:
    hooks.register_session_handler(PURPOSE, _Anyone())
    for side, owner in (("in", ctx.actors[Role.SPECIALIST]), ("out", ctx.targets["out"])):
        session, _token = sessions.open_session(
            actor=owner,
            purpose=PURPOSE,
            subject_id=f"MATRIX-AGENT-{side.upper()}",
            pdf=small_pdf(),
            file_name="matrix.pdf",
        )
        ctx.extra[f"agent_session_{side}"] = session


CASES = [
    Case(
        "api:get_session",
        "get",
        lambda c, s: f"/api/v1/signing/agent/sessions/{c.extra[f'agent_session_{s}'].pk}",
        frozenset({Role.SPECIALIST}),
    ),
]
