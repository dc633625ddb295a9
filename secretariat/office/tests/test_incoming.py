"""Incoming processing (Decree 30 Art. 20–24): registration starts it, the clerk presents, the
leader instructs with a deadline in working days (tasks created), the handler completes; return
to the sender; filing; transitions the state does not allow are refused with a clear message."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.documents import registers
from secretariat.documents.models import Document, RegisterEntry
from secretariat.documents.tests.factories import (
    isolated_storage_fixture,  # noqa: F401 - the fixture
    text_pdf,
)
from secretariat.office import workdays
from secretariat.office.models import (
    IncomingProcess,
    IncomingState,
    Notification,
    Task,
)
from secretariat.office.services import casefiles, incoming

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    unit = tree["commune_a"]
    return {
        "clerk": make_user("clerk", role=Role.RECORDS_CLERK, unit=unit),
        "leader": make_user("leader", role=Role.LEADER, unit=unit),
        "specialist": make_user("specialist", role=Role.SPECIALIST, unit=unit),
        "outsider": make_user("outsider", role=Role.RECORDS_CLERK, unit=tree["commune_b"]),
    }


def register_incoming(
    clerk: Any, unit: Any, subject: str = "Công văn về chuyển đổi số", urgency: str = "normal"
) -> IncomingProcess:
    document = Document.objects.create(
        unit=unit,
        subject=subject,
        notation="15-CV/BTC",
        issuing_body="Ban Tổ chức Tỉnh ủy",
        urgency=urgency,
    )
    entry = registers.register_document(actor=clerk, document=document, kind="incoming")
    return IncomingProcess.objects.get(entry=entry)


def test_registration_starts_the_process(tree: dict[str, Any], people: dict[str, Any]) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    assert process.state == IncomingState.REGISTERED
    assert process.unit == tree["commune_a"]
    assert process.entry.number == 1
    assert AuditEvent.objects.filter(
        action="office.incoming_registered", object_id=str(process.pk)
    ).exists()


def test_outgoing_registration_starts_no_incoming_process(tree: dict[str, Any]) -> None:
    document = Document.objects.create(
        unit=tree["commune_a"], subject="QĐ", doc_type_id="quyet_dinh"
    )
    registers.register_document(actor=None, document=document, kind="outgoing")
    assert not IncomingProcess.objects.exists()


def test_full_path_register_present_instruct_complete(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    incoming.incoming_present(actor=people["clerk"], process=process, leader=people["leader"])
    process.refresh_from_db()
    assert process.state == IncomingState.PRESENTED
    assert Notification.objects.filter(user=people["leader"]).count() == 1

    instruction = incoming.incoming_instruct(
        actor=people["leader"],
        process=process,
        text="Giao Văn phòng chủ trì, báo cáo trước hạn.",
        lead_unit=tree["commune_a"],
        coordinating_units=[tree["cell_a"]],
        assignees=[people["specialist"]],
        working_days=3,
    )
    expected_due = workdays.add_working_days(clock.today(), 3)
    process.refresh_from_db()
    assert process.state == IncomingState.INSTRUCTED
    assert process.due_on == instruction.due_on == expected_due
    task = Task.objects.get(instruction=instruction)
    assert (task.assignee, task.due_on, task.unit) == (
        people["specialist"],
        expected_due,
        tree["commune_a"],
    )
    assert task.source_document == process.document

    incoming.incoming_note(actor=people["specialist"], process=process, text="Đang dự thảo")
    process.refresh_from_db()
    assert process.state == IncomingState.IN_PROGRESS
    incoming.incoming_complete(
        actor=people["specialist"], process=process, result_note="Đã báo cáo"
    )
    process.refresh_from_db()
    assert process.state == IncomingState.DONE
    assert process.closed_at is not None
    # Completing the document does not close its tasks (each assignee closes their own).
    task.refresh_from_db()
    assert task.state == "open"


def test_deadline_counts_working_days_across_tet(
    tree: dict[str, Any], people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """3 working days from Friday 13 February 2026 fall after Tết (workdays' own example)."""
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 2, 13))
    process = register_incoming(people["clerk"], tree["commune_a"])
    incoming.incoming_present(actor=people["clerk"], process=process, leader=people["leader"])
    incoming.incoming_instruct(
        actor=people["leader"],
        process=process,
        text="Xử lý",
        lead_unit=tree["commune_a"],
        assignees=[people["specialist"]],
        working_days=3,
    )
    process.refresh_from_db()
    assert process.due_on == dt.date(2026, 2, 25)


def test_return_to_sender_keeps_document_and_entry(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    with pytest.raises(ValidationFailed):
        incoming.incoming_return(actor=people["clerk"], process=process, reason="  ")
    incoming.incoming_return(actor=people["clerk"], process=process, reason="Gửi nhầm đơn vị")
    process.refresh_from_db()
    assert process.state == IncomingState.RETURNED
    assert process.returned_reason == "Gửi nhầm đơn vị"
    assert RegisterEntry.objects.filter(pk=process.entry_id).exists()
    assert Document.objects.filter(pk=process.document_id).exists()
    with pytest.raises(Conflict, match="cannot be presented"):
        incoming.incoming_present(actor=people["clerk"], process=process, leader=people["leader"])


def test_invalid_transitions_are_refused(tree: dict[str, Any], people: dict[str, Any]) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    with pytest.raises(Conflict, match="must first be presented"):
        incoming.incoming_instruct(
            actor=people["leader"],
            process=process,
            text="x",
            lead_unit=tree["commune_a"],
            assignees=[people["specialist"]],
            working_days=2,
        )
    with pytest.raises(Conflict, match="cannot be marked handled"):
        incoming.incoming_complete(actor=people["clerk"], process=process, result_note="x")
    case_file = casefiles.case_file_open(
        actor=people["clerk"],
        unit=tree["commune_a"],
        year=2026,
        code="01",
        title="Hồ sơ",
        retention_years=5,
    )
    with pytest.raises(Conflict, match="Only a handled document can be filed"):
        incoming.incoming_file(actor=people["clerk"], process=process, case_file=case_file)
    assert IncomingProcess.objects.get(pk=process.pk).state == IncomingState.REGISTERED


def test_roles_are_enforced(tree: dict[str, Any], people: dict[str, Any]) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    with pytest.raises(PermissionDenied):
        incoming.incoming_present(
            actor=people["specialist"], process=process, leader=people["leader"]
        )
    with pytest.raises(PermissionDenied):
        incoming.incoming_present(
            actor=people["outsider"], process=process, leader=people["leader"]
        )
    with pytest.raises(ValidationFailed, match="cannot give instructions"):
        incoming.incoming_present(
            actor=people["clerk"], process=process, leader=people["specialist"]
        )
    incoming.incoming_present(actor=people["clerk"], process=process, leader=people["leader"])
    with pytest.raises(PermissionDenied):
        incoming.incoming_instruct(
            actor=people["clerk"],
            process=process,
            text="x",
            lead_unit=tree["commune_a"],
            assignees=[people["specialist"]],
            working_days=2,
        )


def test_filing_adds_document_to_case_file(tree: dict[str, Any], people: dict[str, Any]) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    incoming.incoming_present(actor=people["clerk"], process=process, leader=people["leader"])
    incoming.incoming_instruct(
        actor=people["leader"],
        process=process,
        text="Xử lý",
        lead_unit=tree["commune_a"],
        assignees=[people["specialist"]],
        working_days=2,
    )
    incoming.incoming_complete(actor=people["leader"], process=process, result_note="Xong")
    case_file = casefiles.case_file_open(
        actor=people["clerk"],
        unit=tree["commune_a"],
        year=2026,
        code="05.CĐS",
        title="Chuyển đổi số",
        retention_years=10,
    )
    incoming.incoming_file(actor=people["clerk"], process=process, case_file=case_file)
    process.refresh_from_db()
    assert process.state == IncomingState.FILED
    assert list(case_file.documents.all()) == [process.document]


def test_internal_receive_registers_in_the_receiving_unit(
    tree: dict[str, Any], people: dict[str, Any], make_user: Any
) -> None:
    sender_clerk = make_user(
        "sender", role=Role.RECORDS_CLERK, unit=tree["province"], subtree=False
    )
    document = Document.objects.create(
        unit=tree["province"], subject="Thông báo kết luận", notation="20-TB/TU"
    )
    process = incoming.incoming_receive(
        actor=sender_clerk, document=document, unit=tree["commune_a"]
    )
    assert process.unit == tree["commune_a"]
    assert process.state == IncomingState.REGISTERED
    assert process.document.unit == tree["commune_a"]
    assert process.document.notation == "20-TB/TU"
    assert process.entry.register.unit == tree["commune_a"]
    assert process.entry.register.kind == "incoming"
    with pytest.raises(PermissionDenied):
        incoming.incoming_receive(
            actor=people["specialist"], document=document, unit=tree["cell_a"]
        )


@pytest.mark.usefixtures("isolated_storage")
def test_ingest_into_the_incoming_register_starts_processes(
    tree: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "cv.pdf"
    path.write_bytes(text_pdf(["BAN TỔ CHỨC TỈNH ỦY", "Số 15-CV/BTC", "V/v chuyển đổi số"]))
    out = StringIO()
    call_command(
        "ingest", str(path), "--unit", tree["commune_a"].code, "--register", "incoming",
        "--json", stdout=out,
    )  # fmt: skip
    line = json.loads(out.getvalue().splitlines()[0])
    process = IncomingProcess.objects.get(document_id=line["id"])
    assert process.state == IncomingState.REGISTERED


# --- Pages and API --------------------------------------------------------------------------


def test_list_page_urgent_first_and_overdue(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    normal = register_incoming(people["clerk"], tree["commune_a"], subject="NORMAL-DOC")
    flash = register_incoming(
        people["clerk"], tree["commune_a"], subject="FLASH-DOC", urgency="hoa_toc"
    )
    IncomingProcess.objects.filter(pk=normal.pk).update(due_on=dt.date(2020, 1, 2))
    body = client_for(people["specialist"]).get(reverse("office:incoming")).content.decode()
    assert body.index("FLASH-DOC") < body.index("NORMAL-DOC")
    assert "overdue" in body
    outsider = client_for(people["outsider"]).get(reverse("office:incoming")).content.decode()
    assert "FLASH-DOC" not in outsider
    assert str(flash.pk) not in outsider


def test_detail_page_actions_by_role_and_conflict_message(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    url = reverse("office:incoming_detail", args=[process.pk])
    clerk_page = client_for(people["clerk"]).get(url).content.decode()
    assert 'id="action-present"' in clerk_page
    assert 'id="action-return"' in clerk_page
    specialist_page = client_for(people["specialist"]).get(url).content.decode()
    assert "action-present" not in specialist_page
    assert client_for(people["outsider"]).get(url).status_code == 404
    # A step the state does not allow: the page with the message, not a 500.
    response = client_for(people["leader"]).post(
        reverse("office:incoming_instruct", args=[process.pk]),
        {
            "text": "x",
            "lead_unit": str(tree["commune_a"].pk),
            "assignees": [str(people["specialist"].pk)],
            "working_days": "2",
        },
    )
    assert response.status_code == 409
    assert "must first be presented" in response.content.decode()


def test_api_present_and_conflict(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    process = register_incoming(people["clerk"], tree["commune_a"])
    clerk = client_for(people["clerk"])
    base = f"/api/v1/office/incoming/{process.pk}"
    response = clerk.post(
        f"{base}/present", data={"leader": "leader"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "presented"
    response = clerk.post(f"{base}/return", data={"reason": "sai"}, content_type="application/json")
    assert response.status_code == 200
    response = clerk.post(
        f"{base}/present", data={"leader": "leader"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "cannot be presented" in response.json()["message"]
    outsider = client_for(people["outsider"])
    assert outsider.get(base).status_code == 404


def test_a_captured_document_is_registered_from_its_page_after_the_signature_check(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    """The clerk captures, reads the signatures' report on the document's page, registers it
    as incoming: its processing starts. An outgoing draft is refused there."""
    from secretariat.documents import services as document_services
    from secretariat.documents.tests.factories import text_pdf
    from secretariat.office.services import outgoing as outgoing_services

    office = tree["office"]
    clerk = make_user("clerk_reg", role=Role.RECORDS_CLERK, unit=office)
    leader = make_user("leader_reg", role=Role.LEADER, unit=office)
    document = document_services.document_capture(
        actor=clerk,
        unit=office,
        file=document_services.IncomingFile(name="den.pdf", data=text_pdf(["Công văn đến"])),
    )
    page = client_for(clerk).get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert "Register as an incoming document" in page
    assert "Register as an incoming document" not in (
        client_for(leader).get(reverse("documents:detail", args=[document.pk])).content.decode()
    )
    done = client_for(clerk).post(
        reverse("documents:document_register", args=[document.pk]), {"kind": "incoming"}
    )
    assert done.status_code == 302
    assert IncomingProcess.objects.get(document=document).state == IncomingState.REGISTERED
    again = client_for(clerk).post(
        reverse("documents:document_register", args=[document.pk]), {"kind": "incoming"}
    )
    assert again.status_code == 409

    draft = outgoing_services.outgoing_draft(
        actor=clerk,
        unit=office,
        file=document_services.IncomingFile(name="di.pdf", data=text_pdf(["Dự thảo"])),
        metadata={"subject": "Dự thảo", "doc_type": "cong_van"},
        signer=leader,
    )
    refused = client_for(clerk).post(
        reverse("documents:document_register", args=[draft.document.pk]), {"kind": "incoming"}
    )
    assert refused.status_code == 409
    assert "outgoing draft" in refused.content.decode()
    assert not IncomingProcess.objects.filter(document=draft.document).exists()
