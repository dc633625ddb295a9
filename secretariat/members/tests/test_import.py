"""Spreadsheet import: the mapping guessed from headers in three languages, a dry run that
reports every bad line with its number and column, nothing imported unless the whole file is
valid, an audited import through the services, bad files refused with a clear message, and the
upload → mapping → check → import pages."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.core.errors import ValidationFailed
from secretariat.members import importing, sealing
from secretariat.members.choices import EventKind, Status
from secretariat.members.models import Member, MemberEvent
from secretariat.members.tests.factories import make_member

pytestmark = pytest.mark.django_db
D = dt.date

HEADER = (
    "Họ và tên,Giới tính,Ngày sinh,Dân tộc,Tôn giáo,Số CCCD,Số lý lịch,"
    "Mã chi bộ,Ngày vào Đảng,Số quyết định kết nạp,Ngày chính thức,Ghi chú\n"
)
GOOD_LINES = (
    "Nguyễn Văn An,Nam,17/05/1980,Kinh,Không,068080001111,LL-001,{cell},01/03/2010,12-QĐ/ĐU,01/03/2011,\n"
    "Trần Thị Bình,Nữ,1985-02-03,Tày,Phật giáo,068185002222,LL-002,{cell},15/06/2020,,,ghi chú\n"
    "K'Brơi,female,03/09/1999,Cơ-ho,catholicism,,,,,,,\n"
)


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
    }


def _csv(people: dict[str, Any], body: str, *, bom: bool = True) -> bytes:
    text = HEADER + body.format(cell=people["cell_a"].code)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _check(people: dict[str, Any], content: bytes) -> importing.DryRun:
    table = importing.read_table(content)
    return importing.dry_run(
        actor=people["officer_a"],
        table=table,
        mapping=importing.guess_mapping(table.headers),
        unit=people["commune_a"],
    )


def test_mapping_is_guessed_from_headers_in_three_languages() -> None:
    vi = importing.guess_mapping(["Họ và tên", "Giới tính", "Ngày sinh", "Dân tộc", "Số CCCD", "?"])
    assert vi == {0: "full_name", 1: "gender", 2: "birth_date", 3: "ethnicity", 4: "citizen_id"}
    fr = importing.guess_mapping(["Nom complet", "Sexe", "Date de naissance", "Ethnie"])
    assert fr == {0: "full_name", 1: "gender", 2: "birth_date", 3: "ethnicity"}
    en = importing.guess_mapping(["full name", "Gender", "date of birth", "ETHNICITY", "Hometown"])
    assert en == {0: "full_name", 1: "gender", 2: "birth_date", 3: "ethnicity", 4: "hometown"}
    # Each field once: the second "Tên" column is left for the user to map.
    assert importing.guess_mapping(["Họ tên", "Tên"]) == {0: "full_name"}


def test_a_valid_file_imports_every_line_audited(people: dict[str, Any]) -> None:
    content = _csv(people, GOOD_LINES)
    checked = _check(people, content)
    assert checked.ok, checked.problems
    assert len(checked.planned) == 3
    assert Member.objects.count() == 0  # a dry run writes nothing
    table = importing.read_table(content)
    count = importing.run_import(
        actor=people["officer_a"],
        content=content,
        filename="danh-sach.csv",
        mapping=importing.guess_mapping(table.headers),
        unit=people["commune_a"],
    )
    assert count == 3
    an = Member.objects.get(full_name="Nguyễn Văn An")
    assert (an.gender, an.ethnicity, an.unit_id) == ("male", "01", people["cell_a"].pk)
    assert an.status == Status.OFFICIAL
    assert an.official_on == D(2011, 3, 1)
    assert sealing.read_sensitive_field(an, "citizen_id") == "068080001111"
    assert (
        MemberEvent.objects.get(member=an, kind=EventKind.ADMISSION).decision_number == "12-QĐ/ĐU"
    )
    binh = Member.objects.get(full_name="Trần Thị Bình")
    assert (binh.gender, binh.ethnicity, binh.religion) == ("female", "02", "buddhism")
    assert binh.status == Status.PROBATIONARY
    kbroi = Member.objects.get(full_name="K'Brơi")
    assert (kbroi.ethnicity, kbroi.religion, kbroi.unit_id) == (
        "16",
        "catholicism",
        people["commune_a"].pk,
    )
    assert kbroi.status == Status.UNRECORDED
    summary = AuditEvent.objects.get(action="members.imported")
    assert summary.data["count"] == 3
    assert summary.data["sha256"] == importing.file_digest(content)
    assert summary.data["file"] == "danh-sach.csv"
    assert AuditEvent.objects.filter(action="members.member_created").count() == 3
    assert AuditEvent.objects.filter(action="members.event_recorded").count() == 3


def test_invalid_lines_are_all_reported_and_nothing_is_imported(people: dict[str, Any]) -> None:
    make_member(people["cell_a"], full_name="Đã Có", party_record_number="LL-009")
    bad = (
        GOOD_LINES
        # line 5: unknown gender, a date that is not one
        + "Lê Văn Cường,Không rõ,31/02/1990,Kinh,Không,,,,,,,\n"
        # line 6: official membership before the end of probation
        + "Phạm Văn Dũng,Nam,01/01/1980,Kinh,Không,,,{cell},01/03/2020,,01/06/2020,\n"
        # line 7: a cell of another commune, a record number already in the registry
        + "Hồ Thị Em,Nữ,01/01/1990,Kinh,Không,,LL-009,{other},,,,\n"
        # line 8: the same citizen ID as line 2, admitted at 15
        + "Võ Văn Phúc,Nam,01/01/2005,Kinh,Không,068080001111,,,01/01/2020,,,\n"
        # line 9: no name
        + ",Nam,01/01/1990,Kinh,Không,,,,,,,\n"
    ).replace("{other}", people["cell_b"].code)
    content = _csv(people, bad)
    checked = _check(people, content)
    problems = [(p.line, p.column) for p in checked.problems]
    assert (5, "Giới tính") in problems
    assert (5, "Ngày sinh") in problems
    assert (6, "Ngày chính thức") in problems
    assert (7, "Mã chi bộ") in problems
    assert (7, "Số lý lịch") in problems
    assert (8, "Ngày vào Đảng") in problems
    assert (9, "Họ và tên") in problems
    # Line 2 is fine by itself, but line 8 repeats its citizen ID: both are reported.
    assert (2, "Số CCCD") in problems
    assert (8, "Số CCCD") in problems
    assert {line for line, _column in problems} == {2, 5, 6, 7, 8, 9}
    messages = {(p.line, p.column): p.message for p in checked.problems}
    assert "before the probation ends on 01/03/2021" in messages[(6, "Ngày chính thức")]
    assert "not under" in messages[(7, "Mã chi bộ")]
    assert messages[(9, "Họ và tên")] == "This field is required."
    assert messages[(2, "Số CCCD")] == "The same value is on line(s) 8 of the file."
    # Nothing at all is imported, not even the three good lines.
    table = importing.read_table(content)
    with pytest.raises(importing.ImportRefused) as refused:
        importing.run_import(
            actor=people["officer_a"],
            content=content,
            filename="x.csv",
            mapping=importing.guess_mapping(table.headers),
            unit=people["commune_a"],
        )
    assert len(refused.value.problems) == len(checked.problems)
    assert Member.objects.count() == 1
    assert not AuditEvent.objects.filter(action="members.imported").exists()


def test_duplicates_inside_the_file_name_the_other_line(people: dict[str, Any]) -> None:
    lines = (
        "A Một,Nam,01/01/1980,Kinh,Không,068080001111,,,,,,\n"
        "B Hai,Nam,01/01/1980,Kinh,Không,068 080 001 111,,,,,,\n"
    )
    checked = _check(people, _csv(people, lines))
    messages = {(p.line, p.message) for p in checked.problems}
    assert (2, "The same value is on line(s) 3 of the file.") in messages
    assert (3, "The same value is on line(s) 2 of the file.") in messages


def test_xlsx_import_with_excel_dates_and_numeric_ids(people: dict[str, Any]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [
            "Full name",
            "Gender",
            "Date of birth",
            "Ethnicity",
            "Citizen ID number",
            "Date of admission",
        ]
    )
    sheet.append(
        [
            "Đặng Văn Gia",
            "Male",
            dt.datetime(1979, 8, 2),  # noqa: DTZ001 (spreadsheet dates are naive)
            "Kinh",
            68079003333,
            dt.datetime(2015, 2, 3),  # noqa: DTZ001
        ]
    )
    out = io.BytesIO()
    workbook.save(out)
    checked = _check(people, out.getvalue())
    assert checked.ok, checked.problems
    plan = checked.planned[0]
    assert plan.profile["citizen_id"] == "068079003333"  # the leading zero restored
    assert plan.profile["birth_date"] == D(1979, 8, 2)
    assert plan.admitted_on == D(2015, 2, 3)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"PK\x03\x04 not really a zip", "The Excel file cannot be read"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file (.xls)"),
        ("Nom complet,Sexe\nÉlise,F\n".encode("latin-1"), "not UTF-8 text (line 2)"),
        (b"Full name,Gender\n", "a header line but no member"),
        (b"\x00\x01\x02binary", "neither an Excel workbook"),
    ],
)
def test_bad_files_are_refused_clearly(content: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        importing.read_table(content)
    assert message in str(refused.value.message)


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValidationFailed) as refused:
        importing.read_table(out.getvalue())
    assert "not an Excel workbook" in str(refused.value.message)


def test_a_file_too_large_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        importing.read_table(b"a" * (importing.MAX_IMPORT_BYTES + 1))
    assert "larger than 5 MB" in str(refused.value.message)


def test_mapping_problems_are_reported_before_any_line(people: dict[str, Any]) -> None:
    table = importing.read_table(_csv(people, GOOD_LINES))
    checked = importing.dry_run(
        actor=people["officer_a"],
        table=table,
        mapping={0: "full_name", 1: "full_name"},
        unit=people["commune_a"],
    )
    messages = [p.message for p in checked.problems]
    assert any("given to several columns" in m for m in messages)
    assert any("Choose the column that holds “date of birth”" in m for m in messages)


def _upload(client: Any, people: dict[str, Any], content: bytes, name: str = "ds.csv") -> Any:
    return client.post(
        reverse("members:import"),
        {"unit": str(people["commune_a"].pk), "file": SimpleUploadedFile(name, content)},
    )


def test_the_import_pages_from_upload_to_import(people: dict[str, Any], client_for: Any) -> None:
    client = client_for(people["officer_a"])
    bad = _upload(client, people, "x,y\n1,2\n".encode("utf-16"))
    assert bad.status_code == 400
    assert (
        "neither an Excel workbook" in bad.content.decode() or "not UTF-8" in bad.content.decode()
    )
    content = _csv(people, GOOD_LINES + "Lê Văn Cường,Không rõ,01/01/1990,Kinh,Không,,,,,,,\n")
    page = _upload(client, people, content)
    assert page.status_code == 200
    token = re.search(r"/import/([0-9a-f]{32})/", page.content.decode()).group(1)  # type: ignore[union-attr]
    mapping_url = reverse("members:import_mapping", args=[token])
    assert client.get(mapping_url).status_code == 200
    form = page.context["form"]
    data = dict(form.initial.items())
    assert data["col_0"] == "full_name"
    assert "col_11" not in data
    # Another officer cannot open this upload.
    assert client_for(people["officer_b"]).get(mapping_url).status_code == 404
    url = reverse("members:import_mapping", args=[token])
    checked = client.post(url, {**data, "action": "check"})
    assert checked.status_code == 400
    body = checked.content.decode()
    assert "“Không rõ” is not one of the choices." in body
    assert 'value="import"' not in body
    # Even a forced "import" with the bad line imports nothing.
    forced = client.post(url, {**data, "action": "import"})
    assert forced.status_code == 400
    assert Member.objects.count() == 0
    # A corrected file goes through.
    response = _upload(client, people, _csv(people, GOOD_LINES))
    token = re.search(r"/import/([0-9a-f]{32})/", response.content.decode()).group(1)  # type: ignore[union-attr]
    url = reverse("members:import_mapping", args=[token])
    ok = client.post(url, {**data, "action": "check"})
    assert ok.status_code == 200
    assert 'value="import"' in ok.content.decode()
    done = client.post(url, {**data, "action": "import"})
    assert done.status_code == 302
    assert Member.objects.count() == 3
    # The staged file is gone after the import.
    assert client.get(url).status_code == 404
