"""The home page: the caller's positions, roles, scope and recent activity."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from secretariat.audit import services as audit
from secretariat.web.views import scope_roots


def test_scope_roots_groups_subtrees(tree: dict[str, Any]) -> None:
    units = sorted(tree.values(), key=lambda u: u.path)
    roots = scope_roots(units)
    assert roots == [(tree["province"], 6)]
    only_communes = [tree["commune_a"], tree["cell_a"], tree["commune_b"]]
    assert scope_roots(only_communes) == [(tree["commune_a"], 2), (tree["commune_b"], 1)]


def test_home_shows_roles_scope_and_own_activity(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    admin = make_user(
        "adminb",
        role="unit_admin",
        unit=tree["commune_b"],
        position=(tree["commune_b"], "Chuyên viên"),
    )
    other = make_user("other", role="unit_admin", unit=tree["commune_a"])
    with transaction.atomic():
        audit.record(
            actor=admin,
            action="orgs.unit_updated",
            unit=tree["cell_b"],
            data={"code": "000.02.01.T68"},
        )
        audit.record(
            actor=other, action="orgs.unit_moved", unit=tree["cell_a"], data={"code": "SECRET-A"}
        )

    response = client_for(admin).get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Unit administrator" in html
    assert "Đảng ủy phường Xuân Hương" in html
    assert "2 units including sub-units" in html
    assert "Unit updated" in html  # the action's readable name, not its code
    assert "SECRET-A" not in html  # another admin's action in another commune


def test_home_requires_login(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_home_lists_my_open_tasks_and_what_was_presented_to_me(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    import datetime as dt

    from secretariat.office.models import Task

    leader = make_user(
        "boss", role="leader", unit=tree["office"], position=(tree["office"], "Chánh Văn phòng")
    )
    Task.objects.create(
        unit=tree["office"],
        title="Chuẩn bị báo cáo quý",
        assignee=leader,
        due_on=dt.date(2020, 1, 6),
    )
    Task.objects.create(unit=tree["office"], title="Việc đã xong", assignee=leader, state="done")
    html = client_for(leader).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Chuẩn bị báo cáo quý" in html
    assert "overdue" in html
    assert "Việc đã xong" not in html
    assert "Nothing waits for your instruction." in html
