"""The register columns the office fills (Decree 30 Appendix IV [unverified]): an outgoing
document's drafting unit and file-copy keeper (at numbering) and its date sent (at dispatch); an
incoming document's receiving unit or person (at the leader's instruction). Through the real
office services, then read in the printed register."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from secretariat.accounts.models import Position, Role
from secretariat.core import clock
from secretariat.documents import exports, registers
from secretariat.documents.models import Document, RegisterEntry
from secretariat.office.services import incoming as incoming_services
from secretariat.office.services import outgoing as svc

from .test_outgoing_services import people, to_sealed  # noqa: F401 - `people` is a fixture

pytestmark = pytest.mark.django_db


def _rows(register: Any, user: Any) -> list[dict[str, Any]]:
    """The printed register's rows (XLSX), each as {heading: value}."""
    content, _, _ = exports.register_export(user=user, register=register, fmt="xlsx")
    ws = load_workbook(io.BytesIO(content)).active
    headings = [c.value for c in ws[6]]
    return [
        dict(zip(headings, row, strict=True)) for row in ws.iter_rows(min_row=7, values_only=True)
    ]


def test_outgoing_register_shows_drafting_unit_keeper_and_date_sent(
    tree: dict[str, Any],
    people: dict[str, Any],  # noqa: F811 - the imported fixture
) -> None:
    p = people
    p["drafter"].full_name = "Lê Văn Soạn"
    p["drafter"].save()
    sealed = to_sealed(tree, p)
    entry = RegisterEntry.objects.get(pk=sealed.entry_id)
    assert entry.drafting_unit == "Văn phòng Tỉnh ủy"
    assert entry.copy_keeper == "Lê Văn Soạn"
    assert entry.sent_on is None  # numbered and sealed, not sent yet

    svc.outgoing_dispatch(
        actor=p["clerk"], process=sealed, internal_units=[tree["commune_a"]], external_codes=[]
    )
    entry.refresh_from_db()
    assert entry.sent_on == clock.today()
    [row] = _rows(entry.register, p["clerk"])
    assert row["Đơn vị soạn thảo"] == "Văn phòng Tỉnh ủy"
    assert row["Người nhận bản lưu"] == "Lê Văn Soạn"
    assert row["Ngày gửi"].date() == clock.today()


def test_incoming_register_shows_who_handles_it(tree: dict[str, Any], make_user: Any) -> None:
    unit = tree["province"]
    clerk = make_user("clerk", role=Role.RECORDS_CLERK, unit=unit)
    leader = make_user("leader", role=Role.LEADER, unit=unit)
    specialist = make_user("specialist", role=Role.SPECIALIST, unit=tree["office"])
    specialist.full_name = "Trần Thị Chuyên"
    specialist.save()
    Position.objects.create(user=specialist, unit=tree["office"], title="Chuyên viên")
    document = Document.objects.create(
        unit=unit, subject="Công văn về chuyển đổi số", notation="15-CV/BTC"
    )
    entry = registers.register_document(actor=clerk, document=document, kind="incoming")
    process = entry.incoming_process
    incoming_services.incoming_present(actor=clerk, process=process, leader=leader)
    [row] = _rows(entry.register, clerk)
    assert row["Đơn vị hoặc người nhận"] is None  # not instructed yet

    incoming_services.incoming_instruct(
        actor=leader,
        process=process,
        text="Giao Văn phòng chủ trì.",
        lead_unit=tree["office"],
        assignees=[specialist],
        working_days=3,
    )
    entry.refresh_from_db()
    assert entry.handled_by == "Văn phòng Tỉnh ủy: Trần Thị Chuyên"
    [row] = _rows(entry.register, clerk)
    assert row["Đơn vị hoặc người nhận"] == "Văn phòng Tỉnh ủy: Trần Thị Chuyên"
