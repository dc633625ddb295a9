"""Periodic signing work (Huey): delete the agent's sessions that expired unused."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import sessions


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_signing_sessions() -> int:
    """Every night: sessions that expired more than a day ago, unused, are deleted (their PDF
    copies with them)."""
    return sessions.purge_expired()
