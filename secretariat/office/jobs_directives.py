"""Huey jobs: directive escalations. Thin: the rule and its bookkeeping are in
`services.directives.directives_escalate`."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import directives


# Every five minutes: acknowledgement deadlines are counted in hours, so a unit is escalated at
# most five minutes late. A missed run is harmless, the next one finds the same units.
@db_periodic_task(crontab(minute="*/5"))
def directives_escalation() -> int:
    """Escalate the receiving units past their acknowledgement deadline; how many."""
    return directives.directives_escalate()
