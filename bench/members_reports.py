"""Benchmark: the statutory member reports (secretariat/members/reports.py) for a province of
200,000 Party members on PostgreSQL, each report against a raw SQL statement that computes the
same numbers, in the same run.

Needs PostgreSQL: DATABASE_URL must point at a throwaway database. It is given a province tree
(66 committees, about 800 cells) and --members synthetic members with their life-cycle histories
(`members.generator`, bulk path: rows consistent with `lifecycle.derive`) when it holds fewer;
default SECRETARIAT_BENCH_MEMBERS or 200,000. Then, for today (cached columns) and a date five
years back (derived from the events), every report of the set is run --repeat times through
`reports.report_table` (access check, SQL, Python shaping) alternating with its baseline: a
hand-written PostgreSQL statement of another formulation (DISTINCT ON per event class instead
of one aggregate pass, `age()` instead of date thresholds, `+ interval '12 months'`, LATERAL
for the unit of an event). The numbers of both must be equal (else the run fails); the medians
are compared.

Metrics, one JSON line each (bench/run.py's convention):
- `report_s` per report and date (`report`, `as_of`): our median seconds, baseline the raw
  SQL's median, ratio;
- `slowest_report_s`: the slowest of ours, with its own baseline and ratio, the worst ratio,
  the targets (every report < 2 s and ≤ 1.5× the raw SQL) and whether they are met, the load.

    DATABASE_URL=postgres://… python bench/members_reports.py [--members 200000] [--repeat 5]
"""

# SQL text is assembled from this module's constants only; every value is a parameter.
# ruff: noqa: S608
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, setup_django

BENCH = "members_reports"
DEFAULT_MEMBERS = int(os.environ.get("SECRETARIAT_BENCH_MEMBERS", "200000"))
TARGET_S = 2.0
TARGET_RATIO = 1.5
COMMUNES = 60
CELLS_PER_COMMUNE = 12
AGENCIES = 6
CELLS_PER_AGENCY = 10


def build_tree() -> Any:
    """A province: COMMUNES commune/ward committees with their cells, AGENCIES agency
    committees each with a grassroots committee and cells, a few boards (no members)."""
    from secretariat.orgs.models import Unit, UnitKind

    root = Unit.objects.filter(depth=1).first()
    if root is not None:
        return root

    def add(parent: Any, name: str, kind: str, code: str) -> Any:
        fields = {"name": name, "kind": kind, "code": code, "abbreviation": "ĐU"}
        if parent is None:
            return Unit.objects.add_root(create_kwargs=fields)
        return Unit.objects.add_child(Unit.objects.get(pk=parent.pk), create_kwargs=fields)

    root = add(None, "Tỉnh ủy Lâm Đồng", UnitKind.PROVINCIAL_COMMITTEE, "000.00.00.B29")
    for i in range(1, 4):
        add(root, f"Ban {i}", UnitKind.BOARD, f"000.00.{i:02d}.B29")
    for c in range(COMMUNES):
        kind = UnitKind.COMMUNE_COMMITTEE if c % 2 else UnitKind.WARD_COMMITTEE
        commune = add(root, f"Đảng ủy xã {c + 1}", kind, f"001.{c:03d}.00.B29")
        for j in range(CELLS_PER_COMMUNE):
            add(commune, f"Chi bộ thôn {j + 1}", UnitKind.CELL, f"001.{c:03d}.{j + 1:02d}.B29")
    for a in range(AGENCIES):
        agency = add(
            root, f"Đảng ủy khối {a + 1}", UnitKind.AGENCY_COMMITTEE, f"002.{a:03d}.00.B29"
        )
        grassroots = add(
            agency, f"Đảng ủy cơ sở {a + 1}", UnitKind.GRASSROOTS_COMMITTEE, f"002.{a:03d}.01.B29"
        )
        for j in range(CELLS_PER_AGENCY):
            add(grassroots, f"Chi bộ {j + 1}", UnitKind.CELL, f"002.{a:03d}.{j + 2:02d}.B29")
    return Unit.objects.get(pk=root.pk)


def prepare(members: int, *, quiet: bool = False) -> tuple[Any, Any]:
    """The tree, `members` members (topped up when fewer), an officer of the whole province."""
    from django.db import connection

    from secretariat.accounts.models import Role, RoleGrant, User
    from secretariat.members import generator
    from secretariat.members.models import Member

    root = build_tree()
    have = Member.objects.count()
    if have < members:
        started = time.monotonic()
        cells = generator.cell_infos(generator.party_cells())
        plans = generator.plan_members(members - have, cells, seed=1000 + have)
        generator.bulk_insert(plans, batch_size=5000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE members_member")
                cursor.execute("ANALYZE members_memberevent")
                cursor.execute("ANALYZE orgs_unit")
        if not quiet:
            print(
                f"{BENCH}: seeded {members - have} members in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
    user, created = User.objects.get_or_create(
        username="bench_members_officer", defaults={"full_name": "Bench officer"}
    )
    if created:
        RoleGrant.objects.create(
            user=user, role=Role.MEMBER_RECORDS_OFFICER, unit=root, include_subtree=True
        )
    return root, user


# --- The raw SQL baseline (PostgreSQL) --------------------------------------------------------

_ENTER = "('admission', 'readmission', 'restoration', 'transfer_in')"
_LIFE = (
    "(kind IN ('admission', 'readmission', 'restoration', 'transfer_in', 'leaving', 'removal',"
    " 'expulsion', 'death', 'candidate') OR (kind = 'transfer_out' AND confirmed_at IS NOT NULL))"
)
_UNIT_SETTING = (
    "(to_unit_id IS NOT NULL AND (kind IN ('candidate', 'admission', 'readmission',"
    " 'transfer_in', 'unit_reorganized', 'restoration') OR (kind IN ('transfer_official',"
    " 'transfer_within') AND confirmed_at IS NOT NULL)))"
)
_EXITS = "('leaving', 'removal', 'expulsion', 'death')"


def _latest(name: str, columns: str, condition: str) -> str:
    return (
        f"{name} AS (SELECT DISTINCT ON (member_id) member_id, {columns} FROM ev"
        f" WHERE {condition} ORDER BY member_id, effective_on DESC, sequence DESC)"
    )


def state_sql(past: bool) -> str:
    """The members counted on %(d)s: one row each (member columns + unit, official,
    admitted_on, party_age_from, exempted, temporary)."""
    if not past:
        return """st AS (
    SELECT m.*, (m.status = 'official') AS is_official,
           m.admitted_on AS adm, m.party_age_from AS age_from,
           (m.temporary_unit_id IS NOT NULL OR m.temporary_external <> '') AS is_temporary
    FROM members_member m WHERE m.status IN ('probationary', 'official'))"""
    return f"""ev AS (SELECT * FROM members_memberevent WHERE effective_on <= %(d)s),
{_latest("life", "kind", _LIFE)},
{_latest("rank", "kind", "kind IN ('admission', 'readmission', 'official')")},
{_latest("adm", "effective_on", "kind IN ('admission', 'readmission')")},
{_latest("unit", "to_unit_id", _UNIT_SETTING)},
{
        _latest(
            "ex",
            "kind",
            f"kind IN {_EXITS} OR kind IN ('exemption', 'exemption_end')"
            " OR (kind = 'transfer_out' AND confirmed_at IS NOT NULL)",
        )
    },
{
        _latest(
            "tmp",
            "kind",
            f"kind IN {_EXITS} OR kind = 'temporary_end' OR (kind IN"
            " ('transfer_temporary', 'transfer_official', 'transfer_within', 'transfer_out')"
            " AND confirmed_at IS NOT NULL)",
        )
    },
first AS (SELECT member_id, MIN(effective_on) AS on_ FROM ev WHERE kind = 'admission'
          GROUP BY member_id),
gap AS (SELECT r.member_id, SUM(r.effective_on - x.on_)::int AS days FROM ev r
        CROSS JOIN LATERAL (SELECT MAX(y.effective_on) AS on_ FROM members_memberevent y
                            WHERE y.member_id = r.member_id AND y.kind IN {_EXITS}
                            AND (y.effective_on, y.sequence) < (r.effective_on, r.sequence)) x
        WHERE r.kind = 'readmission' GROUP BY r.member_id),
st AS (
    SELECT m.id, m.gender, m.birth_date, m.ethnicity, m.religion, m.general_education,
           m.degree, m.academic_title, m.political_theory,
           COALESCE(unit.to_unit_id, m.registered_unit_id) AS unit_id,
           (rank.kind = 'official') AS is_official, adm.effective_on AS adm,
           first.on_ + COALESCE(gap.days, 0) AS age_from,
           (ex.kind = 'exemption') IS TRUE AS exempted,
           (tmp.kind = 'transfer_temporary') IS TRUE AS is_temporary
    FROM life JOIN members_member m ON m.id = life.member_id
    JOIN rank ON rank.member_id = m.id JOIN adm ON adm.member_id = m.id
    JOIN first ON first.member_id = m.id
    LEFT JOIN unit ON unit.member_id = m.id LEFT JOIN ex ON ex.member_id = m.id
    LEFT JOIN tmp ON tmp.member_id = m.id LEFT JOIN gap ON gap.member_id = m.id
    WHERE life.kind IN {_ENTER})"""


def _split() -> str:
    return (
        "COUNT(*), COUNT(*) FILTER (WHERE NOT st.is_official),"
        " COUNT(*) FILTER (WHERE st.is_official)"
    )


def _in_subtree(column: str) -> str:
    return f"{column} IN (SELECT id FROM orgs_unit WHERE path LIKE %(subtree)s)"


def baseline(key: str, past: bool, params: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The numbers of report `key` by raw SQL: {row key: values} for the rows it computes."""
    from django.db import connection

    from secretariat.members.reports import general_level

    def run(sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            if past:
                # The planner misjudges the rows of the DISTINCT ON relations and picks nested
                # loops between them (minutes at 200,000 members): hash joins, as a DBA would.
                cursor.execute("SET enable_nestloop = off")
            # No JIT compilation, as for the reports (reports._fetch): the work, not the compiler.
            cursor.execute("SET jit = off")
            try:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
            finally:
                cursor.execute("RESET jit")
                if past:
                    cursor.execute("RESET enable_nestloop")

    head = "WITH " + state_sql(past) + "\n"
    where = " WHERE " + _in_subtree("st.unit_id")
    out: dict[str, tuple[int, ...]] = {}
    if key in ("age", "seniority"):
        column = "st.birth_date" if key == "age" else "st.age_from"
        bounds = (31, 41, 51, 61, 71) if key == "age" else (10, 20, 30, 40, 50, 60)
        years = f"date_part('year', age(%(d)s::date, {column}))"
        case = " ".join(f"WHEN {years} < {b} THEN {i}" for i, b in enumerate(bounds))
        rows = run(
            head + f"SELECT CASE {case} ELSE {len(bounds)} END, {_split()} FROM st{where}"
            " GROUP BY 1"
        )
        for band, *values in rows:
            out[f"band_{band}"] = tuple(int(v) for v in values)
        out["total"] = tuple(sum(v[i] for v in out.values()) for i in range(3))
    elif key in ("gender", "ethnicity", "religion", "theory"):
        column = {
            "gender": "gender",
            "ethnicity": "ethnicity",
            "religion": "religion",
            "theory": "political_theory",
        }[key]
        for value, *values in run(
            head + f"SELECT st.{column}, {_split()} FROM st{where} GROUP BY 1"
        ):
            out[value] = tuple(int(v) for v in values)
        out["total"] = tuple(sum(v[i] for v in out.values()) for i in range(3))
    elif key == "education":
        rows = run(
            head + "SELECT st.general_education, st.degree, st.academic_title,"
            f" {_split()} FROM st{where} GROUP BY 1, 2, 3"
        )
        acc: dict[str, list[int]] = {}
        for ge, dg, tt, *values in rows:
            for k in ("total", f"general_{general_level(ge)}", f"degree_{dg}", f"title_{tt}"):
                slot = acc.setdefault(k, [0, 0, 0])
                for i, v in enumerate(values):
                    slot[i] += int(v)
        out = {k: tuple(v) for k, v in acc.items() if k != "title_none"}
    elif key == "overview":
        (row,) = run(
            head + "SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT st.is_official),"
            " COUNT(*) FILTER (WHERE st.is_official),"
            " COUNT(*) FILTER (WHERE st.gender = 'female'),"
            " COUNT(*) FILTER (WHERE st.ethnicity NOT IN ('01', '99')),"
            " COUNT(*) FILTER (WHERE st.religion <> 'none'),"
            " COUNT(*) FILTER (WHERE st.exempted), COUNT(*) FILTER (WHERE st.is_temporary),"
            " COUNT(*) FILTER (WHERE NOT st.is_official"
            "   AND st.adm + interval '12 months' <= %(d)s::date + 30)"
            f" FROM st{where}"
        )
        names = (
            "total",
            "probationary",
            "official",
            "female",
            "minorities",
            "religious",
            "exempted",
            "temporary",
            "due",
        )
        out = {n: (int(v),) for n, v in zip(names, row, strict=True)}
    elif key == "probation":
        (row,) = run(
            head + "SELECT COUNT(*),"
            " COUNT(*) FILTER (WHERE st.adm + interval '12 months' <= %(d)s::date + 30),"
            " COUNT(*) FILTER (WHERE st.adm + interval '12 months' < %(d)s::date)"
            f" FROM st{where} AND NOT st.is_official"
        )
        out = {n: (int(v),) for n, v in zip(("probationary", "due", "overdue"), row, strict=True)}
    elif key == "organizations":
        rows = run(
            head + ", counts AS (SELECT st.unit_id, COUNT(*) AS n FROM st" + where + " GROUP BY 1)"
            " SELECT u.kind, p.kind, COUNT(*), COUNT(c.n), COALESCE(SUM(c.n), 0)"
            " FROM orgs_unit u LEFT JOIN orgs_unit p"
            "   ON p.path = left(u.path, length(u.path) - 4)"
            " LEFT JOIN counts c ON c.unit_id = u.id"
            " WHERE u.path LIKE %(subtree)s GROUP BY 1, 2"
        )
        for kind, parent, *values in rows:
            if kind == "cell":
                name = (
                    "cells_under"
                    if parent in ("commune_committee", "ward_committee", "grassroots_committee")
                    else "cell_grassroots"
                )
            elif kind in ("commune_committee", "ward_committee", "grassroots_committee"):
                name = "grassroots_committees"
            elif kind in ("provincial_committee", "agency_committee"):
                name = kind
            else:
                name = "other"
            slot = list(out.get(name, (0, 0, 0)))
            out[name] = tuple(a + int(b) for a, b in zip(slot, values, strict=True))
    elif key == "movements":
        rows = run(
            "SELECT e.kind, COUNT(*) FILTER (WHERE u.unit_id IN (SELECT id FROM orgs_unit WHERE"
            " path LIKE %(subtree)s)) FROM members_memberevent e"
            " JOIN members_member m ON m.id = e.member_id"
            " CROSS JOIN LATERAL (SELECT COALESCE((SELECT x.to_unit_id FROM members_memberevent x"
            "   WHERE x.member_id = e.member_id AND x.to_unit_id IS NOT NULL AND (x.kind IN"
            "   ('candidate', 'admission', 'readmission', 'transfer_in', 'unit_reorganized',"
            "   'restoration') OR (x.kind IN ('transfer_official', 'transfer_within')"
            "   AND x.confirmed_at IS NOT NULL))"
            "   AND (x.effective_on, x.sequence) <= (e.effective_on, e.sequence)"
            "   ORDER BY x.effective_on DESC, x.sequence DESC LIMIT 1), m.registered_unit_id)"
            "   AS unit_id) u"
            " WHERE e.effective_on BETWEEN %(start)s AND %(end)s"
            " AND e.kind IN ('admission', 'readmission', 'official', 'restoration', 'exemption',"
            " 'exemption_end', 'leaving', 'removal', 'expulsion', 'temporary_end')"
            " GROUP BY 1"
        )
        out = {kind: (int(n),) for kind, n in rows}
    return out


def numbers(table: Any, keys: Any) -> dict[str, tuple[int, ...]]:
    return {row.key: row.values for row in table.rows if row.key in keys}


def median_time(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(members: int, repeat: int, *, quiet: bool = False) -> list[dict[str, Any]]:
    """Prepare, then time every report against its baseline for today and five years back.
    Returns one record per (report, date); raises AssertionError when numbers differ."""
    from secretariat.core import clock
    from secretariat.members import reports

    root, user = prepare(members, quiet=quiet)
    today = clock.today()
    past = reports.years_back(today, 5)
    results = []
    for label, as_of in (("today", today), ("past", past)):
        start_of_period = dt.date(as_of.year - 1, 1, 1)
        params = {"d": as_of, "subtree": root.path + "%", "start": start_of_period, "end": as_of}
        for key in reports.REPORT_KEYS:

            def ours(
                key: str = key, as_of: dt.date = as_of, start: dt.date = start_of_period
            ) -> Any:
                return reports.report_table(
                    user=user, unit=root, key=key, as_of=as_of, period_from=start, period_to=as_of
                )

            def raw(
                key: str = key, past_: bool = label == "past", params: dict[str, Any] = params
            ) -> Any:
                return baseline(key, past_, params)

            ours()  # warm: plans, caches
            raw()
            our_times, raw_times = [], []
            table, expected = None, None
            for _ in range(repeat):  # alternate, so drift hits both alike
                t, table = median_time(ours, 1)
                our_times.append(t)
                t, expected = median_time(raw, 1)
                raw_times.append(t)
            assert table is not None
            assert expected is not None
            got = numbers(table, expected.keys())
            if key == "movements":
                got = {k: v for k, v in got.items() if k in expected}
            missing = {k: v for k, v in expected.items() if k not in got and any(v)}
            if got != {k: v for k, v in expected.items() if k in got} or missing:
                raise AssertionError(f"{key} {label}: report {got} != raw SQL {expected}")
            ours_s, raw_s = statistics.median(our_times), statistics.median(raw_times)
            results.append(
                {"report": key, "as_of": label, "ours_s": ours_s, "raw_s": raw_s, "numbers": got}
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(
            f"{BENCH}: skipped, set DATABASE_URL to a throwaway PostgreSQL database",
            file=sys.stderr,
        )
        return
    with tempfile.TemporaryDirectory(prefix="bench-members-") as data_dir:
        setup_django(data_dir)
        load = os.getloadavg()[0]
        results = run(args.members, args.repeat)
        load_after = os.getloadavg()[0]
        for r in results:
            emit(
                BENCH,
                "report_s",
                r["ours_s"],
                "s",
                r["raw_s"],
                r["ours_s"] / r["raw_s"],
                report=r["report"],
                as_of=r["as_of"],
                members=args.members,
            )
        slowest = max(results, key=lambda r: r["ours_s"])
        worst = max(r["ours_s"] / r["raw_s"] for r in results)
        emit(
            BENCH,
            "slowest_report_s",
            slowest["ours_s"],
            "s",
            slowest["raw_s"],
            slowest["ours_s"] / slowest["raw_s"],
            report=slowest["report"],
            as_of=slowest["as_of"],
            worst_ratio=round(worst, 3),
            target_s=TARGET_S,
            target_ratio=TARGET_RATIO,
            met=slowest["ours_s"] < TARGET_S and worst <= TARGET_RATIO,
            members=args.members,
            repeat=args.repeat,
            load_average=[round(load, 2), round(load_after, 2)],
        )


if __name__ == "__main__":
    main()
