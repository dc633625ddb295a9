"""Statutory reports: every table's counts against a small set of members built with the
services and counted by hand below; a past date against today; the event-derived state against
`lifecycle.derive` member by member; scope; audit and watermark of the exports."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.members import generator, lifecycle, reports
from secretariat.members.choices import EventKind
from secretariat.members.models import Member, MemberEvent
from secretariat.members.services import member_transfer_confirm
from secretariat.members.tests.factories import event, make_member, official

D = dt.date
PAST = D(2023, 6, 30)


@pytest.fixture
def people(tree: dict[str, Any]) -> dict[str, Member]:
    """Hand-counted members (as of 30/06/2023 and today):

    A  official, cell_a, male 1975, Kinh, none, 12/12 bachelor, intermediate; temporarily active
       in cell_b since 2024.
    B  official, cell_a, female 1950, Cơ-ho, Catholic, 10/10, no degree, elementary; exempted 2020.
    C  probationary, cell_b, female 2000, Kinh, Buddhist, 12/12 master; admitted 11 months and
       10 days ago: due for recognition today, not a member in 2023.
    D  official, cell_b → cell_a on 10/01/2023 (confirmed), male 1985, Mạ, doctorate and
       associate professor, advanced.
    E  official, cell_b, male 1980, Kinh, 9/12, intermediate degree and theory; left 01/02/2024.
    F  official, cell_a, male 1935, Kinh, 7/10, no degree, no theory; died 01/09/2023.
    G  candidate, cell_a: never counted.
    H  cell_b, female 1978, Kinh, 12/12 bachelor, elementary; admitted 2000, removed 2012,
       re-admitted 01/05/2022, official 10/05/2023: Party age from 01/05/2010.
    """
    cell_a, cell_b = tree["cell_a"], tree["cell_b"]
    today = clock.today()
    a = official(
        cell_a,
        D(2001, 3, 1),
        full_name="Nguyễn Văn An",
        birth_date=D(1975, 1, 10),
        political_theory="intermediate",
        degree="bachelor",
    )
    b = official(
        cell_a,
        D(1975, 5, 1),
        full_name="Ka Thị Bình",
        gender="female",
        birth_date=D(1950, 6, 1),
        ethnicity="16",
        religion="catholicism",
        general_education="10/10",
        degree="none",
        political_theory="elementary",
    )
    event(b, EventKind.EXEMPTION, D(2020, 1, 1))
    c = make_member(
        cell_b,
        full_name="Trần Thị Cúc",
        gender="female",
        birth_date=D(2000, 2, 2),
        religion="buddhism",
        degree="master",
        political_theory="none",
    )
    admitted_c = lifecycle.add_months(today, -11) - dt.timedelta(days=10)
    event(c, EventKind.ADMISSION, admitted_c, to_unit=cell_b)
    d = official(
        cell_b,
        D(2010, 1, 15),
        full_name="Điểu Dũng",
        birth_date=D(1985, 3, 3),
        ethnicity="28",
        degree="doctorate",
        academic_title="associate_professor",
        political_theory="advanced",
    )
    transfer = event(
        Member.objects.get(pk=d.pk), EventKind.TRANSFER_OFFICIAL, D(2023, 1, 10), to_unit=cell_a
    )
    member_transfer_confirm(actor=None, event=transfer)
    e = official(
        cell_b,
        D(2005, 6, 1),
        full_name="Lê Văn Em",
        birth_date=D(1980, 4, 4),
        general_education="9/12",
        degree="intermediate",
        political_theory="intermediate",
    )
    event(e, EventKind.LEAVING, D(2024, 2, 1))
    f = official(
        cell_a,
        D(1960, 1, 1),
        full_name="Phạm Văn Phúc",
        birth_date=D(1935, 8, 8),
        general_education="7/10",
        degree="none",
        political_theory="none",
    )
    event(f, EventKind.DEATH, D(2023, 9, 1))
    g = make_member(cell_a, full_name="Võ Văn Giang", birth_date=D(1999, 9, 9))
    event(g, EventKind.CANDIDATE, D(2022, 1, 1), to_unit=cell_a)
    h = official(
        cell_b,
        D(2000, 5, 1),
        full_name="Hồ Thị Hạnh",
        gender="female",
        birth_date=D(1978, 7, 7),
        political_theory="elementary",
    )
    event(h, EventKind.REMOVAL, D(2012, 5, 1))
    event(h, EventKind.READMISSION, D(2022, 5, 1), to_unit=cell_b)
    event(h, EventKind.OFFICIAL, D(2023, 5, 10))
    temporary = event(
        Member.objects.get(pk=a.pk), EventKind.TRANSFER_TEMPORARY, D(2024, 3, 1), to_unit=cell_b
    )
    member_transfer_confirm(actor=None, event=temporary)
    return {
        k: Member.objects.get(pk=v.pk)
        for k, v in zip("ABCDEFGH", (a, b, c, d, e, f, g, h), strict=True)
    }


@pytest.fixture
def officer(make_user: Any, tree: dict[str, Any]) -> Any:
    return make_user("officer", role="member_records_officer", unit=tree["province"])


@pytest.fixture
def leader(make_user: Any, tree: dict[str, Any]) -> Any:
    return make_user("leader", role="leader", unit=tree["province"])


def _report(user: Any, unit: Any, **kwargs: Any) -> reports.Report:
    return reports.statutory_report(user=user, unit=unit, **kwargs)


def test_past_date_counts_by_hand(people: Any, officer: Any, tree: Any) -> None:
    report = _report(
        officer, tree["province"], as_of=PAST, period_from=D(2023, 1, 1), period_to=D(2023, 12, 31)
    )
    assert report.from_events
    overview = report.table("overview").as_dict()
    assert overview == {
        "total": 6,
        "probationary": 0,
        "official": 6,
        "female": 2,
        "minorities": 2,
        "religious": 1,
        "exempted": 1,
        "temporary": 0,
        "due": 0,
    }
    age = report.table("age")
    # A 48, B 73, D 38, E 43, F 87, H 44.
    assert age.as_dict() == {
        "total": 6,
        "band_0": 0,
        "band_1": 1,
        "band_2": 3,
        "band_3": 0,
        "band_4": 0,
        "band_5": 2,
    }
    # A 22 years, B 48, D 13, E 18, F 63, H 13 (from 01/05/2010).
    assert report.table("seniority").as_dict() == {
        "total": 6,
        "band_0": 0,
        "band_1": 3,
        "band_2": 1,
        "band_3": 0,
        "band_4": 1,
        "band_5": 0,
        "band_6": 1,
    }
    assert report.table("gender").as_dict() == {"total": 6, "male": 4, "female": 2}
    assert report.table("ethnicity").as_dict() == {
        "total": 6,
        "01": 4,
        "minorities": 2,
        "16": 1,
        "28": 1,
    }
    assert report.table("religion").as_dict() == {
        "total": 6,
        "none": 5,
        "religious": 1,
        "catholicism": 1,
    }
    education = report.table("education")
    assert education.value("general_upper_secondary") == 4
    assert education.value("general_lower_secondary") == 2
    assert education.value("general_primary") == 0
    assert education.value("degree_bachelor") == 2
    assert education.value("degree_none") == 2
    assert education.value("degree_doctorate") == 1
    assert education.value("degree_intermediate") == 1
    assert education.value("title_associate_professor") == 1
    assert education.value("title_professor") == 0
    assert report.table("theory").as_dict() == {
        "total": 6,
        "none": 1,
        "elementary": 2,
        "intermediate": 2,
        "advanced": 1,
        "bachelor": 0,
    }
    organizations = report.table("organizations")
    assert organizations.rows[0].values == (1, 0, 0)  # the provincial committee itself
    assert organizations.value("grassroots_committees") == 2
    assert organizations.value("commune_committee") == 1
    assert organizations.value("ward_committee") == 1
    assert organizations.value("cells_under") == 2
    assert organizations.value("cells_under", 1) == 2  # both cells have members
    assert organizations.value("cells_under", 2) == 6
    assert organizations.value("other") == 1  # the office
    movements = report.table("movements").as_dict()
    assert movements["official"] == 1  # H
    assert movements["transfer_within"] == 1  # D, between two units of the province
    assert movements["transfer_in"] == movements["transfer_out"] == 0
    assert movements["death"] == 1  # F
    assert movements["leaving"] == 0
    assert movements["admission"] == movements["readmission"] == 0
    probation = report.table("probation").as_dict()
    assert probation == {"probationary": 0, "due": 0, "overdue": 0}
    assert report.due_list == ()


def test_today_counts_by_hand_and_differ_from_the_past(
    people: Any, officer: Any, tree: Any
) -> None:
    report = _report(officer, tree["province"], period_from=D(2024, 1, 1))
    assert not report.from_events
    assert report.table("overview").as_dict() == {
        "total": 5,
        "probationary": 1,
        "official": 4,
        "female": 3,
        "minorities": 2,
        "religious": 2,
        "exempted": 1,
        "temporary": 1,
        "due": 1,
    }
    assert report.table("gender").as_dict() == {"total": 5, "male": 2, "female": 3}
    assert report.table("religion").value("buddhism") == 1
    assert report.table("probation").as_dict() == {"probationary": 1, "due": 1, "overdue": 0}
    movements = report.table("movements").as_dict()
    assert movements["leaving"] == 1  # E, 2024
    assert movements["departures"] == 1
    assert movements["admission"] == (1 if people["C"].admitted_on >= D(2024, 1, 1) else 0)
    assert movements["temporary_within"] == 1  # A, cell_a → cell_b
    # The officer sees the one name of the report: C.
    assert report.due_list is not None
    assert [d.full_name for d in report.due_list] == ["Trần Thị Cúc"]
    assert report.due_list[0].probation_ends_on == people["C"].probation_ends_on
    # Per unit: commune_a holds A, B, D; commune_b holds C, H.
    a_side = _report(officer, tree["commune_a"])
    assert a_side.table("overview").value("total") == 3
    b_side = _report(officer, tree["commune_b"])
    assert b_side.table("overview").value("total") == 2
    past_a = _report(
        officer, tree["commune_a"], as_of=PAST, period_from=D(2023, 1, 1), period_to=D(2023, 12, 31)
    )
    assert past_a.table("overview").value("total") == 4  # A, B, D, F
    assert past_a.table("movements").value("transfer_in") == 1  # D arrived
    past_b = _report(
        officer, tree["commune_b"], as_of=PAST, period_from=D(2023, 1, 1), period_to=D(2023, 12, 31)
    )
    assert past_b.table("movements").value("transfer_out") == 1  # D left
    assert past_b.table("movements").value("official") == 1  # H


def test_today_from_events_equals_the_cached_columns(people: Any, officer: Any, tree: Any) -> None:
    for unit in (tree["province"], tree["commune_a"], tree["cell_b"]):
        cached = _report(officer, unit)
        derived = _report(officer, unit, _force_events=True)
        assert derived.from_events
        assert not cached.from_events
        assert derived.tables == cached.tables
        assert derived.due_list == cached.due_list


def test_event_derived_state_matches_lifecycle_derive(tree: Any) -> None:
    """The SQL restatement of `derive(as_of=…)` against `derive` itself, member by member,
    over generated histories (transfers, temporary activity, exits, returns, re-admissions,
    restorations, deaths) on several dates."""
    plans = list(generator.plan_members(600, [tree["cell_a"], tree["cell_b"]], seed=5))
    generator.bulk_insert(plans)
    members = list(Member.objects.all())
    events: dict[Any, list[lifecycle.EventFact]] = {m.pk: [] for m in members}
    for e in MemberEvent.objects.all():
        events[e.member_id].append(
            lifecycle.EventFact(
                kind=e.kind,
                effective_on=e.effective_on,
                sequence=e.sequence,
                to_unit_id=e.to_unit_id,
                from_unit_id=e.from_unit_id,
                external_destination=e.external_destination,
                confirmed=e.confirmed_at is not None,
                ref=e.pk,
            )
        )
    kinds = {f.kind for facts in events.values() for f in facts}
    assert {"transfer_official", "removal", "death", "exemption", "transfer_out"} <= kinds
    today = clock.today()
    for day in (
        D(1985, 1, 1),
        D(2005, 7, 1),
        D(2019, 12, 31),
        today - dt.timedelta(days=200),
        today,
    ):
        states = reports.member_states(as_of=day)
        for member in members:
            standing = lifecycle.derive(
                events[member.pk],
                initial_unit_id=member.registered_unit_id,
                birth_date=member.birth_date,
                as_of=day,
            )
            state = states.get(member.pk)
            if not standing.is_member:
                assert state is None, (day, standing.history)
                continue
            assert state is not None, (day, standing.history)
            assert (
                state.unit_id,
                state.official,
                state.admitted_on,
                state.party_age_from,
                state.exempted,
                state.temporary,
            ) == (
                standing.unit_id,
                standing.status == "official",
                standing.admitted_on,
                standing.party_age_from,
                standing.exempted,
                standing.is_temporarily_elsewhere,
            ), (day, standing.history)
    # Today from events = the cached columns.
    assert reports.member_states(as_of=today) == reports.member_states(
        as_of=today, from_events=False
    )


def test_scope(people: Any, make_user: Any, leader: Any, tree: Any) -> None:
    other = make_user("other", role="member_records_officer", unit=tree["commune_b"])
    with pytest.raises(PermissionDenied):
        _report(other, tree["commune_a"])
    with pytest.raises(PermissionDenied):
        _report(other, tree["province"])
    with pytest.raises(PermissionDenied):
        reports.report_export(user=other, unit=tree["commune_a"], fmt="pdf")
    own = _report(other, tree["commune_b"])
    assert own.table("overview").value("total") == 2
    assert own.due_list is not None  # a records officer of the unit
    specialist = make_user("spec", role="specialist", unit=tree["province"])
    with pytest.raises(PermissionDenied):
        _report(specialist, tree["province"])
    # A leader gets the aggregates, never a name.
    seen = _report(leader, tree["province"])
    assert seen.table("overview").value("total") == 5
    assert seen.due_list is None
    assert reports.may_view_reports(leader, tree["cell_a"])
    assert not reports.may_view_due_list(leader, tree["cell_a"])
    assert set(reports.reportable_units(other)) == {tree["commune_b"], tree["cell_b"]}


def test_bad_input_is_refused(officer: Any, tree: Any) -> None:
    with pytest.raises(ValidationFailed):
        _report(officer, tree["province"], as_of=clock.today() + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        _report(officer, tree["province"], period_from=D(2024, 5, 1), period_to=D(2024, 1, 1))
    with pytest.raises(ValidationFailed):
        _report(officer, tree["province"], only=["nonsense"])
    with pytest.raises(ValidationFailed):
        reports.report_export(user=officer, unit=tree["province"], fmt="docx")
    with pytest.raises(ValidationFailed):
        reports.report_table(user=officer, unit=tree["province"], key="nonsense")


def _pdf_pages(content: bytes) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return [page for page in text.split("\f") if page.strip()]


def test_pdf_export_is_watermarked_and_audited(people: Any, leader: Any, tree: Any) -> None:
    before = AuditEvent.objects.filter(action="members.report_exported").count()
    export = reports.report_pdf(user=leader, unit=tree["province"], as_of=PAST)
    assert export.content.startswith(b"%PDF")
    assert export.content_type == "application/pdf"
    assert "Leader (leader)" in export.watermark
    pages = _pdf_pages(export.content)
    assert len(pages) >= 2
    for page in pages:
        assert export.watermark in page
    whole = "\n".join(pages)
    assert "Tỉnh ủy Lâm Đồng" in whole  # Vietnamese letters survive
    assert "Cơ-ho" in whole
    # No name for a leader.
    assert "Trần Thị Cúc" not in whole
    assert "Nguyễn Văn An" not in whole
    event = AuditEvent.objects.filter(action="members.report_exported").order_by("seq").last()
    assert event is not None
    assert AuditEvent.objects.filter(action="members.report_exported").count() == before + 1
    assert event.actor_username == "leader"
    assert event.data["format"] == "pdf"
    assert event.data["as_of"] == "2023-06-30"
    assert event.data["names_included"] is False
    assert event.unit_id == tree["province"].pk


def test_xlsx_export_is_watermarked_and_audited(people: Any, officer: Any, tree: Any) -> None:
    from openpyxl import load_workbook

    export = reports.report_xlsx(user=officer, unit=tree["province"])
    workbook = load_workbook(io.BytesIO(export.content))
    assert workbook.properties.creator == export.watermark
    assert workbook.properties.description == export.watermark
    assert "Officer (officer)" in export.watermark
    for sheet in workbook.worksheets:
        assert sheet["A1"].value == export.watermark
        assert sheet.oddHeader.center.text == export.watermark
    overview = workbook["overview"]
    labels = {
        overview.cell(row=r, column=1).value: overview.cell(row=r, column=2).value
        for r in range(1, overview.max_row + 1)
    }
    assert labels["Party members"] == 5
    # The officer's export holds the BC21 list, with the one name.
    names = [c.value for c in workbook["BC21"]["A"]]
    assert "Trần Thị Cúc" in names
    event = AuditEvent.objects.filter(action="members.report_exported").order_by("seq").last()
    assert event is not None
    assert event.data["format"] == "xlsx"
    assert event.data["names_included"] is True
    assert event.actor_username == "officer"
