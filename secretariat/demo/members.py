"""The demo province's Party members: about 5,000 records with realistic life-cycle histories,
spread over the cells (`members.generator`, bulk path: consistent rows, a few seconds), the
default dues rules, and the demo "member" account linked to a record of its own — created
through the real services, with dues paid for the past months — so that it sees its profile
and dues. Idempotent: a database that already holds members keeps them."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from secretariat.accounts.models import User
from secretariat.core import clock
from secretariat.members import dues, generator, services
from secretariat.members.choices import EventKind
from secretariat.members.models import DuesRule, Member
from secretariat.members.selectors_dues import expected_amount
from secretariat.orgs.models import Unit

from .province import NAMED_ACCOUNTS

# SECRETARIAT_DEMO_MEMBERS changes the number (a quicker seed in a test, a bigger demo).
DEFAULT_MEMBERS = 5000


def _own_record(units: dict[str, Unit], log: Callable[[str], None]) -> None:
    account = next(a for a in NAMED_ACCOUNTS if a.username == "member")
    user = User.objects.filter(username=account.username).first()
    if user is None or Member.objects.filter(user=user).exists():
        return
    cell = units[account.unit_code]
    today = clock.today()
    member = services.member_create(
        actor=None,
        unit=cell,
        profile={
            "full_name": account.full_name,
            "gender": "male",
            "birth_date": dt.date(1986, 4, 12),
            "ethnicity": "01",
            "religion": "none",
            "hometown": "Xã Lạc Dương, tỉnh Lâm Đồng",
            "residence": "Thôn Đạ Nghịt, xã Lạc Dương, tỉnh Lâm Đồng",
            "occupation": "Giáo viên",
            "general_education": "12/12",
            "degree": "bachelor",
            "political_theory": "elementary",
            "income_type": "salaried",
            "dues_base_amount": 8_400_000,
        },
    )
    admitted = dt.date(2014, 9, 2)
    services.member_event_record(
        actor=None,
        member=member,
        kind=EventKind.ADMISSION,
        effective_on=admitted,
        decision_number="45-QĐ/ĐU",
        to_unit=cell,
    )
    services.member_event_record(
        actor=None,
        member=Member.objects.get(pk=member.pk),
        kind=EventKind.OFFICIAL,
        effective_on=dt.date(2015, 9, 10),
        decision_number="112-QĐ/ĐU",
    )
    member = services.member_link_user(
        actor=None, member=Member.objects.get(pk=member.pk), user=user
    )
    # Dues paid for the months of this year before the last one (left owed, to be seen).
    month = dt.date(today.year, 1, 1)
    stop = dues.first_of_month(dues.first_of_month(today) - dt.timedelta(days=1))
    while month < stop:
        amount = expected_amount(member=member, month=month)
        if amount:
            services.dues_payment_record(actor=None, member=member, period=month, amount=amount)
        month = dues.first_of_month(month + dt.timedelta(days=32))
    log(f"members: the demo account “member” is linked to {member.full_name}'s record")


def seed_members(*, log: Callable[[str], None] = print, count: int | None = None) -> dict[str, Any]:
    """Add the demo's Party members when the database holds none yet; link the demo account."""
    if count is None:
        count = int(os.environ.get("SECRETARIAT_DEMO_MEMBERS", DEFAULT_MEMBERS))
    today = clock.today()
    if not DuesRule.objects.exists():
        services.dues_rules_install_defaults(actor=None, valid_from=dt.date(2010, 1, 1))
    units = {u.code: u for u in Unit.objects.all()}
    created = 0
    if not Member.objects.exists():
        cells = generator.party_cells()
        plans = generator.plan_members(count, cells, seed=2026, today=today)
        created = generator.bulk_insert(plans, dues_months=6, rating_years=2)
    _own_record(units, log)
    total = Member.objects.count()
    log(f"members: {total} ({created} new)")
    return {"members": total, "new_members": created}
