"""Services of dues (đảng phí): the node-wide rules, and the payments a cell records.

* `dues_rule_set` / `dues_share_rule_set`: the amount per income type and the share each level
  keeps, each from a date on (a new rule never rewrites the months before it). Node-wide
  configuration: `members.manage` on the root of the tree.
* `dues_payment_record`: one month of one member, by the member's unit (`members.manage`).
  A month already paid is refused unless the call is an explicit correction with a reason; the
  correction supersedes the earlier row, which stays for the record.

The arithmetic is in `members/dues.py`, the statements and arrears in `selectors_dues.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict
from secretariat.core.locks import for_update, serialize_writes
from secretariat.orgs.models import UnitKind

from .. import dues
from ..choices import IncomeType, Status
from ..lifecycle import add_months
from ..models import DuesPayment, DuesRule, DuesShareRule, Member
from ._common import FieldErrors, invalid, lock_member, record, require_manage, require_node_wide

MAX_MONTHLY_AMOUNT = 100_000_000  # VND: anything above is a typing error
ADVANCE_MONTHS = 12  # dues may be paid up to a year ahead


def _rule_errors(
    *, rate_per_mille: int | None, fixed_amount: int | None, valid_from: dt.date
) -> FieldErrors:
    errors: FieldErrors = {}
    if (rate_per_mille is None) == (fixed_amount is None):
        errors["rate_per_mille"] = [_("Give either a rate in per mille or a fixed amount.")]
    if rate_per_mille is not None and not 0 < rate_per_mille <= 1000:
        errors["rate_per_mille"] = [_("The rate is between 1 and 1000 per mille.")]
    if fixed_amount is not None and not 0 < fixed_amount <= MAX_MONTHLY_AMOUNT:
        errors["fixed_amount"] = [_("Enter a positive amount in dong.")]
    if valid_from.day != 1:
        errors["valid_from"] = [_("A rule starts on the first day of a month.")]
    return errors


@transaction.atomic(durable=True)
def dues_rule_set(
    *,
    actor: Any | None,
    income_type: str,
    valid_from: dt.date,
    rate_per_mille: int | None = None,
    fixed_amount: int | None = None,
    note: str = "",
) -> DuesRule:
    """Set the dues of one income type from `valid_from` (the first of a month) on: a rate in
    per mille of the member's base amount, or a fixed amount in dong."""
    require_node_wide(actor)
    errors = _rule_errors(
        rate_per_mille=rate_per_mille, fixed_amount=fixed_amount, valid_from=valid_from
    )
    if income_type not in IncomeType.values:
        errors["income_type"] = [_("Choose an income type.")]
    if len(note or "") > 255:
        errors["note"] = [_("At most %(max)d characters.") % {"max": 255}]
    if errors:
        raise invalid(errors, _("The dues rule cannot be saved."))
    serialize_writes()
    existing = DuesRule.objects.filter(income_type=income_type, valid_from=valid_from).first()
    before = (
        {"rate_per_mille": existing.rate_per_mille, "fixed_amount": existing.fixed_amount}
        if existing
        else None
    )
    rule, _created = DuesRule.objects.update_or_create(
        income_type=income_type,
        valid_from=valid_from,
        defaults={
            "rate_per_mille": rate_per_mille,
            "fixed_amount": fixed_amount,
            "note": (note or "").strip(),
        },
    )
    after = {"rate_per_mille": rate_per_mille, "fixed_amount": fixed_amount}
    audit.record(
        actor=actor,
        action="members.dues_rule_set",
        obj=rule,
        before=before,
        after=after,
        data={"income_type": income_type, "valid_from": valid_from.isoformat(), **after},
    )
    return rule


@transaction.atomic(durable=True)
def dues_share_rule_set(
    *, actor: Any | None, unit_kind: str, kept_per_mille: int, valid_from: dt.date
) -> DuesShareRule:
    """Set the share of the dues that units of one kind keep (per mille) from `valid_from` on;
    the rest is remitted to the unit above."""
    require_node_wide(actor)
    errors: FieldErrors = {}
    if unit_kind not in UnitKind.values:
        errors["unit_kind"] = [_("Choose a kind of unit.")]
    if (
        isinstance(kept_per_mille, bool)
        or not isinstance(kept_per_mille, int)
        or not 0 <= kept_per_mille <= 1000
    ):
        errors["kept_per_mille"] = [_("The kept share is between 0 and 1000 per mille.")]
    if valid_from.day != 1:
        errors["valid_from"] = [_("A rule starts on the first day of a month.")]
    if errors:
        raise invalid(errors, _("The share rule cannot be saved."))
    serialize_writes()
    existing = DuesShareRule.objects.filter(unit_kind=unit_kind, valid_from=valid_from).first()
    before = {"kept_per_mille": existing.kept_per_mille} if existing else None
    rule, _created = DuesShareRule.objects.update_or_create(
        unit_kind=unit_kind, valid_from=valid_from, defaults={"kept_per_mille": kept_per_mille}
    )
    audit.record(
        actor=actor,
        action="members.dues_share_rule_set",
        obj=rule,
        before=before,
        after={"kept_per_mille": kept_per_mille},
        data={
            "unit_kind": unit_kind,
            "kept_per_mille": kept_per_mille,
            "valid_from": valid_from.isoformat(),
        },
    )
    return rule


def dues_rules_install_defaults(*, actor: Any | None, valid_from: dt.date) -> list[DuesRule]:
    """Install `dues.DEFAULT_DUES_RULES` from `valid_from` on, for the income types that have
    no rule yet (a new node, the demo). Each rule is its own audited change."""
    installed = []
    for income_type, rate, amount in dues.DEFAULT_DUES_RULES:
        if not DuesRule.objects.filter(income_type=income_type).exists():
            installed.append(
                dues_rule_set(
                    actor=actor,
                    income_type=income_type,
                    valid_from=valid_from,
                    rate_per_mille=rate,
                    fixed_amount=amount,
                    note="Quy định 342-QĐ/TW",
                )
            )
    return installed


def _may_owe(member: Member, period: dt.date, today: dt.date) -> bool:
    """Whether `member` owes (or may pay ahead) the month `period`."""
    if member.admitted_on is None or period < dues.first_of_month(member.admitted_on):
        return False
    end = member.ended_on
    if member.status == Status.TRANSFERRED_OUT:
        end = member.status_since
    if end is not None:
        return dues.last_of_month(period) < end
    return period <= dues.first_of_month(add_months(today, ADVANCE_MONTHS))


def dues_payment_record_nondurable(
    *,
    actor: Any | None,
    member: Member,
    period: dt.date,
    amount: int,
    correction_reason: str = "",
) -> DuesPayment:
    """`dues_payment_record` inside the caller's transaction (the import)."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    today = clock.today()
    period = dues.first_of_month(period)
    correction_reason = (correction_reason or "").strip()
    errors: FieldErrors = {}
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = [_("The amount must be a positive number of dong.")]
    elif amount > MAX_MONTHLY_AMOUNT:
        errors["amount"] = [_("The amount is too large for one month's dues.")]
    if not _may_owe(member, period, today):
        errors["period"] = [
            _("%(month)s is not a month in which this person pays dues.")
            % {"month": period.strftime("%m/%Y")}
        ]
    if len(correction_reason) > 255:
        errors["correction_reason"] = [_("At most %(max)d characters.") % {"max": 255}]
    if errors:
        raise invalid(errors, _("The payment cannot be recorded."))
    current = (
        for_update(DuesPayment.objects)
        .filter(member=member, period=period, superseded_at__isnull=True)
        .first()
    )
    if current is not None and not correction_reason:
        raise Conflict(
            _(
                "The dues of %(month)s are already recorded; to change them, record a correction "
                "with its reason."
            )
            % {"month": period.strftime("%m/%Y")}
        )
    if current is None and correction_reason:
        message = _("There is no payment of this month to correct.")
        raise invalid({"correction_reason": [message]})
    now = clock.now()
    if current is not None:
        current.superseded_at = now
        current.save(update_fields=["superseded_at", "updated_at"])
    payment = DuesPayment.objects.create(
        member=member,
        period=period,
        amount=amount,
        unit=member.unit,
        recorded_by=actor,
        recorded_at=now,
        corrects=current,
        correction_reason=correction_reason,
    )
    record(
        actor,
        "members.dues_payment_corrected"
        if current is not None
        else "members.dues_payment_recorded",
        member,
        obj=payment,
        data={
            "period": period.isoformat(),
            "amount": amount,
            "previous_amount": current.amount if current is not None else None,
        },
    )
    return payment


@transaction.atomic(durable=True)
def dues_payment_record(
    *,
    actor: Any | None,
    member: Member,
    period: dt.date,
    amount: int,
    correction_reason: str = "",
) -> DuesPayment:
    """Record the dues of one month (`period`: any day of it) paid by `member`, collected by the
    member's unit. Only a month the person is (or, paying ahead, will still be) a Party member.
    A second payment of the same month is refused, unless it is a correction with its reason."""
    return dues_payment_record_nondurable(
        actor=actor,
        member=member,
        period=period,
        amount=amount,
        correction_reason=correction_reason,
    )
