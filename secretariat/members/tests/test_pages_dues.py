"""Dues pages (a payment, the monthly sheet of a cell, statements, arrears) and the statutory
reports page: who sees what, the numbers shown, errors without half-written sheets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.members import lifecycle, services
from secretariat.members.models import DuesPayment, Member
from secretariat.members.tests.factories import admitted, official

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    services.dues_rules_install_defaults(actor=None, valid_from=D(2000, 1, 1))
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
        "leader": make_user("leader", role="leader", unit=tree["commune_a"]),
        "plain": make_user("plain", position=(tree["cell_a"], "Đảng viên")),
    }


def _salaried(unit: Any, name: str, **extra: Any) -> Member:
    return official(
        unit, full_name=name, income_type="salaried", dues_base_amount=8_000_000, **extra
    )


def test_payment_form_records_and_refuses_a_second_time(
    people: dict[str, Any], client_for: Any
) -> None:
    member = _salaried(people["cell_a"], "Lý Văn Đóng")
    client = client_for(people["officer_a"])
    url = reverse("members:payment", args=[member.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="80000"' in page.content.decode()  # 10 ‰ of 8,000,000
    assert client.post(url, {"month": "2024-03", "amount": "80000"}).status_code == 302
    again = client.post(url, {"month": "2024-03", "amount": "80000"})
    assert again.status_code == 400
    assert "already recorded" in again.content.decode()
    bad = client.post(url, {"month": "2024-13", "amount": "-5"})
    assert bad.status_code == 400
    assert DuesPayment.objects.filter(member=member).count() == 1
    assert client_for(people["officer_b"]).get(url).status_code == 404


def test_monthly_sheet_records_all_ticked_or_nothing(
    people: dict[str, Any], client_for: Any
) -> None:
    first = _salaried(people["cell_a"], "Mai Văn Một")
    second = _salaried(people["cell_a"], "Mai Văn Hai", card_number="C2")
    client = client_for(people["officer_a"])
    url = reverse("members:dues_sheet") + f"?unit={people['cell_a'].pk}&month=2024-04"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Mai Văn Một" in body
    assert "Mai Văn Hai" in body
    # An amount that is too large on one line: nothing is recorded for anybody.
    refused = client.post(
        url,
        {
            f"paid_{first.pk.hex}": "on",
            f"paid_{second.pk.hex}": "on",
            f"amount_{second.pk.hex}": "999999999999",
        },
    )
    assert refused.status_code == 400
    assert DuesPayment.objects.count() == 0
    done = client.post(
        url,
        {
            f"paid_{first.pk.hex}": "on",
            f"paid_{second.pk.hex}": "on",
            f"amount_{second.pk.hex}": "100000",
        },
    )
    assert done.status_code == 302
    amounts = dict(DuesPayment.objects.values_list("member__full_name", "amount"))
    assert amounts == {"Mai Văn Một": 80_000, "Mai Văn Hai": 100_000}
    assert AuditEvent.objects.filter(action="members.dues_payment_recorded").count() == 2
    body = client.get(url).content.decode()
    assert "Nobody has dues left to record for this month." in body
    # Another unit's officer cannot even choose this cell.
    assert client_for(people["officer_b"]).get(url).status_code == 400
    assert client_for(people["leader"]).get(url).status_code == 403


def test_statement_is_open_to_leaders_and_arrears_to_officers_only(
    people: dict[str, Any], client_for: Any
) -> None:
    member = _salaried(people["cell_a"], "Trịnh Văn Nộp")
    services.dues_payment_record(actor=None, member=member, period=D(2024, 5, 1), amount=80_000)
    url = reverse("members:dues_statement") + f"?unit={people['commune_a'].pk}&month=2024-05"
    for name in ("officer_a", "leader"):
        response = client_for(people[name]).get(url)
        assert response.status_code == 200, name
        body = response.content.decode()
        # The cell keeps 30 % and remits 56,000; the commune keeps half of that.
        assert "24000" in body
        assert "56000" in body
        assert "28000" in body
    assert client_for(people["plain"]).get(url).status_code == 403
    assert client_for(people["officer_b"]).get(url).status_code == 400
    arrears = reverse("members:arrears") + f"?year={clock.today().year - 1}&flagged=on"
    body = client_for(people["officer_a"]).get(arrears).content.decode()
    assert "Trịnh Văn Nộp" in body
    assert "3 months or more" in body
    assert client_for(people["leader"]).get(arrears).status_code == 403


def test_reports_page_and_download(people: dict[str, Any], client_for: Any) -> None:
    _salaried(people["cell_a"], "Đinh Văn Báo")
    due = admitted(
        people["cell_a"], lifecycle.add_months(clock.today(), -12), full_name="Hà Văn Đến Hạn"
    )
    query = {"unit": str(people["commune_a"].pk)}
    for name in ("officer_a", "leader"):
        response = client_for(people[name]).get(reverse("members:reports"), query)
        assert response.status_code == 200, name
        body = response.content.decode()
        assert "report-overview" in body
        # The names of members due for recognition: records officers only.
        link = reverse("members:member", args=[due.pk])
        assert (link in body) == (name == "officer_a"), name
    # Names of members due for recognition: officers only (reports.py decides).
    assert client_for(people["plain"]).get(reverse("members:reports")).status_code == 403
    future = (clock.today() + dt.timedelta(days=2)).isoformat()
    bad = client_for(people["leader"]).get(reverse("members:reports"), {**query, "as_of": future})
    assert bad.status_code == 400
    assert "in the future" in bad.content.decode()
    download = client_for(people["leader"]).post(
        reverse("members:reports_download"), {**query, "fmt": "pdf"}
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="members.report_exported").count() == 1
    outside = client_for(people["leader"]).post(
        reverse("members:reports_download"), {"unit": str(people["commune_b"].pk), "fmt": "xlsx"}
    )
    assert outside.status_code == 400
