"""Statutory reports of the Party member registry (DOMAIN.md §5: BC01 organizations, BC21
probation, BC22–BC34 movements **[unverified codes]**), for any unit (with everything below it)
and any date, as data, PDF or XLSX.

Public API (the pages link to these):

* `statutory_report(*, user, unit, as_of=None, period_from=None, period_to=None, only=None)
  -> Report` — every table (or the keys in `only`, see `REPORTS`), counted in the database;
* `report_table(*, user, unit, key, as_of=None, period_from=None, period_to=None) -> Table` —
  one table (what the benchmark times one by one);
* `report_export(*, user, unit, fmt, as_of=None, period_from=None, period_to=None, only=None)
  -> Export` — the report as PDF or XLSX bytes, watermarked with who exported it and when, and
  an audit event `members.report_exported` written in the same (durable) transaction;
  `report_pdf(...)` / `report_xlsx(...)` are the same with the format fixed;
* `may_view_reports(user, unit)`, `may_view_due_list(user, unit)`, `reportable_units(user)`.

Access: `members.reports` (leaders) or `members.manage` (records officers) on the unit. Every
table is an aggregate — counts, never a name or a sensitive value. The one list of persons, the
probationary members due for recognition (BC21), is filled only for a user with
`members.manage` on the unit, and it shows name, year of birth, unit and dates: nothing sealed.

How the counts are made (docs/members.md, "Reports"): one SQL statement per table, grouped in
the database. Each starts from a *state* relation — one row per Party member (probationary or
official) on the report date with the unit where they are counted, whether they are official,
exempted or active elsewhere, their last admission and the date their Party age counts from:

* for today (`as_of` = today) it is read from the cached columns of `Member`, which are exactly
  `lifecycle.derive` over all the events (the services write them with every event, and no
  event may take effect in the future);
* for a past date it is derived from the events themselves in SQL — for each member, the
  latest event of each class on or before the date, by (effective date, recording order) — the
  rules of `lifecycle.derive(..., as_of=date)` restated as aggregates (the tests compare the two
  member by member). A transfer counts when it has been confirmed (at any time), as in
  `derive`.

Movements over a period count `MemberEvent` rows by kind and effective date, each placed in
the unit the member belonged to when it took effect (a transfer's own `from_unit` / `to_unit`).
The profile dimensions (gender, birth, ethnicity, religion, education, theory) are the record's
current values: they are not historized. The tree is today's: a unit moved elsewhere counts
where it is now.
"""

# SQL text here is assembled from constants of this module only (kinds, column names);
# every value is a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.orgs.models import Unit, UnitKind

from .choices import (
    AcademicTitle,
    Degree,
    Ethnicity,
    EventKind,
    Religion,
    Status,
    TheoryLevel,
)
from .lifecycle import PROBATION_MONTHS, add_months

# --- Public data shapes ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSpec:
    key: str
    code: str  # DOMAIN.md §5's report code, "" when it gives none
    title: Promise | str


@dataclass(frozen=True)
class Row:
    """One line of a table: `key` is stable (tests, exports), `label` translated, `level` 1 for
    an "of which" line under the one before, `values` one count per column."""

    key: str
    label: str
    values: tuple[int, ...]
    level: int = 0


@dataclass(frozen=True)
class Table:
    key: str
    code: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""

    def value(self, row_key: str, column: int = 0) -> int:
        """The count of row `row_key` (0 when the row is absent: nobody in it)."""
        for row in self.rows:
            if row.key == row_key:
                return row.values[column]
        return 0

    def as_dict(self, column: int = 0) -> dict[str, int]:
        return {row.key: row.values[column] for row in self.rows}


@dataclass(frozen=True)
class DueMember:
    """A probationary member due for recognition (BC21 list; `members.manage` only)."""

    member_id: Any
    full_name: str
    birth_year: int
    unit_name: str
    admitted_on: dt.date
    probation_ends_on: dt.date
    overdue: bool


@dataclass(frozen=True)
class Report:
    unit_id: Any
    unit_code: str
    unit_name: str
    as_of: dt.date
    period_from: dt.date
    period_to: dt.date
    from_events: bool  # True when derived from the event history (a past date)
    tables: tuple[Table, ...]
    # None when the user may not see names (no `members.manage` on the unit).
    due_list: tuple[DueMember, ...] | None
    generated_at: dt.datetime
    generated_by: str

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str
    watermark: str


# The statutory report set, in printing order.
REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec("organizations", "BC01", _("Party organizations")),
    ReportSpec("overview", "", _("Party members: overview")),
    ReportSpec("age", "", _("Party members by age")),
    ReportSpec("gender", "", _("Party members by gender")),
    ReportSpec("ethnicity", "", _("Party members by ethnicity")),
    ReportSpec("religion", "", _("Party members by religion")),
    ReportSpec("education", "", _("Party members by education")),
    ReportSpec("theory", "", _("Party members by political theory level")),
    ReportSpec("seniority", "", _("Party members by Party age")),
    ReportSpec("movements", "BC22–BC34", _("Movements of Party members over the period")),
    ReportSpec("probation", "BC21", _("Probationary members and recognition due")),
)
REPORT_KEYS = tuple(spec.key for spec in REPORTS)
_SPECS = {spec.key: spec for spec in REPORTS}

# Probation ending within this many days of the report date is "due for recognition".
DUE_WITHIN_DAYS = 30

CODES_NOTE = _("Report codes after the usual statutory report family [unverified].")

# --- Access ---------------------------------------------------------------------------------


def may_view_reports(user: Any, unit: Unit) -> bool:
    return policy.can(user, Action.MEMBERS_REPORTS, unit) or policy.can(
        user, Action.MEMBERS_MANAGE, unit
    )


def may_view_due_list(user: Any, unit: Unit) -> bool:
    """Names of probationary members: records officers (`members.manage`) of the unit only."""
    return policy.can(user, Action.MEMBERS_MANAGE, unit)


def reportable_units(user: Any) -> QuerySet[Unit]:
    """The units the user may report on (members.reports or members.manage), by tree order."""
    condition = policy.unit_scope(user, Action.MEMBERS_REPORTS) | policy.unit_scope(
        user, Action.MEMBERS_MANAGE
    )
    return Unit.objects.filter(condition).order_by("path")


def _require(user: Any, unit: Unit) -> None:
    if not may_view_reports(user, unit):
        raise PermissionDenied(_("You do not have permission to do this here."))


# --- Parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Params:
    unit: Unit
    as_of: dt.date
    period_from: dt.date
    period_to: dt.date
    from_events: bool


def _params(
    unit: Unit,
    as_of: dt.date | None,
    period_from: dt.date | None,
    period_to: dt.date | None,
    *,
    force_events: bool = False,
) -> _Params:
    today = clock.today()
    as_of = as_of or today
    errors: dict[str, list[Any]] = {}
    if as_of > today:
        errors["as_of"] = [_("The report date is in the future.")]
    if period_to is None:
        period_to = as_of
    if period_from is None:
        period_from = dt.date(period_to.year, 1, 1)
    if period_from > period_to:
        errors["period_to"] = [_("The end of the period is before its start.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, field_errors=errors)
    # The cached columns are derive() over *all* events: the state of today, never of the past.
    return _Params(unit, as_of, period_from, period_to, force_events or as_of < today)


# --- SQL, portable between PostgreSQL and SQLite --------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _order_key(alias: str) -> str:
    """An integer that orders a member's events as `lifecycle.ordered` does."""
    if _pg():
        return f"(({alias}.effective_on - DATE '1800-01-01')::bigint * 1000000 + {alias}.sequence)"
    return (
        f"(CAST(julianday({alias}.effective_on) - 2378496.5 AS INTEGER) * 1000000"
        f" + {alias}.sequence)"
    )


def _unit_key(alias: str) -> str:
    """Order key as fixed-width text followed by the event's `to_unit_id`: its MAX carries the
    unit of the latest event (characters 17 on)."""
    if _pg():
        return (
            f"(to_char({alias}.effective_on, 'YYYYMMDD') || lpad({alias}.sequence::text, 8, '0')"
            f' || {alias}.to_unit_id::text) COLLATE "C"'
        )
    return (
        f"(replace({alias}.effective_on, '-', '') || printf('%%08d', {alias}.sequence)"
        f" || {alias}.to_unit_id)"
    )


def _unit_from_key(expr: str) -> str:
    return f"CAST(substr({expr}, 17) AS uuid)" if _pg() else f"substr({expr}, 17)"


def _days_between(later: str, earlier: str) -> str:
    if _pg():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _add_days(day: str, days: str) -> str:
    if _pg():
        return f"({day} + CAST({days} AS integer))"
    return f"date({day}, '+' || ({days}) || ' days')"


def _kinds(kinds: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{k!s}'" for k in kinds) + ")"


_ENTER = (EventKind.ADMISSION, EventKind.READMISSION, EventKind.RESTORATION, EventKind.TRANSFER_IN)
_EXITS = (EventKind.LEAVING, EventKind.REMOVAL, EventKind.EXPULSION, EventKind.DEATH)
# Events after which a person is not a Party member of the node (with a confirmed TRANSFER_OUT).
_LIFE = (*_ENTER, *_EXITS, EventKind.CANDIDATE)
_ADMISSIONS = (EventKind.ADMISSION, EventKind.READMISSION)
# Events that end an exemption or a temporary activity elsewhere (lifecycle._clear_activity).
_CLEARING = _EXITS
# Events that put the member in their `to_unit` (transfers only once confirmed).
_UNIT_SETTING = (
    EventKind.CANDIDATE,
    EventKind.ADMISSION,
    EventKind.READMISSION,
    EventKind.TRANSFER_IN,
    EventKind.UNIT_REORGANIZED,
    EventKind.RESTORATION,
)
_INTERNAL = (EventKind.TRANSFER_OFFICIAL, EventKind.TRANSFER_WITHIN)


def _unit_setting(alias: str) -> str:
    return (
        f"({alias}.to_unit_id IS NOT NULL AND ({alias}.kind IN {_kinds(_UNIT_SETTING)}"
        f" OR ({alias}.kind IN {_kinds(_INTERNAL)} AND {alias}.confirmed_at IS NOT NULL)))"
    )


def _life_event(alias: str) -> str:
    return (
        f"({alias}.kind IN {_kinds(_LIFE)} OR ({alias}.kind = '{EventKind.TRANSFER_OUT}'"
        f" AND {alias}.confirmed_at IS NOT NULL))"
    )


_DIMENSIONS = (
    "m.gender, m.birth_date, m.ethnicity, m.religion, m.general_education, m.degree,"
    " m.academic_title, m.political_theory"
)


def _state_cached() -> str:
    """The state relation from the cached columns (today)."""
    return f"""
SELECT m.id AS member_id, m.unit_id AS unit_id,
       CASE WHEN m.status = '{Status.OFFICIAL}' THEN 1 ELSE 0 END AS official,
       m.admitted_on AS admitted_on, m.party_age_from AS party_age_from,
       CASE WHEN m.exempted THEN 1 ELSE 0 END AS exempted,
       CASE WHEN m.temporary_unit_id IS NOT NULL OR m.temporary_external <> '' THEN 1 ELSE 0
       END AS temporary,
       {_DIMENSIONS}
FROM members_member m
WHERE m.status IN ('{Status.PROBATIONARY}', '{Status.OFFICIAL}')"""


def _state_events() -> str:
    """The state relation derived from the events effective on or before %(as_of)s — the rules
    of lifecycle.derive as aggregates over each member's events:

    * a Party member: the latest "life" event (admission, re-admission, restoration, transfer
      in; leaving, removal, expulsion, death, candidacy, a confirmed transfer out) enters;
    * official: an OFFICIAL event after the latest (re-)admission (a restoration or a return
      brings back the status before the exit, which the same rule gives);
    * unit: the `to_unit` of the latest unit-setting event (admissions, candidacy, returns,
      restorations with a unit, reorganizations, confirmed internal transfers), else the unit the
      record was opened in;
    * exempted / active elsewhere: the latest of exemption (temporary transfer, confirmed) and
      the events that end it is the exemption (the transfer);
    * Party age: from the first admission, later by each re-admission's time outside (since the
      latest exit before it).
    """
    k = _order_key("e")
    temp = f"e.kind = '{EventKind.TRANSFER_TEMPORARY}' AND e.confirmed_at IS NOT NULL"
    temp_clearing = (
        f"e.kind IN {_kinds((*_CLEARING, EventKind.TEMPORARY_END))}"
        f" OR ({temp})"
        f" OR (e.kind IN {_kinds((*_INTERNAL, EventKind.TRANSFER_OUT))}"
        f" AND e.confirmed_at IS NOT NULL)"
    )
    exempt_clearing = (
        f"e.kind IN {_kinds((*_CLEARING, EventKind.EXEMPTION, EventKind.EXEMPTION_END))}"
        f" OR (e.kind = '{EventKind.TRANSFER_OUT}' AND e.confirmed_at IS NOT NULL)"
    )
    previous_exit = (
        "(SELECT MAX(x.effective_on) FROM members_memberevent x"
        f" WHERE x.member_id = r.member_id AND x.kind IN {_kinds(_EXITS)}"
        " AND (x.effective_on, x.sequence) < (r.effective_on, r.sequence))"
    )
    return f"""
SELECT a.member_id AS member_id,
       COALESCE({_unit_from_key("a.k_unit")}, m.registered_unit_id) AS unit_id,
       CASE WHEN a.k_off IS NOT NULL AND a.k_off > a.k_adm THEN 1 ELSE 0 END AS official,
       a.last_adm_on AS admitted_on,
       {_add_days("a.first_adm_on", "COALESCE(g.gap, 0)")} AS party_age_from,
       CASE WHEN a.k_ex IS NOT NULL AND a.k_ex = a.k_exset THEN 1 ELSE 0 END AS exempted,
       CASE WHEN a.k_tmp IS NOT NULL AND a.k_tmp = a.k_tmpset THEN 1 ELSE 0 END AS temporary,
       {_DIMENSIONS}
FROM (
    SELECT e.member_id,
           MAX(CASE WHEN {_life_event("e")} THEN {k} END) AS k_life,
           MAX(CASE WHEN e.kind IN {_kinds(_ENTER)} THEN {k} END) AS k_enter,
           MAX(CASE WHEN e.kind IN {_kinds(_ADMISSIONS)} THEN {k} END) AS k_adm,
           MAX(CASE WHEN e.kind IN {_kinds(_ADMISSIONS)} THEN e.effective_on END) AS last_adm_on,
           MIN(CASE WHEN e.kind = '{EventKind.ADMISSION}' THEN e.effective_on END)
               AS first_adm_on,
           MAX(CASE WHEN e.kind = '{EventKind.OFFICIAL}' THEN {k} END) AS k_off,
           MAX(CASE WHEN {exempt_clearing} THEN {k} END) AS k_exset,
           MAX(CASE WHEN e.kind = '{EventKind.EXEMPTION}' THEN {k} END) AS k_ex,
           MAX(CASE WHEN {temp_clearing} THEN {k} END) AS k_tmpset,
           MAX(CASE WHEN {temp} THEN {k} END) AS k_tmp,
           MAX(CASE WHEN {_unit_setting("e")} THEN {_unit_key("e")} END) AS k_unit
    FROM members_memberevent e
    WHERE e.effective_on <= %(as_of)s
    GROUP BY e.member_id
) a
JOIN members_member m ON m.id = a.member_id
LEFT JOIN (
    SELECT r.member_id, SUM({_days_between("r.effective_on", previous_exit)}) AS gap
    FROM members_memberevent r
    WHERE r.kind = '{EventKind.READMISSION}' AND r.effective_on <= %(as_of)s
    GROUP BY r.member_id
) g ON g.member_id = a.member_id
WHERE a.k_enter IS NOT NULL AND a.k_enter = a.k_life"""


def _subtree() -> str:
    return "(SELECT su.id FROM orgs_unit su WHERE su.path LIKE %(subtree)s)"


def _with_state(p: _Params, *, materialized: bool = False) -> str:
    """`WITH st AS (…)`; `materialized` (PostgreSQL) computes the state once before a selective
    filter, which the planner would otherwise push into the derivation with a poor plan."""
    state = _state_events() if p.from_events else _state_cached()
    keyword = "MATERIALIZED " if materialized and p.from_events and _pg() else ""
    return f"WITH st AS {keyword}({state})\n"


def _sql_params(p: _Params, **extra: Any) -> dict[str, Any]:
    return {"as_of": p.as_of, "subtree": p.unit.path + "%", **extra}


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        if not _pg():
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        # PostgreSQL's JIT compiler takes these statements (large estimated costs over the
        # event table) for long analytic queries and spends seconds compiling what runs in a
        # fraction of that: off for the statement, then back to what it was.
        cursor.execute("SELECT current_setting('jit')")
        previous = cursor.fetchone()[0]
        cursor.execute("SET jit = off")
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.execute("SELECT set_config('jit', %s, false)", [previous])


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def years_back(day: dt.date, years: int) -> dt.date:
    """The latest date `start` with `lifecycle.years_between(start, day) >= years`."""
    year = day.year - years
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return dt.date(year, 2, 28)


def admitted_by_for_probation_end(day: dt.date) -> dt.date:
    """The latest admission date whose probation (12 months) ends on or before `day`."""
    candidate = add_months(day, -PROBATION_MONTHS)
    while add_months(candidate + dt.timedelta(days=1), PROBATION_MONTHS) <= day:
        candidate += dt.timedelta(days=1)
    return candidate


# --- The tables -----------------------------------------------------------------------------

_COLUMNS_SPLIT = (
    pgettext_lazy("report column", "Total"),
    pgettext_lazy("report column", "Probationary"),
    pgettext_lazy("report column", "Official"),
)
_COUNTS = (
    "COUNT(*), SUM(CASE WHEN st.official = 1 THEN 0 ELSE 1 END),"
    " SUM(CASE WHEN st.official = 1 THEN 1 ELSE 0 END)"
)


def _grouped(p: _Params, expression: str, **params: Any) -> dict[Any, tuple[int, int, int]]:
    """{group: (total, probationary, official)} of the members in the subtree."""
    sql = (
        _with_state(p)
        + f"SELECT {expression} AS grp, {_COUNTS} FROM st"
        + f" WHERE st.unit_id IN {_subtree()} GROUP BY {expression}"
    )
    return {
        row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0))
        for row in _fetch(sql, _sql_params(p, **params))
    }


def _sum(groups: Iterable[tuple[int, int, int]]) -> tuple[int, int, int]:
    total = [0, 0, 0]
    for values in groups:
        for i in range(3):
            total[i] += values[i]
    return (total[0], total[1], total[2])


_ZERO = (0, 0, 0)


def _table(key: str, columns: Sequence[Any], rows: Iterable[Row], note: Any = "") -> Table:
    spec = _SPECS[key]
    return Table(
        key=key,
        code=spec.code,
        title=str(spec.title),
        columns=tuple(str(c) for c in columns),
        rows=tuple(rows),
        note=str(note),
    )


def _band_case(column: str, bounds: Sequence[int], name: str) -> str:
    """CASE giving the index of the band of `column` (a start date): band i holds
    bounds[i-1] <= whole years since the date < bounds[i]; `_band_params` gives the dates."""
    parts = [f"WHEN {column} > %({name}{i})s THEN {i}" for i in range(len(bounds))]
    return f"(CASE {' '.join(parts)} ELSE {len(bounds)} END)"


def _band_params(as_of: dt.date, bounds: Sequence[int], name: str) -> dict[str, dt.date]:
    return {f"{name}{i}": years_back(as_of, bound) for i, bound in enumerate(bounds)}


# Age bands: up to 30, 31–40, 41–50, 51–60, 61–70, over 70 (the upper bound is exclusive in
# whole years: "up to 30" = fewer than 31 years).
AGE_BOUNDS = (31, 41, 51, 61, 71)
AGE_LABELS = (
    _("Up to 30"),
    _("31 to 40"),
    _("41 to 50"),
    _("51 to 60"),
    _("61 to 70"),
    _("Over 70"),
)
# Party age bands (years since `party_age_from`): < 10, 10–<20, 20–<30, 30–<40, 40–<50,
# 50–<60, 60 and more (the badges start at 30 years).
SENIORITY_BOUNDS = (10, 20, 30, 40, 50, 60)
SENIORITY_LABELS = (
    _("Under 10 years"),
    _("10 to under 20 years"),
    _("20 to under 30 years"),
    _("30 to under 40 years"),
    _("40 to under 50 years"),
    _("50 to under 60 years"),
    _("60 years and more"),
)


def _banded(
    p: _Params, key: str, column: str, bounds: Sequence[int], labels: Sequence[Any]
) -> Table:
    case = _band_case(column, bounds, "b")
    groups = _grouped(p, case, **_band_params(p.as_of, bounds, "b"))
    rows = [Row("total", _g("Total"), _sum(groups.values()))]
    rows += [
        Row(f"band_{i}", str(label), groups.get(i, _ZERO), level=1)
        for i, label in enumerate(labels)
    ]
    return _table(key, _COLUMNS_SPLIT, rows)


def _age(p: _Params) -> Table:
    return _banded(p, "age", "st.birth_date", AGE_BOUNDS, AGE_LABELS)


def _seniority(p: _Params) -> Table:
    return _banded(p, "seniority", "st.party_age_from", SENIORITY_BOUNDS, SENIORITY_LABELS)


def _gender(p: _Params) -> Table:
    from .choices import Gender

    groups = _grouped(p, "st.gender")
    rows = [Row("total", _g("Total"), _sum(groups.values()))]
    rows += [Row(g.value, str(g.label), groups.get(g.value, _ZERO), level=1) for g in Gender]
    return _table("gender", _COLUMNS_SPLIT, rows)


def _ethnicity(p: _Params) -> Table:
    groups = _grouped(p, "st.ethnicity")
    minorities = {
        code: v for code, v in groups.items() if code not in (Ethnicity.KINH, Ethnicity.OTHER)
    }
    rows = [
        Row("total", _g("Total"), _sum(groups.values())),
        Row(Ethnicity.KINH.value, "Kinh", groups.get(Ethnicity.KINH.value, _ZERO), level=1),
        Row("minorities", _g("Ethnic minorities"), _sum(minorities.values()), level=1),
    ]
    # Every minority group present, in the GSO order, under the minorities line.
    for choice in Ethnicity:
        if choice.value in minorities:
            rows.append(Row(choice.value, str(choice.label), minorities[choice.value], level=2))
    if Ethnicity.OTHER.value in groups:
        rows.append(
            Row(Ethnicity.OTHER.value, _g("Other or foreign origin"), groups["99"], level=1)
        )
    return _table("ethnicity", _COLUMNS_SPLIT, rows)


def _religion(p: _Params) -> Table:
    groups = _grouped(p, "st.religion")
    believers = {code: v for code, v in groups.items() if code != Religion.NONE}
    rows = [
        Row("total", _g("Total"), _sum(groups.values())),
        Row(Religion.NONE.value, _g("No religion"), groups.get("none", _ZERO), level=1),
        Row("religious", _g("With a religion"), _sum(believers.values()), level=1),
    ]
    for choice in Religion:
        if choice.value in believers:
            rows.append(Row(choice.value, str(choice.label), believers[choice.value], level=2))
    return _table("religion", _COLUMNS_SPLIT, rows)


GENERAL_LEVELS = (
    ("primary", _("Primary")),
    ("lower_secondary", _("Lower secondary")),
    ("upper_secondary", _("Upper secondary")),
    ("unknown", _("Not recorded")),
)


def general_level(general_education: str | None) -> str:
    """ "12/12" → upper secondary; the 10-year system: 1–4 primary, 5–7 lower, 8–10 upper; the
    12-year system: 1–5, 6–9, 10–12."""
    text = (general_education or "").strip()
    try:
        grade_text, system_text = text.split("/")
        grade, system = int(grade_text), int(system_text)
    except ValueError:
        return "unknown"
    primary, lower = (4, 7) if system == 10 else (5, 9)
    if grade <= 0:
        return "unknown"
    if grade <= primary:
        return "primary"
    if grade <= lower:
        return "lower_secondary"
    return "upper_secondary"


def _education(p: _Params) -> Table:
    sql = (
        _with_state(p)
        + f"SELECT st.general_education, st.degree, st.academic_title, {_COUNTS} FROM st"
        + f" WHERE st.unit_id IN {_subtree()}"
        + " GROUP BY st.general_education, st.degree, st.academic_title"
    )
    general: dict[str, list[tuple[int, int, int]]] = {}
    degree: dict[str, list[tuple[int, int, int]]] = {}
    title: dict[str, list[tuple[int, int, int]]] = {}
    every = []
    for ge, dg, tt, total, prob, off in _fetch(sql, _sql_params(p)):
        values = (int(total), int(prob or 0), int(off or 0))
        every.append(values)
        general.setdefault(general_level(ge), []).append(values)
        degree.setdefault(dg, []).append(values)
        title.setdefault(tt, []).append(values)
    rows = [Row("total", _g("Total"), _sum(every))]
    rows.append(Row("general", _g("General education"), _ZERO))
    rows += [
        Row(f"general_{k}", str(label), _sum(general.get(k, [])), level=1)
        for k, label in GENERAL_LEVELS
    ]
    rows.append(Row("professional", _g("Professional qualification"), _ZERO))
    rows += [
        Row(f"degree_{d.value}", str(d.label), _sum(degree.get(d.value, [])), level=1)
        for d in Degree
    ]
    rows.append(Row("title", _g("Academic title"), _ZERO))
    rows += [
        Row(f"title_{t.value}", str(t.label), _sum(title.get(t.value, [])), level=1)
        for t in AcademicTitle
        if t != AcademicTitle.NONE
    ]
    return _table("education", _COLUMNS_SPLIT, rows)


def _theory(p: _Params) -> Table:
    groups = _grouped(p, "st.political_theory")
    rows = [Row("total", _g("Total"), _sum(groups.values()))]
    rows += [Row(t.value, str(t.label), groups.get(t.value, _ZERO), level=1) for t in TheoryLevel]
    return _table("theory", _COLUMNS_SPLIT, rows)


def _overview(p: _Params) -> Table:
    kinh, none = Ethnicity.KINH.value, Religion.NONE.value
    due_by = admitted_by_for_probation_end(p.as_of + dt.timedelta(days=DUE_WITHIN_DAYS))
    sql = (
        _with_state(p) + "SELECT COUNT(*),"
        " SUM(CASE WHEN st.official = 1 THEN 0 ELSE 1 END),"
        " SUM(CASE WHEN st.official = 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN st.gender = 'female' THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN st.ethnicity NOT IN ('{kinh}', '99') THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN st.religion <> '{none}' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN st.exempted = 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN st.temporary = 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN st.official = 0 AND st.admitted_on <= %(due_by)s THEN 1 ELSE 0 END)"
        f" FROM st WHERE st.unit_id IN {_subtree()}"
    )
    values = [int(v or 0) for v in _fetch(sql, _sql_params(p, due_by=due_by))[0]]
    labels = (
        ("total", _g("Party members"), 0),
        ("probationary", _g("Probationary members"), 1),
        ("official", _g("Official members"), 1),
        ("female", _g("Women"), 1),
        ("minorities", _g("Ethnic minorities"), 1),
        ("religious", _g("With a religion"), 1),
        ("exempted", _g("Exempted from activities"), 1),
        ("temporary", _g("Active elsewhere temporarily"), 1),
        ("due", _g("Probationary members due for recognition"), 1),
    )
    rows = [Row(k, label, (values[i],), level) for i, (k, label, level) in enumerate(labels)]
    return _table("overview", (pgettext_lazy("report column", "Number"),), rows)


def _probation(p: _Params) -> Table:
    due_by = admitted_by_for_probation_end(p.as_of + dt.timedelta(days=DUE_WITHIN_DAYS))
    overdue_by = admitted_by_for_probation_end(p.as_of - dt.timedelta(days=1))
    sql = (
        _with_state(p) + "SELECT SUM(CASE WHEN st.official = 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN st.official = 0 AND st.admitted_on <= %(due_by)s THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN st.official = 0 AND st.admitted_on <= %(overdue_by)s THEN 1 ELSE 0 END)"
        f" FROM st WHERE st.unit_id IN {_subtree()}"
    )
    if not p.from_events:
        # Today the probationary are found by the (status, probation end) index. From events
        # they are counted by condition instead: a filter on `official` would reach into the
        # derivation and mislead the planner.
        sql += " AND st.official = 0"
    total, due, overdue = (
        int(v or 0) for v in _fetch(sql, _sql_params(p, due_by=due_by, overdue_by=overdue_by))[0]
    )
    rows = [
        Row("probationary", _g("Probationary members"), (total,)),
        Row(
            "due",
            _g("Probation ending within %(days)d days or ended") % {"days": DUE_WITHIN_DAYS},
            (due,),
            level=1,
        ),
        Row("overdue", _g("Probation ended, not yet recognized"), (overdue,), level=2),
    ]
    return _table("probation", (pgettext_lazy("report column", "Number"),), rows)


# Organizations: committees by kind; cells directly under an upper-level committee are
# grassroots cells (chi bộ cơ sở), the others belong to a grassroots committee (chi bộ trực
# thuộc), counted by the kind of that committee.
_GRASSROOTS_COMMITTEES = (
    UnitKind.COMMUNE_COMMITTEE,
    UnitKind.WARD_COMMITTEE,
    UnitKind.GRASSROOTS_COMMITTEE,
)
_PARTY_BODIES = (
    UnitKind.PROVINCIAL_COMMITTEE,
    UnitKind.AGENCY_COMMITTEE,
    *_GRASSROOTS_COMMITTEES,
    UnitKind.CELL,
)


def _organization_row_key(kind: str, parent_kind: str | None) -> str:
    if kind == UnitKind.CELL:
        if parent_kind in _GRASSROOTS_COMMITTEES:
            return f"cell_under_{parent_kind}"
        return "cell_grassroots"
    if kind in _PARTY_BODIES:
        return kind
    return "other"


def _organizations(p: _Params) -> Table:
    steplen = Unit.steplen
    validity = (
        "(u.valid_from IS NULL OR u.valid_from <= %(as_of)s)"
        " AND (u.valid_to IS NULL OR u.valid_to > %(as_of)s)"
    )
    if not p.from_events:
        validity += " AND u.active"
    sql = (
        _with_state(p)
        + ", counts AS (SELECT st.unit_id, COUNT(*) AS n FROM st"
        + f" WHERE st.unit_id IN {_subtree()} GROUP BY st.unit_id)\n"
        + "SELECT u.kind, pu.kind, COUNT(*),"
        " SUM(CASE WHEN c.n > 0 THEN 1 ELSE 0 END), SUM(COALESCE(c.n, 0))"
        " FROM orgs_unit u"
        f" LEFT JOIN orgs_unit pu ON pu.path = substr(u.path, 1, length(u.path) - {steplen})"
        " LEFT JOIN counts c ON c.unit_id = u.id"
        f" WHERE u.path LIKE %(subtree)s AND (({validity}) OR c.n > 0)"
        " GROUP BY u.kind, pu.kind"
    )
    found: dict[str, list[int]] = {}
    for kind, parent_kind, units, with_members, members in _fetch(sql, _sql_params(p)):
        key = _organization_row_key(kind, parent_kind)
        acc = found.setdefault(key, [0, 0, 0])
        acc[0] += int(units)
        acc[1] += int(with_members or 0)
        acc[2] += int(members or 0)

    def values(*keys: str) -> tuple[int, int, int]:
        acc = [0, 0, 0]
        for key in keys:
            for i, v in enumerate(found.get(key, (0, 0, 0))):
                acc[i] += v
        return (acc[0], acc[1], acc[2])

    under = [f"cell_under_{k}" for k in _GRASSROOTS_COMMITTEES]
    grassroots_keys = [str(k) for k in _GRASSROOTS_COMMITTEES]
    rows = [
        Row(
            "provincial_committee",
            str(UnitKind.PROVINCIAL_COMMITTEE.label),
            values("provincial_committee"),
        ),
        Row(
            "agency_committee",
            _g("Upper-level committees of agencies and sectors"),
            values("agency_committee"),
        ),
        Row(
            "grassroots",
            _g("Grassroots Party organizations"),
            values(*grassroots_keys, "cell_grassroots"),
        ),
        Row(
            "grassroots_committees",
            _g("Grassroots Party committees"),
            values(*grassroots_keys),
            level=1,
        ),
    ]
    rows += [Row(str(k), str(k.label), values(str(k)), level=2) for k in _GRASSROOTS_COMMITTEES]
    rows += [
        Row(
            "cell_grassroots",
            _g("Grassroots Party cells (chi bộ cơ sở)"),
            values("cell_grassroots"),
            level=1,
        ),
        Row(
            "cells_under",
            _g("Cells under a grassroots committee (chi bộ trực thuộc)"),
            values(*under),
        ),
    ]
    rows += [
        Row(
            f"cell_under_{k}",
            _g("under: %(kind)s") % {"kind": k.label},
            values(f"cell_under_{k}"),
            level=1,
        )
        for k in _GRASSROOTS_COMMITTEES
    ]
    rows.append(Row("other", _g("Other units (boards, offices…)"), values("other")))
    columns = (
        pgettext_lazy("report column", "Units"),
        pgettext_lazy("report column", "With members"),
        pgettext_lazy("report column", "Members"),
    )
    return _table("organizations", columns, rows)


# Events counted in the unit the member belonged to when they took effect (a transfer has its
# own units; a candidacy or a reorganization is not a movement counted here).
_PLACED_BEFORE = (
    EventKind.ADMISSION,
    EventKind.READMISSION,
    EventKind.RESTORATION,
    EventKind.OFFICIAL,
    EventKind.EXEMPTION,
    EventKind.EXEMPTION_END,
    EventKind.TEMPORARY_END,
    EventKind.TRANSFER_OUT,
    EventKind.TRANSFER_IN,
    EventKind.LEAVING,
    EventKind.REMOVAL,
    EventKind.EXPULSION,
    EventKind.DEATH,
)


def _movements(p: _Params) -> Table:
    """One query: the events of the period grouped by kind, confirmation and where they fall
    relative to the subtree (the member's unit when it took effect, a transfer's from / to)."""
    unit_before = (
        "(SELECT x.to_unit_id FROM members_memberevent x WHERE x.member_id = e.member_id"
        f" AND {_unit_setting('x')}"
        " AND (x.effective_on, x.sequence) < (e.effective_on, e.sequence)"
        " ORDER BY x.effective_on DESC, x.sequence DESC LIMIT 1)"
    )
    life_before = (
        "(SELECT x.kind FROM members_memberevent x WHERE x.member_id = e.member_id"
        f" AND {_life_event('x')}"
        " AND (x.effective_on, x.sequence) < (e.effective_on, e.sequence)"
        " ORDER BY x.effective_on DESC, x.sequence DESC LIMIT 1)"
    )
    sub = _subtree()
    sql = f"""
WITH ev AS (
    SELECT e.kind AS kind,
           CASE WHEN e.confirmed_at IS NOT NULL THEN 1 ELSE 0 END AS confirmed,
           CASE WHEN {_unit_setting("e")} AND e.kind NOT IN {_kinds(_INTERNAL)}
                THEN e.to_unit_id
                WHEN e.kind IN {_kinds(_PLACED_BEFORE)}
                THEN COALESCE({unit_before}, m.registered_unit_id) END AS unit_id,
           e.from_unit_id AS from_unit_id, e.to_unit_id AS to_unit_id,
           CASE WHEN e.kind = '{EventKind.DEATH}' THEN {life_before} END AS before_death
    FROM members_memberevent e JOIN members_member m ON m.id = e.member_id
    WHERE e.effective_on >= %(period_from)s AND e.effective_on <= %(period_to)s
)
SELECT ev.kind, ev.confirmed,
       CASE WHEN ev.unit_id IN {sub} THEN 1 ELSE 0 END,
       CASE WHEN ev.from_unit_id IN {sub} THEN 1 ELSE 0 END,
       CASE WHEN ev.to_unit_id IN {sub} THEN 1 ELSE 0 END,
       CASE WHEN ev.before_death IN {_kinds(_ENTER)} THEN 1 ELSE 0 END,
       COUNT(*)
FROM ev
GROUP BY 1, 2, 3, 4, 5, 6"""
    counts: dict[str, int] = {}

    def add(key: str, n: int) -> None:
        counts[key] = counts.get(key, 0) + n

    params = _sql_params(p, period_from=p.period_from, period_to=p.period_to)
    for kind, confirmed, unit_in, from_in, to_in, member_death, n in _fetch(sql, params):
        n = int(n)
        if kind in _INTERNAL:
            if not confirmed:
                if from_in:
                    add("transfer_pending", n)
            elif from_in and to_in:
                add("transfer_within", n)
            elif to_in:
                add("transfer_in", n)
            elif from_in:
                add("transfer_out", n)
        elif kind == EventKind.TRANSFER_OUT:
            if from_in or (unit_in and not from_in):
                add("transfer_out_node" if confirmed else "transfer_pending", n)
        elif kind == EventKind.TRANSFER_IN:
            if unit_in:
                add("transfer_in_node", n)
        elif kind == EventKind.TRANSFER_TEMPORARY:
            if not confirmed:
                continue
            if from_in and to_in:
                add("temporary_within", n)
            elif from_in:
                add("temporary_out", n)
            elif to_in:
                add("temporary_in", n)
        elif kind == EventKind.DEATH:
            if unit_in and member_death:
                add("death", n)
        elif unit_in:
            add(str(kind), n)
    spec = [
        ("admission", _g("Admissions (BC22)"), 0),
        ("readmission", _g("Re-admissions (BC23)"), 0),
        ("official", _g("Official membership recognized (BC24)"), 0),
        ("restoration", _g("Restorations of membership (BC25)"), 0),
        ("transfers", _g("Official transfers (BC28–BC31)"), 0),
        ("transfer_in", _g("Transferred in from other units of the node"), 1),
        ("transfer_in_node", _g("Transferred in from outside the node"), 1),
        ("transfer_out", _g("Transferred out to other units of the node"), 1),
        ("transfer_out_node", _g("Transferred out of the node"), 1),
        ("transfer_within", _g("Transferred between units of this unit"), 1),
        ("transfer_pending", _g("Transfers awaiting confirmation"), 1),
        ("temporary", _g("Temporary transfers (BC33)"), 0),
        ("temporary_out", _g("Sent to be active elsewhere"), 1),
        ("temporary_in", _g("Received to be active here"), 1),
        ("temporary_within", _g("Between units of this unit"), 1),
        ("temporary_end", _g("Temporary activity ended"), 1),
        ("exemption", _g("Exempted from activities (BC34)"), 0),
        ("exemption_end", _g("Exemptions ended"), 1),
        ("departures", _g("Departures (BC34)"), 0),
        ("leaving", _g("Left the Party"), 1),
        ("removal", _g("Removed from the rolls"), 1),
        ("expulsion", _g("Expelled"), 1),
        ("death", _g("Deaths of Party members (BC34)"), 0),
    ]
    counts["transfers"] = sum(
        counts.get(k, 0)
        for k in (
            "transfer_in",
            "transfer_in_node",
            "transfer_out",
            "transfer_out_node",
            "transfer_within",
        )
    )
    counts["temporary"] = sum(
        counts.get(k, 0) for k in ("temporary_out", "temporary_in", "temporary_within")
    )
    counts["departures"] = sum(counts.get(k, 0) for k in ("leaving", "removal", "expulsion"))
    rows = [Row(key, label, (counts.get(key, 0),), level) for key, label, level in spec]
    note = _g("From %(start)s to %(end)s") % {
        "start": p.period_from.strftime("%d/%m/%Y"),
        "end": p.period_to.strftime("%d/%m/%Y"),
    }
    return _table("movements", (pgettext_lazy("report column", "Number"),), rows, note)


_BUILDERS = {
    "organizations": _organizations,
    "overview": _overview,
    "age": _age,
    "gender": _gender,
    "ethnicity": _ethnicity,
    "religion": _religion,
    "education": _education,
    "theory": _theory,
    "seniority": _seniority,
    "movements": _movements,
    "probation": _probation,
}


def _due_list(p: _Params) -> tuple[DueMember, ...]:
    due_by = admitted_by_for_probation_end(p.as_of + dt.timedelta(days=DUE_WITHIN_DAYS))
    sql = (
        _with_state(p, materialized=True)
        + "SELECT st.member_id, m.full_name, m.birth_date, u.name, st.admitted_on FROM st"
        " JOIN members_member m ON m.id = st.member_id JOIN orgs_unit u ON u.id = st.unit_id"
        f" WHERE st.official = 0 AND st.admitted_on <= %(due_by)s AND st.unit_id IN {_subtree()}"
        " ORDER BY st.admitted_on, m.full_name"
    )
    result = []
    for member_id, name, birth, unit_name, admitted in _fetch(sql, _sql_params(p, due_by=due_by)):
        admitted_on = _as_date(admitted)
        birth_date = _as_date(birth)
        assert admitted_on is not None
        assert birth_date is not None
        ends = add_months(admitted_on, PROBATION_MONTHS)
        result.append(
            DueMember(
                member_id=member_id,
                full_name=name,
                birth_year=birth_date.year,
                unit_name=unit_name,
                admitted_on=admitted_on,
                probation_ends_on=ends,
                overdue=ends < p.as_of,
            )
        )
    return tuple(result)


# --- Public functions -----------------------------------------------------------------------


def _who(user: Any) -> str:
    name = getattr(user, "full_name", "") or ""
    username = getattr(user, "username", "") or ""
    return f"{name} ({username})" if name else username


def report_table(
    *,
    user: Any,
    unit: Unit,
    key: str,
    as_of: dt.date | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> Table:
    """One table of the report set (`key` in `REPORT_KEYS`), checked like the whole report."""
    _require(user, unit)
    if key not in _BUILDERS:
        message = _("Unknown report.")
        raise ValidationFailed(message, field_errors={"key": [message]})
    return _BUILDERS[key](_params(unit, as_of, period_from, period_to))


def statutory_report(
    *,
    user: Any,
    unit: Unit,
    as_of: dt.date | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    only: Collection[str] | None = None,
    _force_events: bool = False,
) -> Report:
    """The statutory report set for `unit` and everything below it, as of `as_of` (default
    today; a past date is derived from the events), with the movements of [period_from,
    period_to] (default: 1 January of the report date's year to the report date).

    Needs `members.reports` or `members.manage` on the unit (PermissionDenied otherwise). The
    due-for-recognition list (names) is filled only with `members.manage`; else `due_list` is
    None. Raises ValidationFailed for a future date, a reversed period or an unknown key."""
    _require(user, unit)
    keys = list(REPORT_KEYS) if not only else [k for k in REPORT_KEYS if k in set(only)]
    unknown = set(only or ()) - set(REPORT_KEYS)
    if unknown:
        message = _("Unknown report.")
        raise ValidationFailed(message, field_errors={"only": [message]})
    p = _params(unit, as_of, period_from, period_to, force_events=_force_events)
    tables = tuple(_BUILDERS[key](p) for key in keys)
    due = _due_list(p) if "probation" in keys and may_view_due_list(user, unit) else None
    return Report(
        unit_id=unit.pk,
        unit_code=unit.code,
        unit_name=unit.name,
        as_of=p.as_of,
        period_from=p.period_from,
        period_to=p.period_to,
        from_events=p.from_events,
        tables=tables,
        due_list=due,
        generated_at=clock.now(),
        generated_by=_who(user),
    )


def watermark_text(user: Any, when: dt.datetime) -> str:
    """ "Exported by Nguyễn Văn A (anv) on 05/03/2026 14:07" — in local time."""
    from django.utils import timezone

    local = timezone.localtime(when)
    return _g("Exported by %(who)s on %(when)s") % {
        "who": _who(user),
        "when": local.strftime("%d/%m/%Y %H:%M"),
    }


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_export(
    *,
    user: Any,
    unit: Unit,
    fmt: str,
    as_of: dt.date | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    only: Collection[str] | None = None,
) -> Export:
    """The report as a PDF or XLSX file, watermarked with who exported it and when (PDF: a line
    on every page; XLSX: a header line, the page header and the document properties). Writes
    the audit event `members.report_exported` (unit, date, period, tables, whether names were
    included, the file's SHA-256) in its own durable transaction, before the bytes are
    returned."""
    if fmt not in CONTENT_TYPES:
        message = _("Choose PDF or XLSX.")
        raise ValidationFailed(message, field_errors={"fmt": [message]})
    report = statutory_report(
        user=user,
        unit=unit,
        as_of=as_of,
        period_from=period_from,
        period_to=period_to,
        only=only,
    )
    mark = watermark_text(user, report.generated_at)
    if fmt == "pdf":
        from .reports_pdf import render_pdf

        content = render_pdf(report, watermark=mark)
    else:
        from .reports_xlsx import render_xlsx

        content = render_xlsx(report, watermark=mark)
    filename = f"bao-cao-dang-vien-{unit.code}-{report.as_of:%Y%m%d}.{fmt}"
    with transaction.atomic(durable=True):
        audit.record(
            actor=user,
            action="members.report_exported",
            unit=unit,
            obj=unit,
            data={
                "format": fmt,
                "unit": unit.code,
                "as_of": report.as_of.isoformat(),
                "period_from": report.period_from.isoformat(),
                "period_to": report.period_to.isoformat(),
                "tables": [t.key for t in report.tables],
                "names_included": report.due_list is not None and bool(report.due_list),
                "sha256": hashlib.sha256(content).hexdigest(),
                "watermark": mark,
            },
        )
    return Export(
        content=content, content_type=CONTENT_TYPES[fmt], filename=filename, watermark=mark
    )


def report_pdf(
    *,
    user: Any,
    unit: Unit,
    as_of: dt.date | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    only: Collection[str] | None = None,
) -> Export:
    """`report_export(fmt="pdf")`."""
    return report_export(
        user=user,
        unit=unit,
        fmt="pdf",
        as_of=as_of,
        period_from=period_from,
        period_to=period_to,
        only=only,
    )


def report_xlsx(
    *,
    user: Any,
    unit: Unit,
    as_of: dt.date | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    only: Collection[str] | None = None,
) -> Export:
    """`report_export(fmt="xlsx")`."""
    return report_export(
        user=user,
        unit=unit,
        fmt="xlsx",
        as_of=as_of,
        period_from=period_from,
        period_to=period_to,
        only=only,
    )


# --- For tests and the benchmark ----------------------------------------------------------


@dataclass(frozen=True)
class MemberState:
    member_id: Any
    unit_id: Any
    official: bool
    admitted_on: dt.date | None
    party_age_from: dt.date | None
    exempted: bool
    temporary: bool
    extra: dict[str, Any] = field(default_factory=dict)


def member_states(*, as_of: dt.date, from_events: bool = True) -> dict[Any, MemberState]:
    """The state relation itself, member by member (no access check: tests and the benchmark
    compare it with `lifecycle.derive`)."""
    p = _Params(Unit(path=""), as_of, as_of, as_of, from_events)
    sql = (
        _with_state(p)
        + "SELECT st.member_id, st.unit_id, st.official, st.admitted_on, st.party_age_from,"
        " st.exempted, st.temporary FROM st"
    )
    result = {}
    for mid, unit_id, official, admitted, age_from, exempted, temporary in _fetch(
        sql, {"as_of": as_of}
    ):
        key = _normalize_id(mid)
        result[key] = MemberState(
            member_id=key,
            unit_id=_normalize_id(unit_id),
            official=bool(official),
            admitted_on=_as_date(admitted),
            party_age_from=_as_date(age_from),
            exempted=bool(exempted),
            temporary=bool(temporary),
        )
    return result


def _normalize_id(value: Any) -> Any:
    import uuid

    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


__all__ = [
    "CONTENT_TYPES",
    "DUE_WITHIN_DAYS",
    "REPORTS",
    "REPORT_KEYS",
    "DueMember",
    "Export",
    "Report",
    "ReportSpec",
    "Row",
    "Table",
    "may_view_due_list",
    "may_view_reports",
    "member_states",
    "report_export",
    "report_pdf",
    "report_table",
    "report_xlsx",
    "reportable_units",
    "statutory_report",
    "watermark_text",
]
