"""The production engine: PostgreSQL full-text search (migration 0003: generated tsvector
columns `vec` with diacritics and `vec_plain` without, GIN indexes, btree indexes on
(unit_id, created_at DESC, id DESC) and (created_at DESC, id DESC)).

The plan is chosen here, not by the planner (MEASURED.md): the planner misjudges phrase
selectivity and then walks the date index through most of the table (2–14 s). Rare terms: the
GIN index first, then sort the few matches by date. Common terms: walk the date index and stop
after one page (0.33/0.56 ms at 1 M documents for a term in > 100 k of them)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _

from .core import (
    RANK_WINDOW,
    Cursor,
    Filters,
    Loaded,
    PageIds,
    SearchHit,
    common_where,
    keyset,
)
from .errors import SearchTimeout
from .text import START, STOP, ParsedQuery, has_mark, restore, to_html

# Every search statement is cut off here; the page then says so instead of hanging a worker.
STATEMENT_TIMEOUT_MS = 3000
# Below this many matching documents the GIN index answers first. The crossover is where walking
# the date index (about page × rows ÷ matches rows read) costs as much as fetching every match;
# for a page of 20 over 1 M documents that is a few thousand.
COMMON_MATCHES = 5000
# A common query's walk reads at least this many rows of the scope, newest first, before the GIN
# index answers instead; more when it is expected to need more (relevance wants a thousand).
WALK_ROWS = 2000
# A row walked costs about this many GIN candidates (its text vector is read and matched).
WALK_COST = 3
# Up to this many units, the walk merges the units' own date indexes rather than reading the
# global one and skipping the rows of other units.
MERGE_UNITS = 64
_ESTIMATES: dict[tuple[str, str], tuple[float, int]] = {}
# The share of rows matching a query, as last seen by a walk (per process).
_DENSITY: dict[tuple[str, str], tuple[float, float]] = {}
_ESTIMATE_TTL_S = 300.0
# One excerpt around the first cover of the query (MaxFragments=0): as useful as the best
# fragment for a page of hits, and 40 % cheaper to compute.
HEADLINE_OPTIONS = (
    f'StartSel="{START}", StopSel="{STOP}", MaxWords=35, MinWords=15, ShortWord=0, '
    "MaxFragments=0, HighlightAll=false"
)


def _vector(query: ParsedQuery) -> str:
    return "s.vec" if query.accented else "s.vec_plain"


def _shown(query: ParsedQuery, column: str) -> str:
    """The text ts_headline reads: the column as it was indexed (see migration 0003)."""
    words = f"secretariat_search_words(s.{column})"
    return words if query.accented else f"secretariat_unaccent({words})"


class PostgresEngine:
    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """One transaction for a whole search (plan, page, snippets) under the statement
        timeout: the settings are sent once, not per statement."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # One search should not take every core from the others (MEASURED.md); and no
                # JIT: these statements are short, compiling them costs more than it saves.
                cursor.execute(
                    f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)};"
                    " SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off"
                )
                yield
        except OperationalError as exc:
            if "statement timeout" in str(exc) or "canceling statement" in str(exc):
                raise SearchTimeout(
                    _("The search took too long. Add words or filters and try again.")
                ) from exc
            raise

    def _run(self, statements: list[tuple[str, list[Any]]]) -> list[tuple[Any, ...]]:
        """Run statements (inside session()); the last one's rows."""
        rows: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    rows = list(cursor.fetchall())
        return rows

    # -- plan choice -------------------------------------------------------------------------

    def _estimate(self, vector: str, tsquery: str) -> int:
        """The planner's estimate of the documents matching one word (from the tsvector
        statistics ANALYZE keeps: good for single words, unlike phrases), cached a while."""
        key = (vector, tsquery)
        cached = _ESTIMATES.get(key)
        now = time.monotonic()
        if cached and now - cached[0] < _ESTIMATE_TTL_S:
            return cached[1]
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM documents_searchentry s"  # noqa: S608
                f" WHERE {vector} @@ to_tsquery('simple', %s)",
                [tsquery],
            )
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        rows = int(plan[0]["Plan"]["Plan Rows"])
        if len(_ESTIMATES) > 10_000:
            _ESTIMATES.clear()
        _ESTIMATES[key] = (now, rows)
        return rows

    def _documents(self) -> int:
        """How many rows the search table holds (the planner's count), cached a while."""
        cached = _ESTIMATES.get(("", ""))
        now = time.monotonic()
        if cached and now - cached[0] < _ESTIMATE_TTL_S:
            return cached[1]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'documents_searchentry'::regclass"
            )
            rows = max(1, int(cursor.fetchone()[0]))
        _ESTIMATES[("", "")] = (now, rows)
        return rows

    def _walk_bound(self, query: ParsedQuery, wanted: int) -> int | None:
        """How many of the scope's newest rows to walk looking for `wanted` matches before the
        GIN index answers instead; None: straight to the GIN index. Rare queries go to the GIN
        index (few matches to fetch and sort); common ones walk the date index and stop early
        (MEASURED.md). The walk is bounded because the planner's word statistics say nothing
        of phrases and combinations: the planner itself misjudges them and then walks the date
        index through most of the table (2–14 s)."""
        vector = _vector(query)
        estimates = [self._estimate(vector, f"'{word}'") for word in query.words]
        if min(estimates) < COMMON_MATCHES:
            return None
        # Words taken as independent: the GIN index's candidates (rows holding every word),
        # right for one word, an estimate for several.
        total = self._documents()
        together = 1.0
        for estimate in estimates:
            together *= min(1.0, estimate / total)
        candidates = together * total
        learned = _DENSITY.get((vector, query.tsquery()))
        if learned is not None and time.monotonic() - learned[0] < _ESTIMATE_TTL_S:
            density = learned[1]  # what a walk saw: right for phrases too
        else:
            density = together  # for a phrase, an upper bound
        expected = wanted / max(density, 1e-9)
        if expected * WALK_COST > candidates:
            return None
        return max(WALK_ROWS, int(expected * 2))

    # -- pages -------------------------------------------------------------------------------

    def page(
        self, query: ParsedQuery, filters: Filters, order: str, limit: int, cursor: Cursor | None
    ) -> PageIds:
        scope = _Scope(filters)
        vector = _vector(query)
        tsquery = query.tsquery()
        if order == "newest":
            after, after_params = keyset(cursor)
            wanted = limit + 1
        else:
            after, after_params = "", []
            offset = cursor.offset if cursor else 0
            wanted = RANK_WINDOW
        matches: list[tuple[Any, ...]] | None = None
        bound = self._walk_bound(query, wanted)
        if bound is not None:
            matches = self._walk(scope, vector, tsquery, after, after_params, wanted, bound)
        if matches is None:
            matches = self._gin(query, scope, vector, after, after_params, wanted)
        if order == "newest":
            ids = [row[0] for row in matches]
            return PageIds(ids[:limit], len(ids) > limit)
        # Relevance: rank the newest RANK_WINDOW matches only (MEASURED.md).
        window = [row[0] for row in matches]
        if not window:
            return PageIds([], False)
        rows = self._run(
            [
                (
                    "SELECT s.id FROM documents_searchentry s"  # noqa: S608
                    " JOIN unnest(%s::bigint[]) WITH ORDINALITY AS w(id, position) ON s.id = w.id"
                    f" ORDER BY ts_rank({vector}, to_tsquery('simple', %s)) DESC, w.position"
                    " LIMIT %s OFFSET %s",
                    [window, tsquery, min(limit + 1, RANK_WINDOW - offset), offset],
                )
            ]
        )
        ids = [row[0] for row in rows]
        return PageIds(ids[:limit], len(ids) > limit)

    def _walk(
        self,
        scope: _Scope,
        vector: str,
        tsquery: str,
        after: str,
        after_params: list[Any],
        wanted: int,
        bound: int,
    ) -> list[tuple[Any, ...]] | None:
        """The newest `wanted` matches found by walking the scope's rows newest first, at most
        `bound` of them; None when the walk ended before finding them and the scope holds more
        rows (the GIN index must answer)."""
        columns = f"s.id, s.created_at, {vector} AS vec"
        rows_sql, rows_params = scope.newest_rows(columns, after, after_params, bound)
        sql = (
            f"SELECT w.id, w.rn FROM ({rows_sql}) AS w"  # noqa: S608
            " WHERE w.vec @@ to_tsquery('simple', %s)"
            " ORDER BY w.created_at DESC, w.id DESC LIMIT %s"
        )
        rows = self._run([(sql, [*rows_params, tsquery, wanted])])
        key = (vector, tsquery)
        if len(rows) >= wanted:
            _remember(key, len(rows) / max(1, rows[-1][1]))
            return rows
        # Short: either the scope has no more rows (the answer is complete) or the walk stopped.
        more_sql, more_params = scope.newest_rows("s.id", after, after_params, 1, offset=bound)
        if not self._run([(more_sql, more_params)]):
            return rows
        _remember(key, len(rows) / bound)
        return None

    def _gin(
        self,
        query: ParsedQuery,
        scope: _Scope,
        vector: str,
        after: str,
        after_params: list[Any],
        wanted: int,
    ) -> list[tuple[Any, ...]]:
        """Every match from the GIN index, then the newest `wanted` of them. A materialized CTE
        keeps the planner from walking the date index instead."""
        where, params = scope.where()
        if any(len(group) > 1 for group in query.groups):
            rows = self._gin_phrase(query, vector, where, params, after, after_params, wanted)
            if rows is not None:
                return rows
        sql = (
            "WITH m AS MATERIALIZED (SELECT s.id, s.created_at"  # noqa: S608
            f" FROM documents_searchentry s WHERE {vector} @@ to_tsquery('simple', %s)"
            f" AND {where}{after})"
            " SELECT id FROM m ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        return self._run([(sql, [query.tsquery(), *params, *after_params, wanted])])

    def _gin_phrase(
        self,
        query: ParsedQuery,
        vector: str,
        where: str,
        params: list[Any],
        after: str,
        after_params: list[Any],
        wanted: int,
    ) -> list[tuple[Any, ...]] | None:
        """A phrase: the GIN index finds the rows holding its words (exact: no text is read),
        then word positions are checked newest first only until `wanted` are found. A rare
        name made of common words (Nguyễn Văn Hùng) has thousands of such rows but its newest
        twenty are found after checking a few hundred. None if the rows did not come back in
        date order (then the plain GIN query answers)."""
        # The candidates: rows holding the phrase's words, leaving out words in most rows (their
        # long GIN lists cost more to read than the few rows they rule out).
        total = self._documents()
        ranked = sorted(query.words, key=lambda word: self._estimate(vector, f"'{word}'"))
        kept = [ranked[0]] + [
            word for word in ranked[1:] if self._estimate(vector, f"'{word}'") < total / 2
        ]
        words = " & ".join(f"'{word}'" for word in dict.fromkeys(kept))
        # The check is a scalar subquery so that it runs row by row, newest first, and stops
        # with the LIMIT (as EXISTS, the planner would check every candidate in a hash join).
        sql = (
            "WITH c AS MATERIALIZED (SELECT s.id, s.created_at"  # noqa: S608
            f" FROM documents_searchentry s WHERE {vector} @@ to_tsquery('simple', %s)"
            f" AND {where}{after} ORDER BY s.created_at DESC, s.id DESC)"
            " SELECT c.id, c.created_at FROM c WHERE (SELECT"
            f" {vector} @@ to_tsquery('simple', %s) FROM documents_searchentry s WHERE s.id = c.id)"
            " LIMIT %s"
        )
        rows = self._run([(sql, [words, *params, *after_params, query.tsquery(), wanted])])
        keys = [(row[1], row[0]) for row in rows]
        if keys != sorted(keys, reverse=True):
            return None
        return rows

    def load(self, query: ParsedQuery, entry_ids: list[int], filters: Filters) -> dict[int, Loaded]:
        """One statement: the rows, their documents, units and types, and the snippets
        (ts_headline on this page only: it re-parses each text, costly per row)."""
        unit_clause, unit_params = _Scope(filters).unit_clause()
        # The texts as the engine saw them, computed once per row (OFFSET 0 keeps the planner
        # from inlining them into each use: the punctuation pass alone is 0.2 ms a text).
        body, title = _shown(query, "body"), _shown(query, "title")
        rows = self._run(
            [
                (
                    f"SELECT s.id, s.created_at, s.title, s.body,"  # noqa: S608
                    " ts_headline('simple', v.body, q, %s), ts_headline('simple', v.title, q, %s),"
                    " v.body, v.title, d.id, d.subject, d.notation, d.number, d.issued_on,"
                    " d.created_at, u.code, u.name, t.name"
                    " FROM documents_searchentry s"
                    f" CROSS JOIN LATERAL (SELECT {body} AS body, {title} AS title OFFSET 0) AS v"
                    " JOIN documents_document d ON d.id = s.document_id"
                    " JOIN orgs_unit u ON u.id = d.unit_id"
                    " LEFT JOIN documents_documenttype t ON t.code = d.doc_type_id"
                    " CROSS JOIN to_tsquery('simple', %s) AS q"
                    f" WHERE s.id = ANY(%s) AND {unit_clause}",
                    [HEADLINE_OPTIONS, HEADLINE_OPTIONS, query.tsquery(), entry_ids, *unit_params],
                )
            ]
        )
        out: dict[int, Loaded] = {}
        for row in rows:
            (entry_id, entry_created, entry_title, entry_body, body_mark, title_mark) = row[:6]
            (body_shown, title_shown, document_id, subject, notation, number) = row[6:12]
            (issued_on, created_at, unit_code, unit_name, type_name) = row[12:]
            if has_mark(body_mark or "") or not title_mark:
                fragment, shown, original = body_mark or "", body_shown or "", entry_body
            else:
                fragment, shown, original = title_mark, title_shown or "", entry_title
            text, before, after = restore(fragment, shown, original)
            out[entry_id] = Loaded(
                entry_id,
                entry_created,
                SearchHit(
                    id=document_id,
                    subject=subject,
                    snippet=to_html(text, cut_before=before, cut_after=after),
                    notation=notation,
                    number=number,
                    issued_on=issued_on,
                    created_at=created_at,
                    unit_code=unit_code,
                    unit_name=unit_name,
                    doc_type=type_name,
                ),
            )
        return out


def _remember(key: tuple[str, str], density: float) -> None:
    """What a walk saw: the share of the scope's rows that matched, for the next choice."""
    if len(_DENSITY) > 10_000:
        _DENSITY.clear()
    _DENSITY[key] = (time.monotonic(), density)


class _Scope:
    """The caller's units and filters as SQL on `s`, and the newest rows in scope, read from
    the index that serves them best: the (unit, date) index for one unit; the same index per
    unit, merged in date order, for a few units; the date index for many units or all of them
    (they hold most rows, so few rows are skipped)."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        self.units = filters.unit_ids

    def unit_clause(self) -> tuple[str, list[Any]]:
        if self.units is None:
            return "TRUE", []
        if len(self.units) == 1:
            return "s.unit_id = %s", [self.units[0]]
        return "s.unit_id = ANY(%s)", [list(self.units)]

    def where(
        self, unit_clause: str | None = None, unit_params: list[Any] | None = None
    ) -> tuple[str, list[Any]]:
        if unit_clause is None:
            unit_clause, unit_params = self.unit_clause()
        return common_where(self.filters, unit_clause=unit_clause, unit_params=unit_params or [])

    def newest_rows(
        self, columns: str, after: str, after_params: list[Any], limit: int, *, offset: int = 0
    ) -> tuple[str, list[Any]]:
        """SQL for `columns` of the scope's rows after the cursor, newest first, numbered
        (`rn`): at most `limit` of them, skipping `offset`."""
        columns += ", row_number() OVER (ORDER BY s.created_at DESC, s.id DESC) AS rn"
        order = " ORDER BY s.created_at DESC, s.id DESC"
        cut = f" LIMIT {int(limit)} OFFSET {int(offset)}"
        if self.units is not None and 1 < len(self.units) <= MERGE_UNITS:
            # One branch per unit, each in (unit, date) index order: Merge Append reads only
            # rows in scope, in date order.
            # Each branch is cut at limit + offset too (the newest rows overall hold no more of
            # one unit), which makes its own index scan the cheapest plan for it.
            branches: list[str] = []
            params: list[Any] = []
            for unit in self.units:
                where, where_params = self.where("s.unit_id = %s", [unit])
                branches.append(
                    f"(SELECT s.* FROM documents_searchentry s WHERE {where}{after}"  # noqa: S608
                    f"{order} LIMIT {int(limit) + int(offset)})"
                )
                params += [*where_params, *after_params]
            union = " UNION ALL ".join(branches)
            return (
                f"SELECT {columns} FROM ({union}) AS s{order}{cut}",  # noqa: S608
                params,
            )
        where, params = self.where()
        return (
            f"SELECT {columns} FROM documents_searchentry s WHERE {where}{after}{order}{cut}",  # noqa: S608
            [*params, *after_params],
        )
