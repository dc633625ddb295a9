"""Audit actions recorded by the Party member registry (see `secretariat.audit.labels`)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "members.member_created": _("Member record opened"),
    "members.member_updated": _("Member profile changed"),
    "members.photo_set": _("Member photo changed"),
    "members.user_linked": _("Member record linked to a user account"),
    "members.event_recorded": _("Member life-cycle event recorded"),
    "members.transfer_confirmed": _("Member transfer confirmed"),
    "members.profile_viewed": _("Full member profile viewed"),
    "members.dues_rule_set": _("Dues rule set"),
    "members.dues_share_rule_set": _("Dues share rule set"),
    "members.dues_payment_recorded": _("Dues payment recorded"),
    "members.dues_payment_corrected": _("Dues payment corrected"),
    "members.rating_set": _("Annual rating set"),
    "members.reward_added": _("Reward recorded"),
    "members.discipline_added": _("Discipline recorded"),
    "members.probation_reminded": _("Probation end reminder sent"),
    "members.probation_overdue": _("Overdue probation reported"),
    "members.probation_helper_set": _("Probation helper assigned"),
    "members.probation_review_submitted": _("Probation review form recorded"),
    "members.probation_form_printed": _("Probation review form printed"),
    "members.transfer_sent": _("Transfer out of the node sent through the exchange"),
    "members.transfer_returned": _(
        "Transfer out of the node returned by the receiving organization"
    ),
    "members.imported": _("Member records imported from a spreadsheet"),
    "members.exported": _("Member records exported"),
    "members.report_exported": _("Statutory report exported"),
}
