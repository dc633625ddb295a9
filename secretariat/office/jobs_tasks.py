"""Huey jobs: task reminders and escalations. Thin: the work, its once-only bookkeeping and its
audit events are in `services.tasks.tasks_remind_and_escalate`."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import tasks as services


# Every hour, so a reminder or an escalation is at most an hour late whenever the node starts.
# The lock keeps two consumers from running it at once (the service is safe anyway: each task
# is re-checked under its row lock, but this spares the work).
@db_periodic_task(crontab(minute="7"))
@lock_task("office-tasks-remind-and-escalate")
def tasks_remind_and_escalate() -> dict[str, int]:
    return services.tasks_remind_and_escalate()
