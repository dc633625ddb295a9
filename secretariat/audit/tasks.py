"""Periodic audit work (Huey): sign a checkpoint every AUDIT_CHECKPOINT_MINUTES minutes."""

from __future__ import annotations

import datetime as dt

from huey.contrib.djhuey import db_periodic_task

from . import services


def checkpoint_due(timestamp: dt.datetime) -> bool:
    """Huey asks once a minute. Counting minutes from midnight handles any period, also ones
    that do not divide an hour; the setting is read here, not at import (house rule)."""
    from django.conf import settings

    period = max(1, int(settings.AUDIT_CHECKPOINT_MINUTES))
    return (timestamp.hour * 60 + timestamp.minute) % period == 0


@db_periodic_task(checkpoint_due)
def audit_checkpoint() -> str | None:
    """Sign a checkpoint over the events so far; its id, or None for an empty log."""
    checkpoint = services.checkpoint_create()
    return str(checkpoint.id) if checkpoint else None
