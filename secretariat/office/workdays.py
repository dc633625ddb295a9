"""Working days: weekends and public holidays are not counted (deadlines of Decree 30 Art. 23–24
are in working days). The calendar is data (`CalendarDay`): holidays and worked weekend days."""

from __future__ import annotations

import datetime as dt

from .models import CalendarDay, CalendarDayKind

# Saturday and Sunday.
WEEKEND = frozenset({5, 6})


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    return dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind")
    )


def _is_working(day: dt.date, overrides: dict[dt.date, str]) -> bool:
    kind = overrides.get(day)
    if kind == CalendarDayKind.HOLIDAY:
        return False
    if kind == CalendarDayKind.WORKING:
        return True
    return day.weekday() not in WEEKEND


def is_working_day(day: dt.date) -> bool:
    return _is_working(day, _overrides(day, day))


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted): a deadline of
    3 working days from Friday 13 February 2026 falls after Tết, on Wednesday 25 February."""
    if days < 0:
        raise ValueError("days must be >= 0")
    # Holidays are at most a couple of weeks in a row; look ahead generously once.
    horizon = start + dt.timedelta(days=days * 2 + 30)
    overrides = _overrides(start, horizon)
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day > horizon:
            horizon = day + dt.timedelta(days=days * 2 + 30)
            overrides = _overrides(day, horizon)
        if _is_working(day, overrides):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -working_days_between(end, start)
    overrides = _overrides(start, end)
    return sum(
        1
        for i in range(1, (end - start).days + 1)
        if _is_working(start + dt.timedelta(days=i), overrides)
    )
