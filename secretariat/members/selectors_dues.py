"""Read queries of dues: the expected amount, a member's year, arrears and flags, monthly
statements per cell and committee. Scope as in `selectors_members` (`members.manage`);
statements are aggregates and are open to `members.reports` too (leaders). The arithmetic is
`members/dues.py`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied
from secretariat.orgs.models import Unit

from . import dues
from .choices import Status
from .models import DuesPayment, DuesRule, DuesShareRule, Member
from .selectors_members import member_get, members_in_scope, own_member_record

# --- Rules ------------------------------------------------------------------------------------


class RuleBook:
    """The dues and share rules, loaded once, answering "which rule on this month?"."""

    def __init__(self) -> None:
        self.dues: dict[str, list[DuesRule]] = defaultdict(list)
        for rule in DuesRule.objects.order_by("-valid_from"):
            self.dues[rule.income_type].append(rule)
        self.shares: dict[str, list[DuesShareRule]] = defaultdict(list)
        for share in DuesShareRule.objects.order_by("-valid_from"):
            self.shares[share.unit_kind].append(share)

    def dues_rule(self, income_type: str, month: dt.date) -> DuesRule | None:
        return next((r for r in self.dues.get(income_type, []) if r.valid_from <= month), None)

    def expected(self, member: Member, month: dt.date) -> int | None:
        """The dues `member` owes for `month` under the rule in force; None when unknown (no
        income type, no rule, or a rate without a base amount)."""
        rule = self.dues_rule(member.income_type, month) if member.income_type else None
        if rule is None:
            return None
        return dues.monthly_amount(
            rate_per_mille=rule.rate_per_mille,
            fixed_amount=rule.fixed_amount,
            base=member.dues_base_amount,
        )

    def kept_per_mille(self, unit: Unit, month: dt.date) -> int:
        if unit.depth == 1:
            return 1000  # the top of the tree has nobody to remit to
        share = next((s for s in self.shares.get(unit.kind, []) if s.valid_from <= month), None)
        if share is not None:
            return share.kept_per_mille
        return dues.default_kept_per_mille(unit.kind, is_root=False)


def expected_amount(*, member: Member, month: dt.date) -> int | None:
    """The dues `member` owes for `month` (see `RuleBook.expected`)."""
    return RuleBook().expected(member, dues.first_of_month(month))


# --- A member's year --------------------------------------------------------------------------


def membership_end(member: Member) -> dt.date | None:
    """The day the member stopped owing dues here: the end of membership, or the day a
    transfer out of the node took effect."""
    if member.status == Status.TRANSFERRED_OUT:
        return member.status_since
    return member.ended_on


@dataclass(frozen=True)
class MonthLine:
    month: dt.date
    owed: bool
    expected: int | None
    paid: int | None  # the current payment's amount, None when unpaid


@dataclass(frozen=True)
class MemberDuesYear:
    member: Member
    year: int
    months: list[MonthLine]
    arrears: dues.Arrears
    expected_total: int  # of the owed months whose amount is known
    paid_total: int


def _member_year(member: Member, year: int, today: dt.date, book: RuleBook) -> MemberDuesYear:
    owed = dues.owed_months(
        admitted_on=member.admitted_on, ended_on=membership_end(member), year=year
    )
    paid = dict(
        DuesPayment.objects.filter(
            member=member, period__year=year, superseded_at__isnull=True
        ).values_list("period", "amount")
    )
    owed_set = set(owed)
    lines = []
    for month in dues.months_of_year(year):
        lines.append(
            MonthLine(
                month=month,
                owed=month in owed_set,
                expected=book.expected(member, month) if month in owed_set else None,
                paid=paid.get(month),
            )
        )
    return MemberDuesYear(
        member=member,
        year=year,
        months=lines,
        arrears=dues.arrears(owed=owed, paid=paid, year=year, today=today),
        expected_total=sum(line.expected or 0 for line in lines if line.owed),
        paid_total=sum(paid.values()),
    )


def member_dues_year(
    *, user: Any, member_id: Any, year: int, today: dt.date | None = None
) -> MemberDuesYear:
    """A member's dues over `year`: per month whether owed, the expected amount, what was
    paid; the arrears. For a record in the user's scope, or the user's own."""
    own = own_member_record(user=user)
    if own is not None and str(own.pk) == str(member_id):
        member = own
    else:
        member = member_get(user=user, member_id=member_id)
    return _member_year(member, year, today or clock.today(), RuleBook())


def own_dues_year(*, user: Any, year: int, today: dt.date | None = None) -> MemberDuesYear | None:
    """The user's own dues over `year`, when their account is linked to a record."""
    member = own_member_record(user=user)
    if member is None:
        return None
    return _member_year(member, year, today or clock.today(), RuleBook())


# --- Arrears ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberArrears:
    member: Member
    arrears: dues.Arrears


def dues_arrears(
    *,
    user: Any,
    year: int,
    unit: Unit | None = None,
    today: dt.date | None = None,
    flagged_only: bool = False,
) -> list[MemberArrears]:
    """The members of the user's scope (under `unit` when given) with unpaid months in `year`
    that are over; `flagged_only` keeps those with 3 or more. Two queries whatever the size."""
    today = today or clock.today()
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    members = members_in_scope(user=user).filter(admitted_on__lte=end).exclude(ended_on__lt=start)
    if unit is not None:
        members = members.filter(unit__path__startswith=unit.path)
    member_list = list(members.order_by("unit__path", "full_name"))
    paid: dict[Any, list[dt.date]] = defaultdict(list)
    for member_id, period in DuesPayment.objects.filter(
        member__in=[m.pk for m in member_list], period__year=year, superseded_at__isnull=True
    ).values_list("member_id", "period"):
        paid[member_id].append(period)
    result = []
    for member in member_list:
        owed = dues.owed_months(
            admitted_on=member.admitted_on, ended_on=membership_end(member), year=year
        )
        found = dues.arrears(owed=owed, paid=paid[member.pk], year=year, today=today)
        if found.unpaid and (found.flagged or not flagged_only):
            result.append(MemberArrears(member=member, arrears=found))
    return result


# --- Monthly statements -----------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    unit: Unit
    payments: int  # payments collected directly by the unit
    collected: int  # their amount
    received: int  # remitted to it by the units directly below
    kept: int
    remitted: int  # to the unit above


@dataclass(frozen=True)
class DuesStatement:
    unit: Unit
    month: dt.date
    total: StatementLine  # the unit's own line
    below: list[StatementLine]  # the units directly below it


def dues_statement(*, user: Any, unit: Unit, month: dt.date) -> DuesStatement:
    """The dues of `month` for `unit` (a cell or a committee): collected directly, received
    from the units below, kept and remitted upward; with one line per unit directly below.

    Each unit keeps its share of what it collects plus what reaches it from below and remits
    the rest (`DuesShareRule`, else `dues.DEFAULT_KEPT_PER_MILLE`). One aggregate query over
    the subtree's payments, then a bottom-up pass over its units."""
    if not (
        policy.can(user, Action.MEMBERS_MANAGE, unit)
        or policy.can(user, Action.MEMBERS_REPORTS, unit)
    ):
        raise PermissionDenied(_("You do not have permission to do this here."))
    month = dues.first_of_month(month)
    units = list(Unit.objects.filter(path__startswith=unit.path).order_by("-depth", "path"))
    totals = {
        row["unit"]: (row["count"], row["amount"] or 0)
        for row in DuesPayment.objects.filter(
            period=month, superseded_at__isnull=True, unit__path__startswith=unit.path
        )
        .values("unit")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    }
    book = RuleBook()
    lines: dict[Any, StatementLine] = {}
    received: dict[str, int] = defaultdict(int)  # by parent path
    for current in units:  # deepest first: children before their parent
        count, collected = totals.get(current.pk, (0, 0))
        from_below = received[current.path]
        kept, remitted = dues.split(collected + from_below, book.kept_per_mille(current, month))
        lines[current.pk] = StatementLine(
            unit=current,
            payments=count,
            collected=collected,
            received=from_below,
            kept=kept,
            remitted=remitted,
        )
        received[current.path[: -Unit.steplen]] += remitted
    below = [lines[u.pk] for u in sorted(units, key=lambda u: u.path) if u.depth == unit.depth + 1]
    return DuesStatement(unit=unit, month=month, total=lines[unit.pk], below=below)
