"""Working days around weekends, Tết and compensated days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.office.models import CalendarDay
from secretariat.office.workdays import add_working_days, is_working_day, working_days_between

pytestmark = pytest.mark.django_db
D = dt.date


def test_weekends_are_skipped() -> None:
    # Friday 6 November 2026 + 1 working day = Monday 9 November.
    assert add_working_days(D(2026, 11, 6), 1) == D(2026, 11, 9)
    assert add_working_days(D(2026, 11, 9), 5) == D(2026, 11, 16)
    assert add_working_days(D(2026, 11, 9), 0) == D(2026, 11, 9)


def test_tet_is_skipped() -> None:
    # Tết Bính Ngọ: public servants are off from Saturday 14 to Sunday 22 February 2026.
    assert not is_working_day(D(2026, 2, 17))
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


def test_a_worked_saturday_counts_and_a_bridge_day_does_not() -> None:
    # 2025: Friday 2 May off, compensated by Saturday 26 April.
    assert is_working_day(D(2025, 4, 26))
    assert not is_working_day(D(2025, 5, 2))
    assert add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 26)
    assert add_working_days(D(2025, 4, 29), 1) == D(2025, 5, 5)


def test_the_calendar_is_data(db: Any) -> None:
    CalendarDay.objects.update_or_create(
        date=D(2026, 11, 20), defaults={"name": "Ngày Nhà giáo (thử)", "kind": "holiday"}
    )
    assert add_working_days(D(2026, 11, 19), 1) == D(2026, 11, 23)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="days"):
        add_working_days(D(2026, 1, 5), -1)
