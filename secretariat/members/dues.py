"""Dues arithmetic (đảng phí). Pure: no database.

* A member owes dues for every month on whose last day they were a Party member (probationary or
  official, exempted from activities or not **[unverified]**): the admission month counts, the
  month the membership ends does not.
* The amount is `rate ‰ × base amount` (salaried: 1 % of the salary; pensioners: 0.5 % of the
  pension) or a fixed amount (students, no fixed income…), from the rule in force on the first
  day of the month (`DuesRule`); amounts are whole dong, rounded half up.
* A month is in arrears once it is over without a current payment; 3 or more months in arrears
  in one year flag the member (a ground for removal **[unverified]**, DOMAIN.md §5).
* A unit keeps `kept ‰` of the dues it collects or receives and remits the rest to the unit
  above; the kept share is rounded half up, the remitted share is the rest, so nothing is lost.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from secretariat.orgs.models import UnitKind

from .choices import IncomeType

ARREARS_FLAG_MONTHS = 3

# Kept share per unit kind when no `DuesShareRule` is configured **[unverified]**: a cell keeps
# 30 % and remits 70 % (DOMAIN.md §5); a committee keeps half of what reaches it; the top of the
# tree keeps everything (nothing above it).
DEFAULT_KEPT_PER_MILLE: dict[str, int] = {
    UnitKind.CELL: 300,
    UnitKind.PROVINCIAL_COMMITTEE: 1000,
}
DEFAULT_COMMITTEE_KEPT_PER_MILLE = 500

# The rules a new node starts with (Quy định 342-QĐ/TW of 2010 **[unverified]**), installed by
# `services.dues.dues_rules_install_defaults`: (income type, rate ‰, fixed amount in VND).
DEFAULT_DUES_RULES: tuple[tuple[str, int | None, int | None], ...] = (
    (IncomeType.SALARIED, 10, None),
    (IncomeType.PENSIONER, 5, None),
    (IncomeType.STUDENT, None, 2_000),
    (IncomeType.NO_FIXED_INCOME, None, 3_000),
)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def last_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_of_year(year: int) -> list[dt.date]:
    return [dt.date(year, month, 1) for month in range(1, 13)]


def per_mille(amount: int, rate: int) -> int:
    """`amount × rate / 1000`, whole dong, rounded half up (integer arithmetic: exact)."""
    return (amount * rate + 500) // 1000


def monthly_amount(
    *, rate_per_mille: int | None, fixed_amount: int | None, base: int | None
) -> int | None:
    """The dues of one month under a rule; None when a rate applies but no base is known."""
    if fixed_amount is not None:
        return fixed_amount
    if rate_per_mille is None or base is None:
        return None
    return per_mille(base, rate_per_mille)


def split(amount: int, kept_per_mille: int) -> tuple[int, int]:
    """(kept, remitted upward) of `amount`."""
    kept = per_mille(amount, kept_per_mille)
    return kept, amount - kept


def owed_months(
    *,
    admitted_on: dt.date | None,
    ended_on: dt.date | None,
    year: int,
) -> list[dt.date]:
    """The months of `year` the member owes (see the module's rule)."""
    if admitted_on is None:
        return []
    months = []
    for month in months_of_year(year):
        last_day = last_of_month(month)
        if admitted_on <= last_day and (ended_on is None or ended_on > last_day):
            months.append(month)
    return months


@dataclass(frozen=True)
class Arrears:
    year: int
    owed: list[dt.date]
    paid: list[dt.date]
    unpaid: list[dt.date]  # owed months that are over and not paid
    flagged: bool


def arrears(
    *,
    owed: Iterable[dt.date],
    paid: Iterable[dt.date],
    year: int,
    today: dt.date,
) -> Arrears:
    """Which owed months of `year` are over and unpaid, and whether that makes 3 or more."""
    owed_list = sorted(owed)
    paid_set = set(paid)
    current = first_of_month(today)
    unpaid = [m for m in owed_list if m < current and m not in paid_set]
    return Arrears(
        year=year,
        owed=owed_list,
        paid=sorted(paid_set),
        unpaid=unpaid,
        flagged=len(unpaid) >= ARREARS_FLAG_MONTHS,
    )


def default_kept_per_mille(unit_kind: str, *, is_root: bool) -> int:
    if is_root:
        return 1000
    if unit_kind in DEFAULT_KEPT_PER_MILLE:
        return DEFAULT_KEPT_PER_MILLE[unit_kind]
    return DEFAULT_COMMITTEE_KEPT_PER_MILLE
