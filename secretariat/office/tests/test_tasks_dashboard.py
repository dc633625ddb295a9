"""The overdue dashboard: counts and the on-time rate, per unit in scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from secretariat.core import clock
from secretariat.office import selectors_tasks as selectors
from secretariat.office.services import tasks as services
from secretariat.office.tests import test_tasks as shared

pytestmark = pytest.mark.django_db
world = shared.world  # the shared fixture
D = dt.date
UTC = dt.UTC
TODAY = D(2026, 11, 26)  # a Thursday: this week runs to Sunday 29


def _task(world: dict[str, Any], unit: str, due: dt.date | None, title: str) -> Any:
    with transaction.atomic():
        return services.task_create(
            actor=None,
            unit=world[unit],
            title=title,
            assignee=world["spec_b" if unit == "commune_b" else "spec_a"],
            due_on=due,
        )


def _done(task: Any, user: Any, at: dt.datetime, monkeypatch: Any) -> None:
    monkeypatch.setattr(clock, "now", lambda: at)
    monkeypatch.setattr(clock, "today", lambda: at.date())
    services.task_complete(actor=user, task=task, result="ok")


@pytest.fixture
def dashboard_world(world: dict[str, Any], monkeypatch: Any) -> dict[str, Any]:
    spec = world["spec_a"]
    # Done at 23:30 in Hà Nội on its due date (16:30 UTC): on time.
    _done(
        _task(world, "commune_a", D(2026, 11, 10), "T1"),
        spec,
        dt.datetime(2026, 11, 10, 16, 30, tzinfo=UTC),
        monkeypatch,
    )
    # Done at 00:30 in Hà Nội the day after (17:30 UTC on the due date): late.
    _done(
        _task(world, "commune_a", D(2026, 11, 11), "T2"),
        spec,
        dt.datetime(2026, 11, 11, 17, 30, tzinfo=UTC),
        monkeypatch,
    )
    _done(
        _task(world, "cell_a", D(2026, 11, 20), "T3"),
        spec,
        dt.datetime(2026, 11, 15, 3, 0, tzinfo=UTC),
        monkeypatch,
    )
    # Done before the period: not counted.
    _done(
        _task(world, "commune_a", D(2026, 10, 20), "T0"),
        spec,
        dt.datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
        monkeypatch,
    )
    # Done without a due date: not in the rate.
    _done(
        _task(world, "commune_a", None, "T6"),
        spec,
        dt.datetime(2026, 11, 12, 3, 0, tzinfo=UTC),
        monkeypatch,
    )
    _task(world, "commune_a", D(2026, 11, 20), "T4 overdue")
    _task(world, "commune_a", D(2026, 11, 27), "T5 this week")
    _task(world, "commune_a", D(2026, 11, 30), "T5b next week")
    cancelled = _task(world, "commune_a", D(2026, 11, 1), "T7")
    services.task_cancel(actor=None, task=cancelled)
    _task(world, "commune_b", D(2026, 11, 2), "T8 other commune")
    return world


def test_counts_and_on_time_rate(dashboard_world: dict[str, Any]) -> None:
    rows, totals = selectors.overdue_dashboard(
        user=dashboard_world["leader_a"], today=TODAY, date_from=D(2026, 11, 1), date_to=TODAY
    )
    by_unit = {r.unit.code: r for r in rows if r.unit}
    assert set(by_unit) == {dashboard_world["commune_a"].code, dashboard_world["cell_a"].code}
    commune = by_unit[dashboard_world["commune_a"].code]
    assert (commune.open, commune.open_overdue, commune.due_this_week) == (3, 1, 1)
    assert (commune.done_on_time, commune.done_late) == (1, 1)
    assert commune.on_time_rate == 50.0
    cell = by_unit[dashboard_world["cell_a"].code]
    assert (cell.done_on_time, cell.done_late, cell.on_time_rate) == (1, 0, 100.0)
    assert (totals.done_on_time, totals.done_late, totals.on_time_rate) == (2, 1, 66.7)
    assert totals.open_overdue == 1
    # The overdue units come first.
    assert rows[0].unit == dashboard_world["commune_a"]


def test_scope(dashboard_world: dict[str, Any]) -> None:
    rows, totals = selectors.overdue_dashboard(user=dashboard_world["leader_b"], today=TODAY)
    assert [r.unit for r in rows] == [dashboard_world["commune_b"]]
    assert totals.open_overdue == 1
    rows, _ = selectors.overdue_dashboard(user=dashboard_world["province_leader"], today=TODAY)
    assert len(rows) == 3
    rows, totals = selectors.overdue_dashboard(user=dashboard_world["member_a"], today=TODAY)
    assert rows == []
    assert totals.on_time_rate is None


def test_no_rate_without_completed_tasks(world: dict[str, Any]) -> None:
    _task(world, "commune_a", D(2026, 12, 20), "open")
    rows, totals = selectors.overdue_dashboard(user=world["leader_a"], today=TODAY)
    assert rows[0].on_time_rate is None
    assert totals.on_time_rate is None
