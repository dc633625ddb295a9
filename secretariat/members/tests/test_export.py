"""Export per unit: the chosen columns, sensitive ones only when chosen, a watermark naming who
exported and when (XLSX header row, page header and document properties; CSV comment line), an
audit event for every export, records officers only, and a round trip through the import."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.core.errors import PermissionDenied
from secretariat.members import exporting, importing, sealing
from secretariat.members.models import Member
from secretariat.members.tests.factories import admitted, make_member, official

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    officer = make_user("officer_a", role="member_records_officer", unit=tree["commune_a"])
    officer.full_name = "Nguyễn Thị Lưu Trữ"
    officer.save()
    return {
        **tree,
        "officer_a": officer,
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
        "leader": make_user("leader", role="leader", unit=tree["commune_a"]),
    }


def _workbook(content: bytes) -> Any:
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content))


def test_xlsx_export_is_watermarked_and_audited(people: dict[str, Any]) -> None:
    official(people["cell_a"], full_name="Bùi Văn Xuất", health="Khỏe", party_record_number="LL-7")
    make_member(people["cell_b"], full_name="Ngoài Phạm Vi")
    result = exporting.export_members(
        actor=people["officer_a"],
        unit=people["commune_a"],
        fields=["full_name", "birth_date", "gender", "party_record_number", "status"],
        fmt="xlsx",
    )
    assert result.count == 1
    assert result.filename.startswith("members-")
    assert result.filename.endswith(".xlsx")
    workbook = _workbook(result.content)
    sheet = workbook.active
    mark = sheet["A1"].value
    assert mark.startswith("# CONFIDENTIAL — exported by Nguyễn Thị Lưu Trữ (officer_a) on ")
    assert "1 record(s)" in mark
    assert [c.value for c in sheet[2]] == [
        "full name",
        "date of birth",
        "gender",
        "Party record number (số lý lịch)",
        "status",
    ]
    row = [c.value for c in sheet[3]]
    assert row[0] == "Bùi Văn Xuất"
    assert row[1] == dt.datetime(1990, 5, 17)  # noqa: DTZ001 (a spreadsheet date)
    assert row[2] == "Male"
    assert row[3] == "LL-7"
    assert row[4].startswith("Official member")
    assert sheet.max_row == 3  # the other commune's member is not there
    assert "Khỏe" not in str([[c.value for c in r] for r in sheet.iter_rows()])
    assert workbook.properties.creator == "officer_a"
    assert workbook.properties.description == mark[2:]
    assert sheet.oddHeader.center.text == mark[2:]
    event = AuditEvent.objects.get(action="members.exported")
    assert event.actor_id == people["officer_a"].pk
    assert event.data["count"] == 1
    assert event.data["format"] == "xlsx"
    assert event.data["sensitive_fields"] == []
    assert len(event.data["sha256"]) == 64


def test_csv_export_with_a_sensitive_column(people: dict[str, Any]) -> None:
    official(people["cell_a"], full_name="Cao Thị Nhạy", health="Tiểu đường")
    result = exporting.export_members(
        actor=people["officer_a"], unit=people["cell_a"], fields=["full_name", "health"], fmt="csv"
    )
    text = result.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("# CONFIDENTIAL — exported by Nguyễn Thị Lưu Trữ (officer_a)")
    assert lines[1] == "full name,health"
    assert lines[2] == "Cao Thị Nhạy,Tiểu đường"
    event = AuditEvent.objects.get(action="members.exported")
    assert event.data["sensitive_fields"] == ["health"]
    assert "Tiểu đường" not in str(event.data)


def test_only_records_officers_of_the_unit_export(people: dict[str, Any]) -> None:
    for actor, unit in (
        (people["officer_b"], people["commune_a"]),
        (people["leader"], people["commune_a"]),
        (people["officer_a"], people["commune_b"]),
    ):
        with pytest.raises(PermissionDenied):
            exporting.export_members(actor=actor, unit=unit, fields=["full_name"], fmt="csv")
    assert not AuditEvent.objects.filter(action="members.exported").exists()


@contextmanager
def _forgotten() -> Iterator[None]:
    """A block whose writes are rolled back at its end, inside which the durable services still
    run: marked like the per-test transaction of django.test.TestCase, which it nests in."""
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    with block:
        yield
        transaction.set_rollback(True)


def _profiles() -> dict[str, tuple[Any, ...]]:
    return {
        m.full_name: (
            m.gender,
            m.birth_date,
            m.ethnicity,
            m.religion,
            m.degree,
            m.political_theory,
            m.party_record_number,
            m.unit_id,
            m.status,
            m.admitted_on,
            m.official_on,
            sealing.read_sensitive_field(m, "citizen_id"),
            sealing.read_sensitive_field(m, "health"),
        )
        for m in Member.objects.all()
    }


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_reimports_with_the_guessed_mapping(people: dict[str, Any], fmt: str) -> None:
    """Export, forget the records (a rolled-back savepoint), import the file: same records."""
    with _forgotten():
        official(
            people["cell_a"],
            full_name="Lâm Văn Vòng",
            citizen_id="068090004444",
            health="Tốt",
            party_record_number="LL-1",
            religion="buddhism",
        )
        admitted(
            people["cell_a"],
            D(2023, 6, 1),
            full_name="Thái Thị Hai",
            gender="female",
            ethnicity="02",
            card_number="C-2",
            political_theory="advanced",
        )
        make_member(people["cell_a"], full_name="=Công Thức", degree="master")
        before = _profiles()
        fields = [name for name, _label, _sensitive in exporting.field_choices()]
        result = exporting.export_members(
            actor=people["officer_a"], unit=people["commune_a"], fields=fields, fmt=fmt
        )
    assert Member.objects.count() == 0
    table = importing.read_table(result.content)
    mapping = importing.guess_mapping(table.headers)
    # Every column but the status (derived, never imported) is recognized.
    assert len(mapping) == len(table.headers) - 1
    assert (
        importing.run_import(
            actor=people["officer_a"],
            content=result.content,
            filename=result.filename,
            mapping=mapping,
            unit=people["commune_a"],
        )
        == 3
    )
    assert _profiles() == before


def test_export_page(people: dict[str, Any], client_for: Any) -> None:
    official(people["cell_a"], full_name="Đoàn Văn Tải")
    client = client_for(people["officer_a"])
    url = reverse("members:export")
    page = client.get(url)
    assert page.status_code == 200
    assert "🔒" in page.content.decode()
    response = client.post(
        url, {"unit": str(people["cell_a"].pk), "columns": ["full_name", "gender"], "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="members-')
    assert "Đoàn Văn Tải" in response.content.decode("utf-8-sig")
    refused = client.post(
        url, {"unit": str(people["cell_b"].pk), "columns": ["full_name"], "format": "csv"}
    )
    assert refused.status_code == 400
    assert client_for(people["leader"]).get(url).status_code == 403
    assert AuditEvent.objects.filter(action="members.exported").count() == 1
