"""Huey jobs of the member registry (djhuey imports each app's `tasks` module). Thin: the work,
its once-only bookkeeping and its audit events are in `services.probation`."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import probation


# Daily, early morning: a probation ends on a date, not at an hour. The lock keeps two consumers
# from running it at once (each member is re-checked under its row lock anyway).
@db_periodic_task(crontab(hour="6", minute="17"))
@lock_task("members-probation-reminders")
def probation_reminders() -> dict[str, int]:
    return probation.probation_reminders_send()
