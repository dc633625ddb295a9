"""Services of the Party member registry: the only code that changes its tables.

Every public service takes keyword-only arguments, the acting user first (`actor=None` is the
system: jobs, commands, the merge of units), checks `members.manage` through
`accounts.policy` on the member's unit (its subtree, per grant), validates before writing,
locks the member's row (`core.locks.for_update`) and appends an audit event in the same
transaction. Entry points are durable transactions; `*_nondurable` twins run inside a caller's
transaction (the spreadsheet import, discipline → expulsion).

* `profile`: member_create, member_update, member_photo_set, member_link_user, profile_errors
* `events`: member_event_record, member_transfer_confirm (life cycle; status derived)
* `dues`: dues_rule_set, dues_share_rule_set, dues_rules_install_defaults, dues_payment_record
* `records`: rating_set, reward_add, discipline_add
* `probation`: probation_reminders_send (the daily job)
* `probation_forms`: probation_helper_set, probation_review_submit, missing_forms (the
  recognition file: self-review and helper's comment)
* `transfer_exchange`: transfer_out_via_exchange (the introduction letter sent through the
  secure exchange), on_exchange_status (the receiving organization's answer)
"""

from .dues import (
    dues_payment_record,
    dues_payment_record_nondurable,
    dues_rule_set,
    dues_rules_install_defaults,
    dues_share_rule_set,
)
from .events import (
    member_event_record,
    member_event_record_nondurable,
    member_transfer_confirm,
)
from .probation import probation_reminders_send
from .probation_forms import missing_forms, probation_helper_set, probation_review_submit
from .profile import (
    PROFILE_FIELDS,
    member_create,
    member_create_nondurable,
    member_link_user,
    member_photo_set,
    member_update,
    member_update_nondurable,
    profile_errors,
)
from .records import discipline_add, rating_set, reward_add
from .transfer_exchange import on_exchange_status, transfer_out_via_exchange

__all__ = [
    "PROFILE_FIELDS",
    "discipline_add",
    "dues_payment_record",
    "dues_payment_record_nondurable",
    "dues_rule_set",
    "dues_rules_install_defaults",
    "dues_share_rule_set",
    "member_create",
    "member_create_nondurable",
    "member_event_record",
    "member_event_record_nondurable",
    "member_link_user",
    "member_photo_set",
    "member_transfer_confirm",
    "member_update",
    "member_update_nondurable",
    "missing_forms",
    "on_exchange_status",
    "probation_helper_set",
    "probation_reminders_send",
    "probation_review_submit",
    "profile_errors",
    "rating_set",
    "reward_add",
    "transfer_out_via_exchange",
]
