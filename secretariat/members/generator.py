"""Realistic synthetic Party members for the demo, the benchmark and tests — never for a node
holding real records (the callers refuse outside demo/debug mode or without an explicit yes).

`plan_members(count, cells, seed=…)` draws people and their life-cycle histories: admissions
spread over six decades (more in recent ones), the 12-month probation and the recognition (a few
left overdue), transfers between cells (within the Party committee or elsewhere in the node, a
few still awaiting confirmation), temporary activity elsewhere, exemptions of the old, transfers
out of the node and back, leaving, removal (some re-admitted), expulsion (some restored) and
deaths; Vietnamese names (Faker vi_VN, and K'Ho, Mạ, Chu Ru names for those peoples), an
ethnicity and religion mix plausible for Lâm Đồng (Kinh majority; Cơ-ho, Mạ, Chu-ru, Mnông, Tày,
Nùng, Chăm… more of them in the rural communes), education, theory level, dues income.

Every plan is checked with `lifecycle.derive` (the same rules the services apply), then written
one of two ways:

* `create_with_services(plans)` — through the real services (member_create, member_event_record,
  member_transfer_confirm, discipline_add): every audit event, every check; for small numbers
  (tests, the demo's own account);
* `bulk_insert(plans)` — already-consistent rows with `bulk_create` (COPY-free, both databases):
  the cached columns are exactly `derive`'s standing over the generated events, so the reports
  and the services read them as if the services had written them. No audit events: a bulk load
  is not a change anybody made. About 5,000 members a few seconds, 200,000 a few minutes.

Dues payments and ratings can be added for the last months / years (`dues_months`,
`rating_years`), with a small share of members falling 3+ months behind.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from faker import Faker

from secretariat.core import clock
from secretariat.core.errors import ValidationFailed
from secretariat.core.ids import uuid7
from secretariat.orgs.models import Unit, UnitKind

from . import dues, lifecycle
from .choices import (
    CONFIRMED_TRANSFERS,
    MEMBER_STATUSES,
    AcademicTitle,
    Degree,
    DisciplineForm,
    EventKind,
    IncomeType,
    Rating,
    Religion,
    TheoryLevel,
)
from .models import AnnualRating, Discipline, DuesPayment, Member, MemberEvent

D = dt.date

# Ethnic groups of Party members in the demo province (GSO codes, weights in ‰) **[invented,
# plausible]**: Kinh majority; the Central Highlands peoples of Lâm Đồng (Cơ-ho, Mạ, Chu-ru,
# Mnông), northern peoples who settled there (Tày, Nùng, Hmông, Dao, Thái, Mường), Hoa, and
# the Chăm and Ra-glai of the coast (the former Bình Thuận).
ETHNICITY_WEIGHTS = {
    "01": 850,
    "16": 40,  # Cơ-ho
    "28": 12,  # Mạ
    "36": 8,  # Chu-ru
    "20": 12,  # Mnông
    "02": 14,  # Tày
    "07": 12,  # Nùng
    "04": 10,  # Hoa
    "17": 10,  # Chăm
    "21": 5,  # Ra-glai
    "08": 5,  # Hmông
    "09": 5,  # Dao
    "03": 6,  # Thái
    "06": 6,  # Mường
    "12": 3,  # Ê-đê
    "99": 2,
}
HIGHLAND = {"16", "28", "36", "20", "21", "12"}
RELIGION_WEIGHTS = {
    Religion.NONE: 880,
    Religion.BUDDHISM: 50,
    Religion.CATHOLICISM: 40,
    Religion.PROTESTANTISM: 15,
    Religion.CAODAISM: 5,
    Religion.ISLAM: 3,
    Religion.BRAHMANISM: 3,
    Religion.OTHER: 4,
}
DEGREE_WEIGHTS = {
    Degree.NONE: 150,
    Degree.ELEMENTARY: 50,
    Degree.INTERMEDIATE: 170,
    Degree.COLLEGE: 80,
    Degree.BACHELOR: 450,
    Degree.MASTER: 85,
    Degree.DOCTORATE: 15,
}
THEORY_WEIGHTS = {
    TheoryLevel.NONE: 150,
    TheoryLevel.ELEMENTARY: 480,
    TheoryLevel.INTERMEDIATE: 270,
    TheoryLevel.ADVANCED: 80,
    TheoryLevel.BACHELOR: 20,
}
# Names of the Central Highlands peoples (K'Ho, Mạ, Chu Ru…): family-like parts and given names.
HIGHLAND_FAMILY = (
    "K'",
    "Ka",
    "Cil",
    "Liêng",
    "Bon Niêng",
    "Đa Cát",
    "Rơ Ông",
    "Kră Jăn",
    "Păng Ting",
    "Touneh",
    "Ya",
    "Điểu",
    "Thị",
)
HIGHLAND_GIVEN = (
    "Brèo",
    "Brăh",
    "Sơn",
    "Ha Sin",
    "Điệp",
    "Hòa",
    "Nhàn",
    "Thoa",
    "Duẩn",
    "Kim",
    "Mai",
    "Bình",
    "Hơn",
    "Tiếp",
    "Jrang",
    "Sang",
    "Yên",
    "Lâm",
)
OCCUPATIONS = {
    "agency": (
        "Công chức",
        "Viên chức",
        "Giáo viên",
        "Bác sĩ",
        "Chiến sĩ công an",
        "Kỹ sư",
        "Phóng viên",
    ),
    "rural": (
        "Nông dân",
        "Trồng cà phê",
        "Trồng chè",
        "Trồng rau, hoa",
        "Giáo viên",
        "Buôn bán",
        "Cán bộ thôn",
    ),
    "urban": (
        "Công chức",
        "Hưu trí",
        "Buôn bán",
        "Kinh doanh",
        "Giáo viên",
        "Công nhân",
        "Nhân viên văn phòng",
    ),
}


@dataclass
class PlannedEvent:
    kind: str
    effective_on: dt.date
    to_unit_id: Any = None
    from_unit_id: Any = None
    external_destination: str = ""
    confirmed: bool = True
    decision_number: str = ""

    def fact(self, sequence: int) -> lifecycle.EventFact:
        return lifecycle.EventFact(
            kind=self.kind,
            effective_on=self.effective_on,
            sequence=sequence,
            to_unit_id=self.to_unit_id,
            from_unit_id=self.from_unit_id,
            external_destination=self.external_destination,
            confirmed=self.confirmed,
            ref=sequence,
        )


@dataclass
class PlannedMember:
    unit_id: Any  # the unit the record is opened in
    profile: dict[str, Any]
    events: list[PlannedEvent] = field(default_factory=list)
    standing: lifecycle.Standing | None = None

    def facts(self) -> list[lifecycle.EventFact]:
        return [event.fact(i) for i, event in enumerate(self.events)]


@dataclass(frozen=True)
class CellInfo:
    id: Any
    committee_path: str  # the parent's path: the Party committee of the cell
    setting: str  # agency / rural / urban


def cell_infos(cells: Iterable[Unit]) -> list[CellInfo]:
    """What the generator needs to know of each cell (its committee, rural or urban)."""
    parents = {u.path: u for u in Unit.objects.all()}
    infos = []
    for cell in cells:
        parent = parents.get(cell.path[: -Unit.steplen])
        kind = parent.kind if parent is not None else ""
        if kind == UnitKind.COMMUNE_COMMITTEE:
            setting = "rural"
        elif kind == UnitKind.WARD_COMMITTEE:
            setting = "urban"
        else:
            setting = "agency"
        infos.append(CellInfo(cell.pk, parent.path if parent else "", setting))
    return infos


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


class _Names:
    MALE_MIDDLE = ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân", "Đình")
    FEMALE_MIDDLE = ("Thị", "Thu", "Ngọc", "Thanh", "Minh", "Kim", "Thùy", "Mỹ")

    def __init__(self, seed: int) -> None:
        self.faker = Faker("vi_VN")
        self.faker.seed_instance(seed)
        # Pools drawn once: Faker is slow per call, a pool is as varied for this purpose.
        self.family = [self.faker.last_name() for _ in range(300)]
        self.male = [self.faker.first_name_male() for _ in range(400)]
        self.female = [self.faker.first_name_female() for _ in range(400)]

    def name(self, rng: random.Random, *, female: bool, highland: bool) -> str:
        if highland:
            family = rng.choice(HIGHLAND_FAMILY)
            given = rng.choice(HIGHLAND_GIVEN)
            if family == "K'":
                return f"K'{given}"
            return f"{family} {given}"
        family = rng.choice(self.family)
        if female:
            return f"{family} {rng.choice(self.FEMALE_MIDDLE)} {rng.choice(self.female)}"
        return f"{family} {rng.choice(self.MALE_MIDDLE)} {rng.choice(self.male)}"


def _profile(
    rng: random.Random, names: _Names, cell: CellInfo, birth: dt.date, today: dt.date
) -> dict[str, Any]:
    female = rng.random() < 0.38
    weights = dict(ETHNICITY_WEIGHTS)
    if cell.setting == "rural":
        for code in HIGHLAND:
            weights[code] *= 4
    ethnicity = _weighted(rng, weights)
    degree = _weighted(rng, DEGREE_WEIGHTS)
    if cell.setting == "agency" and degree in (Degree.NONE, Degree.ELEMENTARY):
        degree = Degree.BACHELOR
    title = AcademicTitle.NONE
    if degree == Degree.DOCTORATE:
        roll = rng.random()
        title = (
            AcademicTitle.PROFESSOR
            if roll < 0.03
            else AcademicTitle.ASSOCIATE_PROFESSOR
            if roll < 0.18
            else AcademicTitle.NONE
        )
    # Older members went to school under the 10-year system of the North (and the 12-year one
    # of the South); a few left school early.
    system = 10 if birth.year < 1962 and rng.random() < 0.5 else 12
    grade = system if rng.random() < 0.85 else rng.randint(system - 5, system - 1)
    age = lifecycle.years_between(birth, today)
    if age >= 60:
        income, base = IncomeType.PENSIONER, rng.randrange(3_500_000, 12_000_000, 50_000)
    elif cell.setting == "agency" or rng.random() < 0.45:
        income, base = IncomeType.SALARIED, rng.randrange(4_500_000, 25_000_000, 50_000)
    else:
        income, base = IncomeType.NO_FIXED_INCOME, 0
    religion = _weighted(rng, RELIGION_WEIGHTS)
    if ethnicity == "17" and rng.random() < 0.6:
        religion = rng.choice((Religion.ISLAM, Religion.BRAHMANISM))
    return {
        "full_name": names.name(rng, female=female, highland=ethnicity in HIGHLAND),
        "gender": "female" if female else "male",
        "birth_date": birth,
        "ethnicity": ethnicity,
        "religion": religion,
        "general_education": f"{grade}/{system}",
        "general_education_grade": grade,
        "degree": degree,
        "academic_title": title,
        "political_theory": _weighted(rng, THEORY_WEIGHTS),
        "occupation": rng.choice(OCCUPATIONS[cell.setting]),
        "income_type": income,
        "dues_base_amount": base or None,
    }


def _plan_history(
    rng: random.Random,
    person: PlannedMember,
    cell: CellInfo,
    cells: Sequence[CellInfo],
    by_committee: dict[str, list[CellInfo]],
    admitted_on: dt.date,
    today: dt.date,
) -> None:
    """Append a plausible life cycle to `person` (dates increasing, none after today)."""
    birth: dt.date = person.profile["birth_date"]
    events = person.events
    unit = cell.id

    def decision(prefix: str) -> str:
        return f"{rng.randint(1, 999)}-{prefix}/ĐU"

    admitted = min(admitted_on, today)
    if lifecycle.years_between(birth, admitted) < lifecycle.MINIMUM_ADMISSION_AGE:
        admitted = lifecycle.add_months(birth, 12 * lifecycle.MINIMUM_ADMISSION_AGE)
    if rng.random() < 0.35:
        candidate_on = admitted - dt.timedelta(days=rng.randrange(60, 400))
        if lifecycle.years_between(birth, candidate_on) >= 16:
            events.append(PlannedEvent(EventKind.CANDIDATE, candidate_on, to_unit_id=unit))
    events.append(
        PlannedEvent(EventKind.ADMISSION, admitted, to_unit_id=unit, decision_number=decision("QĐ"))
    )
    ends = lifecycle.add_months(admitted, lifecycle.PROBATION_MONTHS)
    # Recognition a few weeks after the probation ends; some recent ones still waiting.
    official = ends + dt.timedelta(days=rng.randrange(0, 75))
    if official > today or (ends > today - dt.timedelta(days=60) and rng.random() < 0.5):
        return  # still probationary (maybe overdue)
    events.append(PlannedEvent(EventKind.OFFICIAL, official, decision_number=decision("QĐ")))
    day = official
    alive_until = today
    # Death: more likely the older the person.
    age_now = lifecycle.years_between(birth, today)
    death_on = None
    if age_now > 65 and rng.random() < min(0.6, (age_now - 65) * 0.02):
        death_on = _date_between(rng, max(day, lifecycle.add_months(birth, 12 * 66)), today)
        alive_until = death_on - dt.timedelta(days=1)

    def next_day(min_days: int, max_days: int) -> dt.date | None:
        nonlocal day
        candidate = day + dt.timedelta(days=rng.randrange(min_days, max_days))
        if candidate >= alive_until:
            return None
        day = candidate
        return day

    # Transfers between cells (official, or within the Party committee).
    for _ in range(2):
        if rng.random() >= 0.12:
            break
        on = next_day(200, 3000)
        if on is None:
            break
        same = [c for c in by_committee.get(_committee_of(cells, unit), []) if c.id != unit]
        if same and rng.random() < 0.5:
            target, kind = rng.choice(same), EventKind.TRANSFER_WITHIN
        else:
            others = [c for c in cells if c.id != unit]
            if not others:
                break
            target, kind = rng.choice(others), EventKind.TRANSFER_OFFICIAL
        pending = on > today - dt.timedelta(days=40) and rng.random() < 0.5
        events.append(
            PlannedEvent(
                kind,
                on,
                to_unit_id=target.id,
                from_unit_id=unit,
                confirmed=not pending,
                decision_number=decision("QĐ"),
            )
        )
        if pending:
            return
        unit = target.id
    # Temporary activity elsewhere (studies, a posting), usually ended.
    if rng.random() < 0.04:
        on = next_day(100, 2000)
        if on is not None:
            others = [c for c in cells if c.id != unit]
            outside = rng.random() < 0.4 or not others
            events.append(
                PlannedEvent(
                    EventKind.TRANSFER_TEMPORARY,
                    on,
                    to_unit_id=None if outside else rng.choice(others).id,
                    from_unit_id=unit,
                    external_destination="Học viện Chính trị quốc gia Hồ Chí Minh"
                    if outside
                    else "",
                )
            )
            if rng.random() < 0.6:
                end = next_day(90, 900)
                if end is not None:
                    events.append(PlannedEvent(EventKind.TEMPORARY_END, end))
                else:
                    return
            else:
                return
    # Out of the node, some coming back.
    if rng.random() < 0.025:
        on = next_day(100, 3000)
        if on is not None:
            pending = on > today - dt.timedelta(days=40) and rng.random() < 0.5
            events.append(
                PlannedEvent(
                    EventKind.TRANSFER_OUT,
                    on,
                    from_unit_id=unit,
                    external_destination="Đảng ủy phường Bến Thành, TP. Hồ Chí Minh",
                    confirmed=not pending,
                )
            )
            if pending:
                return
            back = next_day(300, 3000) if rng.random() < 0.3 else None
            if back is None:
                return
            unit = rng.choice(cells).id
            events.append(PlannedEvent(EventKind.TRANSFER_IN, back, to_unit_id=unit))
    # Leaving, removal (some re-admitted), expulsion (some restored).
    roll = rng.random()
    if roll < 0.05:
        kind = (
            EventKind.LEAVING
            if roll < 0.02
            else EventKind.REMOVAL
            if roll < 0.04
            else (EventKind.EXPULSION)
        )
        on = next_day(200, 6000)
        if on is None:
            return
        events.append(PlannedEvent(kind, on, decision_number=decision("QĐ")))
        if kind == EventKind.EXPULSION and rng.random() < 0.15:
            on = next_day(100, 1500)
            if on is None:
                return
            events.append(PlannedEvent(EventKind.RESTORATION, on))
        elif kind != EventKind.EXPULSION and rng.random() < 0.25:
            on = next_day(400, 3000)
            if on is None or lifecycle.years_between(birth, on) < lifecycle.MINIMUM_ADMISSION_AGE:
                return
            events.append(PlannedEvent(EventKind.READMISSION, on, to_unit_id=unit))
            ends = lifecycle.add_months(on, lifecycle.PROBATION_MONTHS)
            official = ends + dt.timedelta(days=rng.randrange(0, 60))
            if official >= alive_until:
                return
            day = official
            events.append(PlannedEvent(EventKind.OFFICIAL, official))
        else:
            return
    # Exemption from activities in old age.
    if lifecycle.years_between(birth, alive_until) >= 70 and rng.random() < 0.3:
        on = _date_between(rng, max(day, lifecycle.add_months(birth, 12 * 70)), alive_until)
        if day < on < alive_until:
            day = on
            events.append(PlannedEvent(EventKind.EXEMPTION, on))
    if death_on is not None and death_on > day:
        events.append(PlannedEvent(EventKind.DEATH, death_on))


def _committee_of(cells: Sequence[CellInfo], unit_id: Any) -> str:
    for cell in cells:
        if cell.id == unit_id:
            return cell.committee_path
    return ""


def plan_members(
    count: int,
    cells: Sequence[Unit] | Sequence[CellInfo],
    *,
    seed: int = 2026,
    today: dt.date | None = None,
) -> Iterator[PlannedMember]:
    """`count` people with their histories over `cells`, each validated with `lifecycle.derive`
    (its `standing` set). Deterministic for a seed."""
    today = today or clock.today()
    infos = [c if isinstance(c, CellInfo) else None for c in cells]
    cell_list: list[CellInfo] = (
        [c for c in infos if c is not None] if all(infos) else cell_infos(cells)  # type: ignore[arg-type]
    )
    by_committee: dict[str, list[CellInfo]] = {}
    for info in cell_list:
        by_committee.setdefault(info.committee_path, []).append(info)
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    names = _Names(seed)
    made = 0
    while made < count:
        cell = rng.choice(cell_list)
        # Admissions over six decades, more in recent ones: the birth follows from the age.
        years_ago = min(60.0, rng.expovariate(1 / 16))
        admitted_around = today - dt.timedelta(days=int(years_ago * 365.25))
        age_at_admission = rng.choice((18, 20, 22, 24, 26, 28, 30, 33, 36, 40))
        birth = _date_between(
            rng,
            admitted_around - dt.timedelta(days=int((age_at_admission + 1) * 365.25)),
            admitted_around - dt.timedelta(days=int(age_at_admission * 365.25)),
        )
        person = PlannedMember(unit_id=cell.id, profile=_profile(rng, names, cell, birth, today))
        _plan_history(rng, person, cell, cell_list, by_committee, admitted_around, today)
        try:
            person.standing = lifecycle.derive(
                person.facts(), initial_unit_id=person.unit_id, birth_date=birth
            )
        except ValidationFailed:  # an implausible draw (never expected): draw another person
            continue
        made += 1
        yield person


# --- Writing ----------------------------------------------------------------------------------


def create_with_services(
    plans: Iterable[PlannedMember], *, actor: Any | None = None
) -> list[Member]:
    """Write the plans through the real services (audited, validated); slow: tests and a few
    demo records."""
    from . import services

    units = {u.pk: u for u in Unit.objects.all()}
    created = []
    for plan in plans:
        profile = {k: v for k, v in plan.profile.items() if k != "general_education_grade"}
        member = services.member_create(actor=actor, unit=units[plan.unit_id], profile=profile)
        for event in plan.events:
            member = Member.objects.get(pk=member.pk)
            if event.kind == EventKind.EXPULSION:
                services.discipline_add(
                    actor=actor,
                    member=member,
                    form=DisciplineForm.EXPULSION,
                    decided_on=event.effective_on,
                    decision_number=event.decision_number,
                )
                continue
            recorded = services.member_event_record(
                actor=actor,
                member=member,
                kind=event.kind,
                effective_on=event.effective_on,
                decision_number=event.decision_number,
                to_unit=units[event.to_unit_id] if event.to_unit_id is not None else None,
                external_destination=event.external_destination,
            )
            if event.kind in CONFIRMED_TRANSFERS and event.confirmed:
                services.member_transfer_confirm(actor=None, event=recorded)
        created.append(Member.objects.get(pk=member.pk))
    return created


_DERIVED = {
    "status": "status",
    "status_since": "status_since",
    "exempted": "exempted",
    "temporary_unit_id": "temporary_unit_id",
    "temporary_external": "temporary_external",
    "admitting_unit_id": "admitting_unit_id",
    "first_admitted_on": "first_admitted_on",
    "admitted_on": "admitted_on",
    "probation_ends_on": "probation_ends_on",
    "official_on": "official_on",
    "ended_on": "ended_on",
    "party_age_from": "party_age_from",
}


def _rows(
    plan: PlannedMember, now: dt.datetime
) -> tuple[Member, list[MemberEvent], Discipline | None]:
    standing = plan.standing
    assert standing is not None
    member_id = uuid7()
    event_ids = [uuid7() for _ in plan.events]
    member = Member(
        id=member_id,
        created_at=now,
        updated_at=now,
        unit_id=standing.unit_id,
        registered_unit_id=plan.unit_id,
        event_count=len(plan.events),
        pending_transfer_id=(
            event_ids[standing.pending_transfer.ref] if standing.pending_transfer else None
        ),
        **{name: plan.profile[name] for name in plan.profile},
        **{attr: getattr(standing, key) for attr, key in _DERIVED.items()},
    )
    rows = []
    discipline = None
    for sequence, (event, event_id) in enumerate(zip(plan.events, event_ids, strict=True)):
        rows.append(
            MemberEvent(
                id=event_id,
                created_at=now,
                updated_at=now,
                member_id=member_id,
                sequence=sequence,
                kind=event.kind,
                decision_number=event.decision_number,
                decision_date=event.effective_on if event.decision_number else None,
                effective_on=event.effective_on,
                from_unit_id=event.from_unit_id if event.kind in CONFIRMED_TRANSFERS else None,
                to_unit_id=event.to_unit_id,
                external_destination=event.external_destination,
                confirmed_at=now if event.confirmed else None,
            )
        )
        if event.kind == EventKind.EXPULSION:
            discipline = Discipline(
                id=uuid7(),
                created_at=now,
                updated_at=now,
                member_id=member_id,
                form=DisciplineForm.EXPULSION,
                decision_number=event.decision_number,
                decided_on=event.effective_on,
                effective_on=event.effective_on,
                event_id=event_id,
            )
    return member, rows, discipline


def bulk_insert(
    plans: Iterable[PlannedMember],
    *,
    batch_size: int = 2000,
    dues_months: int = 0,
    rating_years: int = 0,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert the plans as consistent rows (member, events, expulsions' discipline; optionally
    the last `dues_months` months of dues and `rating_years` years of ratings). Returns the
    number of members. Each batch is its own transaction."""
    from .selectors_dues import RuleBook

    rng = random.Random(seed)  # noqa: S311 (synthetic data)
    now = clock.now()
    today = clock.today()
    book = RuleBook() if dues_months else None
    months: list[dt.date] = []
    if dues_months:
        month = dues.first_of_month(today)
        for _ in range(dues_months):
            month = dues.first_of_month(month - dt.timedelta(days=1))
            months.append(month)
    done = 0
    batch: list[PlannedMember] = []

    def flush() -> None:
        nonlocal done
        if not batch:
            return
        members: list[Member] = []
        events: list[MemberEvent] = []
        disciplines: list[Discipline] = []
        for plan in batch:
            member, rows, discipline = _rows(plan, now)
            members.append(member)
            events.extend(rows)
            if discipline is not None:
                disciplines.append(discipline)
        payments = _payments(members, months, book, rng, now) if book else []
        ratings = _ratings(members, rating_years, today, rng, now)
        with transaction.atomic():
            Member.objects.bulk_create(members, batch_size=batch_size)
            MemberEvent.objects.bulk_create(events, batch_size=batch_size)
            Discipline.objects.bulk_create(disciplines, batch_size=batch_size)
            DuesPayment.objects.bulk_create(payments, batch_size=batch_size)
            AnnualRating.objects.bulk_create(ratings, batch_size=batch_size)
        done += len(batch)
        batch.clear()
        if progress is not None:
            progress(done)

    for plan in plans:
        batch.append(plan)
        if len(batch) >= batch_size:
            flush()
    flush()
    return done


def _payments(
    members: list[Member], months: list[dt.date], book: Any, rng: random.Random, now: dt.datetime
) -> list[DuesPayment]:
    payments = []
    for member in members:
        if member.status not in MEMBER_STATUSES or member.admitted_on is None:
            continue
        behind = rng.random() < 0.04  # a few fall 3+ months behind
        for index, month in enumerate(months):
            if member.admitted_on > dues.last_of_month(month):
                continue
            if behind and index < 4:
                continue
            if rng.random() < 0.03:
                continue
            amount = book.expected(member, month)
            if not amount:
                continue
            payments.append(
                DuesPayment(
                    id=uuid7(),
                    created_at=now,
                    updated_at=now,
                    member_id=member.pk,
                    period=month,
                    amount=amount,
                    unit_id=member.unit_id,
                    recorded_at=now,
                )
            )
    return payments


RATING_WEIGHTS = {
    Rating.EXCELLENT: 15,
    Rating.GOOD: 70,
    Rating.COMPLETED: 13,
    Rating.NOT_COMPLETED: 2,
}


def _ratings(
    members: list[Member], years: int, today: dt.date, rng: random.Random, now: dt.datetime
) -> list[AnnualRating]:
    ratings = []
    for member in members:
        if member.status not in MEMBER_STATUSES or member.admitted_on is None:
            continue
        for year in range(today.year - years, today.year):
            if member.admitted_on.year <= year:
                ratings.append(
                    AnnualRating(
                        id=uuid7(),
                        created_at=now,
                        updated_at=now,
                        member_id=member.pk,
                        year=year,
                        rating=_weighted(rng, RATING_WEIGHTS),
                        unit_id=member.unit_id,
                        decided_on=D(year, 12, 20),
                    )
                )
    return ratings


def party_cells(root: Unit | None = None) -> list[Unit]:
    """The active cells of the tree (under `root` when given), in tree order."""
    cells = Unit.objects.filter(kind=UnitKind.CELL, active=True).order_by("path")
    if root is not None:
        cells = cells.filter(path__startswith=root.path)
    return list(cells)


def check_sample(members: Iterable[Member]) -> list[str]:
    """Problems found replaying the events of `members` with `lifecycle.derive` and comparing
    with their cached columns (empty when consistent)."""
    problems = []
    for member in members:
        facts = [
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
            for e in MemberEvent.objects.filter(member=member).order_by("effective_on", "sequence")
        ]
        standing = lifecycle.derive(
            facts, initial_unit_id=member.registered_unit_id, birth_date=member.birth_date
        )
        expected = {
            "status": standing.status,
            "unit_id": standing.unit_id,
            "exempted": standing.exempted,
            "admitted_on": standing.admitted_on,
            "official_on": standing.official_on,
            "party_age_from": standing.party_age_from,
            "probation_ends_on": standing.probation_ends_on,
            "pending_transfer_id": standing.pending_transfer.ref
            if standing.pending_transfer
            else None,
        }
        for name, value in expected.items():
            if getattr(member, name) != value:
                problems.append(f"{member.pk} {name}: {getattr(member, name)!r} != {value!r}")
    return problems


__all__ = [
    "CellInfo",
    "PlannedEvent",
    "PlannedMember",
    "bulk_insert",
    "cell_infos",
    "check_sample",
    "create_with_services",
    "party_cells",
    "plan_members",
]
