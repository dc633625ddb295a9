"""Audit actions recorded by meetings (see `secretariat.audit.labels`)."""

from .services.agenda import AUDIT_LABELS as AGENDA
from .services.attendance import AUDIT_LABELS as ATTENDANCE
from .services.meetings import AUDIT_LABELS as MEETINGS
from .services.minutes import AUDIT_LABELS as MINUTES
from .services.pack import AUDIT_LABELS as PACK
from .services.rulesets import AUDIT_LABELS as RULESETS
from .services.speakers import AUDIT_LABELS as SPEAKERS
from .services.votes import AUDIT_LABELS as VOTES

LABELS = {**MEETINGS, **AGENDA, **PACK, **ATTENDANCE, **SPEAKERS, **VOTES, **MINUTES, **RULESETS}
