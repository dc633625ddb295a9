"""Public holidays of Viet Nam for public servants (Labour Code 2019 Art. 112 and the yearly
Government decisions on Tết). [unverified] — these dates are data: an administrator corrects and
extends them on the calendar page; the code never hard-codes a holiday.

(date, name, kind): kind "holiday" is a day off, "working" a Saturday or Sunday worked to
compensate a bridge day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

D = dt.date

CALENDAR_DAYS: list[tuple[dt.date, str, str]] = [
    # 2025
    (D(2025, 1, 1), "Tết Dương lịch", "holiday"),
    *[(D(2025, 1, 25) + dt.timedelta(days=i), "Tết Nguyên đán Ất Tỵ", "holiday") for i in range(9)],
    (D(2025, 4, 7), "Giỗ Tổ Hùng Vương", "holiday"),
    (D(2025, 4, 30), "Ngày Giải phóng miền Nam", "holiday"),
    (D(2025, 5, 1), "Ngày Quốc tế Lao động", "holiday"),
    (D(2025, 5, 2), "Nghỉ bù (đổi ngày làm việc)", "holiday"),
    (D(2025, 4, 26), "Làm bù cho ngày 2/5", "working"),
    (D(2025, 9, 1), "Quốc khánh", "holiday"),
    (D(2025, 9, 2), "Quốc khánh", "holiday"),
    # 2026
    (D(2026, 1, 1), "Tết Dương lịch", "holiday"),
    (D(2026, 1, 2), "Nghỉ bù Tết Dương lịch", "holiday"),
    *[
        (D(2026, 2, 14) + dt.timedelta(days=i), "Tết Nguyên đán Bính Ngọ", "holiday")
        for i in range(9)
    ],
    (D(2026, 4, 27), "Giỗ Tổ Hùng Vương (nghỉ bù)", "holiday"),
    (D(2026, 4, 30), "Ngày Giải phóng miền Nam", "holiday"),
    (D(2026, 5, 1), "Ngày Quốc tế Lao động", "holiday"),
    (D(2026, 9, 1), "Quốc khánh", "holiday"),
    (D(2026, 9, 2), "Quốc khánh", "holiday"),
    # 2027
    (D(2027, 1, 1), "Tết Dương lịch", "holiday"),
    *[
        (D(2027, 2, 5) + dt.timedelta(days=i), "Tết Nguyên đán Đinh Mùi", "holiday")
        for i in range(6)
    ],
    (D(2027, 4, 16), "Giỗ Tổ Hùng Vương", "holiday"),
    (D(2027, 4, 30), "Ngày Giải phóng miền Nam", "holiday"),
    (D(2027, 5, 1), "Ngày Quốc tế Lao động", "holiday"),
    (D(2027, 9, 2), "Quốc khánh", "holiday"),
    (D(2027, 9, 3), "Quốc khánh", "holiday"),
]


def ensure_calendar_days(model: Any = None) -> None:
    """Create or update the calendar rows. The data migration passes its historical model;
    tests call it after a flush has emptied the table."""
    if model is None:
        from .models import CalendarDay

        model = CalendarDay
    for date, name, kind in CALENDAR_DAYS:
        model.objects.update_or_create(date=date, defaults={"name": name, "kind": kind})
