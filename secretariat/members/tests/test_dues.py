"""Dues: the arithmetic, payments (month, amount, corrections), arrears over a year and the
3-month flag, monthly statements per cell and committee — against hand-computed numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.members import dues, selectors_dues, services
from secretariat.members.choices import EventKind as K
from secretariat.members.models import DuesPayment
from secretariat.members.tests.factories import event, official

D = dt.date


def test_amounts_round_half_up_and_splits_lose_nothing() -> None:
    assert dues.monthly_amount(rate_per_mille=10, fixed_amount=None, base=8_450_050) == 84_501
    assert dues.monthly_amount(rate_per_mille=5, fixed_amount=None, base=4_999_900) == 25_000
    assert dues.monthly_amount(rate_per_mille=None, fixed_amount=2_000, base=None) == 2_000
    assert dues.monthly_amount(rate_per_mille=10, fixed_amount=None, base=None) is None
    assert dues.split(84_501, 300) == (25_350, 59_151)
    assert sum(dues.split(12_345, 333)) == 12_345


def test_owed_months_follow_the_membership() -> None:
    # Admitted 15 March: March is owed (a member on its last day); left 10 October: not October.
    owed = dues.owed_months(admitted_on=D(2023, 3, 15), ended_on=D(2023, 10, 10), year=2023)
    assert owed == [D(2023, m, 1) for m in range(3, 10)]
    assert dues.owed_months(admitted_on=None, ended_on=None, year=2023) == []


def test_arrears_count_only_months_that_are_over() -> None:
    owed = dues.months_of_year(2023)
    paid = [D(2023, 1, 1), D(2023, 2, 1), D(2023, 4, 1)]
    result = dues.arrears(owed=owed, paid=paid, year=2023, today=D(2023, 6, 15))
    assert result.unpaid == [D(2023, 3, 1), D(2023, 5, 1)]  # June is not over yet
    assert not result.flagged
    result = dues.arrears(owed=owed, paid=paid, year=2023, today=D(2023, 7, 1))
    assert result.unpaid == [D(2023, 3, 1), D(2023, 5, 1), D(2023, 6, 1)]
    assert result.flagged


@pytest.fixture
def world(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    officer = make_user("officer", role="member_records_officer", unit=tree["province"])
    services.dues_rule_set(
        actor=officer, income_type="salaried", valid_from=D(2020, 1, 1), rate_per_mille=10
    )
    services.dues_rule_set(
        actor=officer, income_type="student", valid_from=D(2020, 1, 1), fixed_amount=2_000
    )
    services.dues_rule_set(
        actor=officer, income_type="student", valid_from=D(2023, 7, 1), fixed_amount=3_000
    )
    return {
        **tree,
        "officer": officer,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "leader": make_user("leader", role="leader", unit=tree["province"]),
    }


pytestmark = pytest.mark.django_db


def test_rules_are_node_wide_and_validated(world: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.dues_rule_set(
            actor=world["officer_a"],
            income_type="pensioner",
            valid_from=D(2020, 1, 1),
            rate_per_mille=5,
        )
    with pytest.raises(ValidationFailed):
        services.dues_rule_set(
            actor=world["officer"],
            income_type="pensioner",
            valid_from=D(2020, 1, 1),
            rate_per_mille=5,
            fixed_amount=1,
        )
    with pytest.raises(ValidationFailed, match="first day of a month"):
        services.dues_rule_set(
            actor=world["officer"],
            income_type="pensioner",
            valid_from=D(2020, 1, 2),
            rate_per_mille=5,
        )


def test_expected_amount_follows_the_rule_in_force(world: dict[str, Any]) -> None:
    salaried = official(world["cell_a"], income_type="salaried", dues_base_amount=7_500_000)
    student = official(world["cell_a"], full_name="Sinh Viên", income_type="student")
    assert selectors_dues.expected_amount(member=salaried, month=D(2023, 5, 20)) == 75_000
    assert selectors_dues.expected_amount(member=student, month=D(2023, 6, 1)) == 2_000
    assert selectors_dues.expected_amount(member=student, month=D(2023, 7, 1)) == 3_000
    unknown = official(world["cell_a"], full_name="Chưa rõ")
    assert selectors_dues.expected_amount(member=unknown, month=D(2023, 7, 1)) is None


def test_payments_validate_month_amount_and_duplicates(world: dict[str, Any]) -> None:
    member = official(world["cell_a"], D(2021, 3, 1))
    pay = services.dues_payment_record
    first = pay(actor=world["officer_a"], member=member, period=D(2023, 1, 20), amount=75_000)
    assert first.period == D(2023, 1, 1)
    assert first.unit == world["cell_a"]
    with pytest.raises(ValidationFailed, match="positive"):
        pay(actor=world["officer_a"], member=member, period=D(2023, 2, 1), amount=0)
    with pytest.raises(ValidationFailed, match="not a month"):
        pay(actor=world["officer_a"], member=member, period=D(2021, 2, 1), amount=75_000)
    with pytest.raises(Conflict, match="01/2023 are already recorded"):
        pay(actor=world["officer_a"], member=member, period=D(2023, 1, 1), amount=80_000)
    corrected = pay(
        actor=world["officer_a"],
        member=member,
        period=D(2023, 1, 1),
        amount=80_000,
        correction_reason="Ghi nhầm",
    )
    assert corrected.corrects == first
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert DuesPayment.objects.filter(member=member, superseded_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="members.dues_payment_corrected").count() == 1
    with pytest.raises(PermissionDenied):
        pay(actor=world["leader"], member=member, period=D(2023, 3, 1), amount=75_000)
    # No dues after the membership ended.
    event(member, K.LEAVING, D(2023, 6, 10))
    with pytest.raises(ValidationFailed, match="not a month"):
        pay(actor=world["officer_a"], member=member, period=D(2023, 6, 1), amount=75_000)
    pay(actor=world["officer_a"], member=member, period=D(2023, 5, 1), amount=75_000)


def test_arrears_over_a_year_flag_three_unpaid_months(world: dict[str, Any]) -> None:
    regular = official(
        world["cell_a"], full_name="Đều Đặn", income_type="salaried", dues_base_amount=5_000_000
    )
    late = official(
        world["cell_a"], full_name="Chậm Nộp", income_type="salaried", dues_base_amount=5_000_000
    )
    newcomer = official(world["cell_b"], D(2022, 10, 5), full_name="Mới Vào")
    for month in range(1, 13):
        services.dues_payment_record(
            actor=None, member=regular, period=D(2023, month, 1), amount=50_000
        )
    for month in (1, 2, 3, 5, 9, 10, 11, 12):  # April, June, July, August unpaid
        services.dues_payment_record(
            actor=None, member=late, period=D(2023, month, 1), amount=50_000
        )
    today = D(2024, 1, 15)
    found = {
        a.member.full_name: a.arrears
        for a in selectors_dues.dues_arrears(user=world["officer"], year=2023, today=today)
    }
    assert set(found) == {"Chậm Nộp", "Mới Vào"}
    assert found["Chậm Nộp"].unpaid == [D(2023, 4, 1), D(2023, 6, 1), D(2023, 7, 1), D(2023, 8, 1)]
    assert found["Chậm Nộp"].flagged
    assert len(found["Mới Vào"].unpaid) == 12
    # Mid-year, only the months already over count.
    midyear = selectors_dues.dues_arrears(
        user=world["officer"], year=2023, today=D(2023, 7, 1), flagged_only=True
    )
    assert [a.member.full_name for a in midyear] == ["Mới Vào"]
    # The officer of commune A sees only commune A's members.
    scoped = selectors_dues.dues_arrears(user=world["officer_a"], year=2023, today=today)
    assert [a.member.full_name for a in scoped] == ["Chậm Nộp"]
    year = selectors_dues.member_dues_year(
        user=world["officer_a"], member_id=late.pk, year=2023, today=today
    )
    assert year.expected_total == 12 * 50_000
    assert year.paid_total == 8 * 50_000
    assert [line.paid for line in year.months][3] is None
    with pytest.raises(Exception):  # noqa: B017, PT011 — NotFound: outside the scope
        selectors_dues.member_dues_year(user=world["officer_a"], member_id=newcomer.pk, year=2023)


def test_monthly_statements_per_cell_and_committee(world: dict[str, Any]) -> None:
    a1 = official(world["cell_a"], full_name="A1")
    a2 = official(world["cell_a"], full_name="A2")
    b1 = official(world["cell_b"], full_name="B1")
    month = D(2023, 5, 1)
    for member, amount in ((a1, 100_000), (a2, 50_000), (b1, 30_000)):
        services.dues_payment_record(actor=None, member=member, period=month, amount=amount)
    # The commune of B keeps 40 % instead of the default half.
    services.dues_share_rule_set(
        actor=world["officer"],
        unit_kind="ward_committee",
        kept_per_mille=400,
        valid_from=D(2023, 1, 1),
    )
    cell = selectors_dues.dues_statement(user=world["officer_a"], unit=world["cell_a"], month=month)
    assert (cell.total.payments, cell.total.collected, cell.total.kept, cell.total.remitted) == (
        2,
        150_000,
        45_000,
        105_000,
    )
    province = selectors_dues.dues_statement(
        user=world["leader"], unit=world["province"], month=D(2023, 5, 31)
    )
    lines = {line.unit.code: line for line in province.below}
    # Commune A: receives 105,000 from its cell, keeps half.
    assert (
        lines["000.01.00.T68"].received,
        lines["000.01.00.T68"].kept,
        lines["000.01.00.T68"].remitted,
    ) == (105_000, 52_500, 52_500)
    # Cell B: 30,000 → keeps 9,000, remits 21,000; ward B keeps 40 % of it.
    assert (
        lines["000.02.00.T68"].received,
        lines["000.02.00.T68"].kept,
        lines["000.02.00.T68"].remitted,
    ) == (21_000, 8_400, 12_600)
    assert province.total.received == 52_500 + 12_600
    assert province.total.kept == province.total.received  # nothing above the province
    # Everything collected is kept somewhere, once.
    all_lines = [cell.total, *province.below, province.total]
    assert 45_000 + 9_000 + sum(x.kept for x in all_lines[1:]) == 180_000
    with pytest.raises(PermissionDenied):
        selectors_dues.dues_statement(user=world["officer_a"], unit=world["cell_b"], month=month)
