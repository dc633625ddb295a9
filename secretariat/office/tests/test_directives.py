"""Directives: sending to a subtree, who may read / acknowledge / report, escalation, the
matrix, and the pages and API per role inside and outside scope."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.office import selectors_directives as selectors
from secretariat.office.models import DirectiveRecipient, Notification
from secretariat.office.services import directives as services
from secretariat.orgs.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """The province leader sends; commune A has a leader, a clerk and a specialist; commune B a
    leader; cell A a leader of its own."""
    return {
        "sender": make_user("sender", role=Role.LEADER, unit=tree["province"]),
        "leader_a": make_user("leader_a", role=Role.LEADER, unit=tree["commune_a"]),
        "clerk_a": make_user("clerk_a", role=Role.RECORDS_CLERK, unit=tree["commune_a"]),
        "specialist_a": make_user("specialist_a", role=Role.SPECIALIST, unit=tree["commune_a"]),
        "leader_cell_a": make_user("leader_cell_a", role=Role.LEADER, unit=tree["cell_a"]),
        "leader_b": make_user("leader_b", role=Role.LEADER, unit=tree["commune_b"]),
    }


def _send(actor: Any, unit: Any, target: Any, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "actor": actor,
        "unit": unit,
        "title": "Phòng chống bão số 3",
        "body": "Triển khai ngay phương án sơ tán.",
        "target": target,
        "include_subtree": True,
        "acknowledge_within_hours": 4,
    }
    return services.directive_send(**(arguments | overrides))


def _row(directive: Any, unit: Any) -> DirectiveRecipient:
    return DirectiveRecipient.objects.select_related("unit", "directive").get(
        directive=directive, unit=unit
    )


def _inactive_child(parent: Unit) -> Unit:
    unit = Unit.objects.add_child(
        Unit.objects.get(pk=parent.pk),
        create_kwargs={
            "name": "Chi bộ đã giải thể",
            "kind": "cell",
            "code": "000.01.99.T68",
            "abbreviation": "CB",
            "active": False,
        },
    )
    return Unit.objects.get(pk=unit.pk)


# --- Sending ------------------------------------------------------------------------------------


def test_send_to_subtree_reaches_every_active_unit_and_notifies_leaders_and_clerks(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    dissolved = _inactive_child(tree["commune_a"])
    before = AuditEvent.objects.count()

    directive = _send(people["sender"], tree["province"], tree["commune_a"])

    units = set(directive.recipients.values_list("unit__code", flat=True))
    assert units == {tree["commune_a"].code, tree["cell_a"].code}
    assert dissolved.code not in units
    assert all(r.received_at is not None for r in directive.recipients.all())
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.order_by("-seq").first().action == "office.directive_sent"  # type: ignore[union-attr]
    notified = set(Notification.objects.values_list("user__username", flat=True))
    # Leaders and clerks of the receiving units, nobody else (not the specialist, not B).
    assert notified == {"leader_a", "clerk_a", "leader_cell_a"}
    link = Notification.objects.first().link  # type: ignore[union-attr]
    assert link == reverse("office:directive", args=[directive.pk])


def test_send_to_target_alone(tree: dict[str, Any], people: dict[str, Any]) -> None:
    directive = _send(people["sender"], tree["province"], tree["commune_a"], include_subtree=False)
    assert list(directive.recipients.values_list("unit__code", flat=True)) == [
        tree["commune_a"].code
    ]


def test_target_outside_the_sending_units_subtree_is_refused(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _send(people["leader_a"], tree["commune_a"], tree["cell_b"])
    assert "target" in refused.value.field_errors
    # Nor may a leader send from a unit they do not lead.
    with pytest.raises(PermissionDenied):
        _send(people["leader_a"], tree["commune_b"], tree["cell_b"])
    # Clerks and specialists do not send directives.
    with pytest.raises(PermissionDenied):
        _send(people["clerk_a"], tree["commune_a"], tree["cell_a"])
    assert not DirectiveRecipient.objects.exists()


def test_send_refuses_an_inactive_target_alone_and_bad_deadlines(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    dissolved = _inactive_child(tree["commune_a"])
    with pytest.raises(ValidationFailed, match="No active unit"):
        _send(people["sender"], tree["province"], dissolved, include_subtree=False)
    with pytest.raises(ValidationFailed) as refused:
        _send(people["sender"], tree["province"], tree["commune_a"], acknowledge_within_hours=0)
    assert "acknowledge_within_hours" in refused.value.field_errors
    yesterday = clock.today() - dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        _send(people["sender"], tree["province"], tree["commune_a"], report_by=yesterday)
    assert "report_by" in refused.value.field_errors


# --- Receiving ----------------------------------------------------------------------------------


def test_only_the_receiving_units_people_read_acknowledge_and_report(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    directive = _send(people["sender"], tree["province"], tree["commune_a"])
    row = _row(directive, tree["commune_a"])

    # Commune B's leader, and the sender whose grant covers the whole province, are not people
    # of commune A: they can neither read for it nor acknowledge in its place.
    for outsider in (people["leader_b"], people["sender"]):
        with pytest.raises(PermissionDenied):
            services.directive_mark_read(actor=outsider, recipient=row)
        with pytest.raises(PermissionDenied):
            services.directive_acknowledge(actor=outsider, recipient=row)
    # Cell A's leader answers for cell A, not for its parent commune.
    with pytest.raises(PermissionDenied):
        services.directive_acknowledge(actor=people["leader_cell_a"], recipient=row)

    # A specialist of commune A reads, but only leaders and clerks acknowledge.
    read = services.directive_mark_read(actor=people["specialist_a"], recipient=row)
    assert read.read_by == people["specialist_a"]
    first_read = read.read_at
    again = services.directive_mark_read(actor=people["clerk_a"], recipient=row)
    assert again.read_at == first_read
    assert again.read_by == people["specialist_a"]
    with pytest.raises(PermissionDenied):
        services.directive_acknowledge(actor=people["specialist_a"], recipient=row)

    acknowledged = services.directive_acknowledge(actor=people["clerk_a"], recipient=row)
    assert acknowledged.acknowledged_by == people["clerk_a"]
    with pytest.raises(Conflict):
        services.directive_acknowledge(actor=people["leader_a"], recipient=row)

    with pytest.raises(PermissionDenied):
        services.directive_report(actor=people["specialist_a"], recipient=row, text="Xong.")
    reported = services.directive_report(
        actor=people["leader_a"], recipient=row, text="Đã sơ tán 120 hộ."
    )
    assert reported.report == "Đã sơ tán 120 hộ."
    assert reported.reported_at is not None
    assert Notification.objects.filter(
        user=people["sender"], message__contains="reported on the directive"
    ).exists()
    with pytest.raises(Conflict):
        services.directive_report(actor=people["leader_a"], recipient=row, text="Lần hai")


def test_acknowledging_also_counts_as_reading(tree: dict[str, Any], people: dict[str, Any]) -> None:
    directive = _send(people["sender"], tree["province"], tree["commune_a"])
    row = services.directive_acknowledge(
        actor=people["leader_a"], recipient=_row(directive, tree["commune_a"])
    )
    assert row.read_at == row.acknowledged_at
    assert row.read_by == people["leader_a"]


def test_report_before_acknowledgement_is_refused(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    directive = _send(people["sender"], tree["province"], tree["commune_a"])
    row = _row(directive, tree["commune_a"])
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="Acknowledge the directive before reporting"):
        services.directive_report(actor=people["leader_a"], recipient=row, text="Xong.")
    assert _row(directive, tree["commune_a"]).reported_at is None
    assert AuditEvent.objects.count() == before
    services.directive_acknowledge(actor=people["leader_a"], recipient=row)
    with pytest.raises(ValidationFailed):
        services.directive_report(actor=people["leader_a"], recipient=row, text="   ")


# --- Escalation ---------------------------------------------------------------------------------


def test_escalation_once_after_the_deadline(tree: dict[str, Any], people: dict[str, Any]) -> None:
    directive = _send(people["sender"], tree["province"], tree["province"])
    # Every unit of the tree: province, office, commune A, cell A, commune B, cell B.
    assert directive.recipients.count() == 6
    for unit, actor in ((tree["commune_a"], "leader_a"), (tree["cell_a"], "leader_cell_a")):
        services.directive_acknowledge(actor=people[actor], recipient=_row(directive, unit))
    Notification.objects.all().delete()
    deadline = directive.acknowledge_by

    assert services.directives_escalate(now=deadline - dt.timedelta(minutes=1)) == 0
    before = AuditEvent.objects.count()
    assert services.directives_escalate(now=deadline + dt.timedelta(minutes=1)) == 4
    escalated = set(
        directive.recipients.filter(escalated_at__isnull=False).values_list("unit__code", flat=True)
    )
    assert escalated == {tree[name].code for name in ("province", "office", "commune_b", "cell_b")}
    assert AuditEvent.objects.count() == before + 4
    assert set(AuditEvent.objects.filter(seq__gt=before).values_list("action", flat=True)) == {
        "office.directive_escalated"
    }
    # The sender hears of each late unit once; commune B's leader hears of cell B (parent).
    assert Notification.objects.filter(user=people["sender"]).count() == 4
    assert list(
        Notification.objects.filter(user=people["leader_b"]).values_list("message", flat=True)
    ) == [f"{tree['cell_b'].name} has not acknowledged the directive: {directive.title}"]
    assert not Notification.objects.filter(user=people["leader_a"]).exists()

    # Once: later runs find nothing, also when the unit acknowledges late.
    assert services.directives_escalate(now=deadline + dt.timedelta(hours=5)) == 0
    late = services.directive_acknowledge(
        actor=people["leader_b"], recipient=_row(directive, tree["commune_b"])
    )
    assert late.escalated_at is not None
    assert late.acknowledged_at is not None
    assert services.directives_escalate(now=deadline + dt.timedelta(hours=6)) == 0


def test_the_periodic_job_runs_the_escalation(tree: dict[str, Any], people: dict[str, Any]) -> None:
    from secretariat.office import jobs_directives

    directive = _send(people["sender"], tree["province"], tree["cell_a"])
    directive.acknowledge_by = directive.created_at - dt.timedelta(minutes=1)
    directive.save(update_fields=["acknowledge_by"])
    assert jobs_directives.directives_escalation.call_local() == 1
    assert jobs_directives.directives_escalation.call_local() == 0


# --- Matrix -------------------------------------------------------------------------------------


def test_matrix_numbers_for_the_sender_and_for_a_receiving_side(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    directive = _send(people["sender"], tree["province"], tree["province"])
    services.directive_mark_read(
        actor=people["specialist_a"], recipient=_row(directive, tree["commune_a"])
    )
    services.directive_acknowledge(
        actor=people["leader_cell_a"], recipient=_row(directive, tree["cell_a"])
    )
    row_b = services.directive_acknowledge(
        actor=people["leader_b"], recipient=_row(directive, tree["commune_b"])
    )
    services.directive_report(actor=people["leader_b"], recipient=row_b, text="Xong.")
    services.directives_escalate(now=directive.acknowledge_by + dt.timedelta(seconds=1))

    matrix = selectors.directive_matrix(user=people["sender"], directive=directive)
    assert matrix.complete
    assert vars(matrix.counts) == {
        "total": 6,
        "read": 3,
        "acknowledged": 2,
        "reported": 1,
        "escalated": 4,
    }
    # Rows in tree order: each unit before the units below it.
    paths = [r.unit.path for r in matrix.rows]
    assert paths == sorted(paths)

    # Commune A's people see their own subtree only.
    own = selectors.directive_matrix(user=people["leader_a"], directive=directive)
    assert not own.complete
    assert {r.unit.code for r in own.rows} == {tree["commune_a"].code, tree["cell_a"].code}
    assert vars(own.counts) == {
        "total": 2,
        "read": 2,
        "acknowledged": 1,
        "reported": 0,
        "escalated": 1,
    }


# --- Pages --------------------------------------------------------------------------------------


def test_create_page_sends_and_redirects_to_the_matrix(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    client = client_for(people["leader_a"])
    page = client.get(reverse("office:directive_create"))
    assert page.status_code == 200
    body = page.content.decode()
    # The pickers list the leader's units only.
    assert str(tree["cell_a"].pk) in body
    assert str(tree["commune_b"].pk) not in body

    response = client.post(
        reverse("office:directive_create"),
        {
            "unit": tree["commune_a"].pk,
            "title": "Kiểm tra đê",
            "body": "Báo cáo trước 17 giờ.",
            "target": tree["cell_a"].pk,
            "include_subtree": "on",
            "acknowledge_within_hours": 3,
        },
    )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    assert "Kiểm tra đê" in detail.content.decode()
    assert 'id="directive-matrix"' in detail.content.decode()

    # A target outside the sending unit's subtree comes back on the form.
    refused = client.post(
        reverse("office:directive_create"),
        {
            "unit": tree["cell_a"].pk,
            "title": "Sai",
            "body": "Sai",
            "target": tree["commune_a"].pk,
            "acknowledge_within_hours": 3,
        },
    )
    assert refused.status_code == 400
    assert "must be the sending unit or one of the units below it" in refused.content.decode()


def test_recipient_page_marks_read_and_acknowledges(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    directive = _send(people["sender"], tree["province"], tree["commune_a"])
    client = client_for(people["clerk_a"])
    page = client.get(reverse("office:directive", args=[directive.pk]))
    assert page.status_code == 200
    row = _row(directive, tree["commune_a"])
    assert row.read_by == people["clerk_a"]
    # Cell A is in the clerk's scope, but the clerk is not of cell A: no read mark there.
    assert _row(directive, tree["cell_a"]).read_at is None
    assert reverse("office:directive_acknowledge", args=[row.pk]) in page.content.decode()

    response = client.post(reverse("office:directive_acknowledge", args=[row.pk]))
    assert response.status_code == 302
    assert _row(directive, tree["commune_a"]).acknowledged_by == people["clerk_a"]
    response = client.post(
        reverse("office:directive_report", args=[row.pk]), {"text": "Đã triển khai."}
    )
    assert response.status_code == 302
    assert _row(directive, tree["commune_a"]).report == "Đã triển khai."


def test_pages_per_role_inside_and_outside_scope(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    directive = _send(people["sender"], tree["province"], tree["commune_a"])
    row = _row(directive, tree["commune_a"])
    detail = reverse("office:directive", args=[directive.pk])
    fragment = reverse("office:directive_matrix", args=[directive.pk])

    sender = client_for(people["sender"])
    listing = sender.get(reverse("office:directives")).content.decode()
    assert directive.title in listing
    matrix = sender.get(fragment)
    assert matrix.status_code == 200
    assert tree["cell_a"].code in matrix.content.decode()
    # The sender follows; there is nothing to acknowledge for them.
    assert "office/directives/recipients" not in sender.get(detail).content.decode()

    outsider = client_for(people["leader_b"])
    assert directive.title not in outsider.get(reverse("office:directives")).content.decode()
    assert outsider.get(detail).status_code == 404
    assert outsider.get(fragment).status_code == 404
    assert outsider.post(reverse("office:directive_acknowledge", args=[row.pk])).status_code == 404

    specialist = client_for(people["specialist_a"])
    assert specialist.get(detail).status_code == 200
    assert (
        specialist.post(reverse("office:directive_acknowledge", args=[row.pk])).status_code == 403
    )
    assert specialist.get(reverse("office:directive_create")).status_code == 403

    member = client_for(make_user("member", position=(tree["commune_a"], "Đảng viên")))
    assert member.get(reverse("office:directives")).status_code == 403
    assert member.get(detail).status_code == 404


def test_list_page_query_count_does_not_grow_with_directives(
    tree: dict[str, Any],
    people: dict[str, Any],
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(5):
        _send(people["sender"], tree["province"], tree["province"])
    client = client_for(people["leader_a"])
    client.get(reverse("office:directives"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("office:directives"))
    assert response.content.decode().count('data-directive="') == 10  # 5 × commune A and cell A


# --- API ----------------------------------------------------------------------------------------


def _post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data=json.dumps(data or {}), content_type="application/json")


def test_api_send_get_acknowledge_report(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    sender = client_for(people["sender"])
    response = _post(
        sender,
        "/api/v1/office/directives/",
        {
            "unit_code": tree["province"].code,
            "title": "Chỉ thị khẩn",
            "body": "Nội dung",
            "target_code": tree["commune_a"].code,
            "acknowledge_within_hours": 2,
        },
    )
    assert response.status_code == 201, response.content
    directive_id = response.json()["id"]

    leader = client_for(people["leader_a"])
    got = leader.get(f"/api/v1/office/directives/{directive_id}").json()
    assert got["complete"] is False
    row = next(r for r in got["matrix"] if r["unit_code"] == tree["commune_a"].code)
    base = f"/api/v1/office/directives/recipients/{row['id']}"

    assert _post(leader, f"{base}/report", {"text": "Sớm"}).status_code == 409
    assert _post(client_for(people["specialist_a"]), f"{base}/acknowledge").status_code == 403
    assert _post(client_for(people["leader_b"]), f"{base}/acknowledge").status_code == 404
    assert _post(leader, f"{base}/read").json()["read_at"] is not None
    assert _post(leader, f"{base}/acknowledge").json()["acknowledged_at"] is not None
    assert _post(leader, f"{base}/report", {"text": "Xong"}).json()["report"] == "Xong"

    full = sender.get(f"/api/v1/office/directives/{directive_id}").json()
    assert full["complete"] is True
    assert full["counts"] == {
        "total": 2,
        "read": 1,
        "acknowledged": 1,
        "reported": 1,
        "escalated": 0,
    }
    sent = sender.get("/api/v1/office/directives/?box=sent").json()
    assert [d["id"] for d in sent] == [directive_id]
    received = leader.get("/api/v1/office/directives/?box=received").json()
    assert [d["id"] for d in received] == [directive_id]
    assert client_for(people["leader_b"]).get("/api/v1/office/directives/").json() == []


def test_api_refuses_a_target_outside_the_subtree(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    response = _post(
        client_for(people["leader_a"]),
        "/api/v1/office/directives/",
        {
            "unit_code": tree["commune_a"].code,
            "title": "T",
            "body": "B",
            "target_code": tree["commune_b"].code,
        },
    )
    assert response.status_code == 400
    assert "target" in response.json()["errors"]
