"""Probation reminders (once, to the unit's records officers, audited; the list in scope), and
annual ratings and rewards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core.errors import ValidationFailed
from secretariat.members import selectors_members, services
from secretariat.members.choices import EventKind as K
from secretariat.members.models import AnnualRating
from secretariat.members.tests.factories import admitted, event, official
from secretariat.office.models import Notification

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_cell": make_user(
            "officer_cell", role="member_records_officer", unit=tree["cell_a"], subtree=False
        ),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
        "leader": make_user("leader", role="leader", unit=tree["commune_a"]),
    }


def _messages(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("message", flat=True))


def test_reminder_before_the_end_of_probation_once(people: dict[str, Any]) -> None:
    member = admitted(people["cell_a"], D(2023, 3, 1), full_name="Hoàng Văn Giang")
    send = services.probation_reminders_send
    assert send(today=D(2024, 1, 30), days=30) == {"reminded": 0, "overdue": 0}
    assert send(today=D(2024, 1, 31), days=30) == {"reminded": 1, "overdue": 0}
    for officer in (people["officer_a"], people["officer_cell"]):
        assert _messages(officer) == [
            "The probation of Hoàng Văn Giang ends on 01/03/2024: prepare the self-review, the "
            "helper's comment and the cell's proposal for official membership."
        ]
    assert _messages(people["officer_b"]) == []
    assert _messages(people["leader"]) == []
    assert send(today=D(2024, 2, 15), days=30) == {"reminded": 0, "overdue": 0}
    # Ended without recognition: told once more.
    assert send(today=D(2024, 3, 2), days=30) == {"reminded": 0, "overdue": 1}
    assert send(today=D(2024, 3, 9), days=30) == {"reminded": 0, "overdue": 0}
    assert "has not been recognized" in _messages(people["officer_a"])[0]
    assert (
        AuditEvent.objects.filter(
            action="members.probation_reminded", object_id=str(member.pk)
        ).count()
        == 1
    )
    assert AuditEvent.objects.filter(action="members.probation_overdue").count() == 1
    # Recognized: nothing more.
    event(member, K.OFFICIAL, D(2024, 3, 1))
    assert send(today=D(2024, 4, 1), days=30) == {"reminded": 0, "overdue": 0}


def test_the_probation_list_is_scoped(people: dict[str, Any]) -> None:
    soon = admitted(people["cell_a"], D(2023, 3, 1), full_name="Sắp hết")
    late = admitted(people["cell_a"], D(2022, 12, 1), full_name="Quá hạn")
    admitted(people["cell_a"], D(2023, 9, 1), full_name="Còn lâu")
    admitted(people["cell_b"], D(2023, 3, 1), full_name="Đơn vị khác")
    official(people["cell_a"], full_name="Chính thức")
    due = selectors_members.probation_due(
        user=people["officer_a"], within_days=30, today=D(2024, 2, 10)
    )
    assert [m.full_name for m in due] == ["Quá hạn", "Sắp hết"]
    assert selectors_members.probation_overdue(late, D(2024, 2, 10))
    assert not selectors_members.probation_overdue(soon, D(2024, 2, 10))
    assert list(selectors_members.probation_due(user=people["leader"], today=D(2024, 2, 10))) == []


def test_one_rating_per_member_and_year(people: dict[str, Any]) -> None:
    member = official(people["cell_a"], D(2021, 3, 1))
    services.rating_set(actor=people["officer_a"], member=member, year=2023, rating="good")
    services.rating_set(actor=people["officer_a"], member=member, year=2023, rating="excellent")
    rating = AnnualRating.objects.get(member=member, year=2023)
    assert rating.rating == "excellent"
    assert rating.unit == people["cell_a"]
    assert AuditEvent.objects.filter(action="members.rating_set").count() == 2
    with pytest.raises(ValidationFailed, match="not a Party member that year"):
        services.rating_set(actor=people["officer_a"], member=member, year=2020, rating="good")
    with pytest.raises(ValidationFailed, match="four ratings"):
        services.rating_set(actor=people["officer_a"], member=member, year=2022, rating="great")


def test_party_badges_need_the_party_age(people: dict[str, Any]) -> None:
    veteran = official(people["cell_a"], D(1985, 2, 3), birth_date=D(1960, 1, 1))
    reward = services.reward_add(
        actor=people["officer_a"],
        member=veteran,
        kind="party_badge",
        badge_years=40,
        decided_on=D(2025, 2, 3),
    )
    assert reward.title == "Huy hiệu 40 năm tuổi Đảng"
    with pytest.raises(ValidationFailed, match="already has this badge"):
        services.reward_add(
            actor=people["officer_a"],
            member=veteran,
            kind="party_badge",
            badge_years=40,
            decided_on=D(2025, 9, 2),
        )
    with pytest.raises(ValidationFailed, match="45 years"):
        services.reward_add(
            actor=people["officer_a"],
            member=veteran,
            kind="party_badge",
            badge_years=45,
            decided_on=D(2025, 9, 2),
        )
    with pytest.raises(ValidationFailed, match="30, 40, 45"):
        services.reward_add(
            actor=people["officer_a"],
            member=veteran,
            kind="party_badge",
            badge_years=35,
            decided_on=D(2025, 9, 2),
        )
    services.reward_add(
        actor=people["officer_a"],
        member=veteran,
        kind="certificate_of_merit",
        title="Bằng khen Tỉnh ủy",
        decided_on=D(2024, 1, 5),
    )
    assert veteran.rewards.count() == 2
