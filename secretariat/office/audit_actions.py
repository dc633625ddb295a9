"""Audit actions recorded by office work (see `secretariat.audit.labels`)."""

from django.utils.translation import gettext_lazy as _

from .services.casefiles import AUDIT_LABELS as CASEFILE_LABELS
from .services.incoming import AUDIT_LABELS as INCOMING_LABELS
from .services.outgoing import AUDIT_LABELS as OUTGOING_LABELS

LABELS = {
    **INCOMING_LABELS,
    **CASEFILE_LABELS,
    **OUTGOING_LABELS,
    "office.task_created": _("Task created"),
    "office.task_started": _("Task started"),
    "office.task_note_added": _("Progress note added"),
    "office.task_completed": _("Task completed"),
    "office.task_cancelled": _("Task cancelled"),
    "office.task_reassigned": _("Task reassigned"),
    "office.task_reminded": _("Deadline reminder sent"),
    "office.task_escalated": _("Overdue task escalated"),
    "office.calendar_day_set": _("Calendar day set"),
    "office.calendar_day_removed": _("Calendar day removed"),
    "office.directive_sent": _("Directive sent"),
    "office.directive_read": _("Directive read"),
    "office.directive_acknowledged": _("Directive acknowledged"),
    "office.directive_reported": _("Directive reported on"),
    "office.directive_escalated": _("Directive escalated"),
}
