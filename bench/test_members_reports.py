"""The member reports benchmark at a small size (no timing asserted): the report numbers equal
the raw SQL numbers, for today and five years back, for every report of the set."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parent))

import members_reports

from secretariat.members.reports import REPORT_KEYS


@pytest.mark.django_db
def test_every_report_equals_the_raw_sql_at_2000_members() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the raw SQL baseline is PostgreSQL's")
    results = members_reports.run(2000, 1, quiet=True)
    reports = {(r["report"], r["as_of"]) for r in results}
    assert len(reports) == 2 * len(REPORT_KEYS)
    by_key = {(r["report"], r["as_of"]): r["numbers"] for r in results}
    # The numbers are not trivially empty: members counted, events moved.
    assert by_key[("overview", "today")]["total"][0] > 1500
    assert by_key[("overview", "past")]["total"][0] > 1000
    assert by_key[("overview", "past")]["total"] != by_key[("overview", "today")]["total"]
    assert sum(v[0] for v in by_key[("movements", "today")].values()) > 50
    assert all(r["ours_s"] > 0 and r["raw_s"] > 0 for r in results)
