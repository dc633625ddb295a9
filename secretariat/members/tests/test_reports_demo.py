"""The demo's Party members: about 5,000 records over the province's cells whose cached,
derived columns are exactly `lifecycle.derive` over their events (a sample replayed), the demo
account linked to its own record with dues, and the reports running over them."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest

from secretariat.core import clock
from secretariat.demo import members as demo_members
from secretariat.demo.province import province_tree
from secretariat.demo.seed import _ensure_units
from secretariat.members import generator, reports
from secretariat.members.choices import Status
from secretariat.members.models import DuesPayment, Member
from secretariat.members.selectors_dues import own_dues_year
from secretariat.members.selectors_members import own_member_profile
from secretariat.orgs.models import Unit


@pytest.fixture
def demo_province(db: Any, make_user: Any) -> Unit:
    _ensure_units(province_tree(), None, [])
    make_user("member")
    return Unit.objects.get(depth=1)


def test_demo_members_are_about_5000_and_consistent(demo_province: Unit, make_user: Any) -> None:
    log = io.StringIO()
    result = demo_members.seed_members(log=lambda line: print(line, file=log))
    assert 5000 <= result["members"] <= 5001
    statuses = dict.fromkeys(Status.values, 0)
    for status in Member.objects.values_list("status", flat=True):
        statuses[status] += 1
    # Mostly official members, some probationary, a few of every way out.
    assert statuses[Status.OFFICIAL] > 4000
    assert statuses[Status.PROBATIONARY] > 100
    for status in (Status.DECEASED, Status.LEFT, Status.REMOVED, Status.TRANSFERRED_OUT):
        assert statuses[status] > 0
    # Spread over every cell of the province.
    cells = set(Unit.objects.filter(kind="cell").values_list("pk", flat=True))
    assert set(Member.objects.values_list("registered_unit", flat=True)) == cells
    sample = random.Random(1).sample(list(Member.objects.all()), 400)
    assert generator.check_sample(sample) == []
    assert DuesPayment.objects.count() > 10000
    # The demo account sees its own profile and dues.
    user = Member.objects.get(user__username="member").user
    profile = own_member_profile(user=user)
    assert profile is not None
    assert profile.member.status == Status.OFFICIAL
    assert own_dues_year(user=user, year=clock.today().year) is not None
    # A second run adds nothing.
    again = demo_members.seed_members(log=lambda line: None)
    assert again["new_members"] == 0
    assert again["members"] == result["members"]
    # The reports count them, today and in the past, the same way from events and cache.
    officer = make_user("bto", role="member_records_officer", unit=demo_province)
    cached = reports.statutory_report(user=officer, unit=demo_province)
    derived = reports.statutory_report(user=officer, unit=demo_province, _force_events=True)
    assert cached.tables == derived.tables
    counted = statuses[Status.OFFICIAL] + statuses[Status.PROBATIONARY]
    assert cached.table("overview").value("total") == counted
    minorities = cached.table("ethnicity").value("minorities")
    assert 0.08 * counted < minorities < 0.35 * counted
