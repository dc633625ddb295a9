"""The production engine: PostgreSQL full-text search (migration 0003: generated tsvector
columns `vec` with diacritics and `vec_plain` without, GIN indexes, btree indexes on
(unit_id, created_at DESC, id DESC) and (created_at DESC, id DESC)).

The plan is chosen here, not by the planner (MEASURED.md): the planner misjudges phrase
selectivity and then walks the date index through most of the table (2–14 s). Rare terms: the
GIN index first, then sort the few matches by date. Common terms: walk the date index and stop
after one page (0.33/0.56 ms at 1 M documents for a term in > 100 k of them)."""

from __future__ import annotations

import time
from typing import Any

from django.db import OperationalError, connection, transaction
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..models import SearchEntry
from .core import RANK_WINDOW, Cursor, Filters, PageIds, common_where, keyset
from .errors import SearchTimeout
from .text import START, STOP, ParsedQuery, has_mark, restore, to_html

# Every search statement is cut off here; the page then says so instead of hanging a worker.
STATEMENT_TIMEOUT_MS = 3000
# Below this many matching documents the GIN index answers first. The crossover is where walking
# the date index (about page × rows ÷ matches rows read) costs as much as fetching every match;
# for a page of 20 over 1 M documents that is a few thousand.
COMMON_MATCHES = 5000
_ESTIMATES: dict[tuple[str, str], tuple[float, int]] = {}
_ESTIMATE_TTL_S = 300.0
HEADLINE_OPTIONS = (
    f'StartSel="{START}", StopSel="{STOP}", MaxWords=35, MinWords=15, ShortWord=0, '
    "MaxFragments=1, HighlightAll=false"
)


def _vector(query: ParsedQuery) -> str:
    return "s.vec" if query.accented else "s.vec_plain"


def _shown(query: ParsedQuery, column: str) -> str:
    """The text ts_headline reads: the column as it was indexed (see migration 0003)."""
    words = f"secretariat_search_words(s.{column})"
    return words if query.accented else f"secretariat_unaccent({words})"


class PostgresEngine:
    def _run(self, statements: list[tuple[str, list[Any]]]) -> list[tuple[Any, ...]]:
        """Run statements in one transaction under the statement timeout; the last one's rows."""
        rows: list[tuple[Any, ...]] = []
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")
                # One search should not take every core from the others (MEASURED.md).
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                for sql, params in statements:
                    cursor.execute(sql, params)
                    if cursor.description is not None:
                        rows = list(cursor.fetchall())
        except OperationalError as exc:
            if "statement timeout" in str(exc) or "canceling statement" in str(exc):
                raise SearchTimeout(
                    _("The search took too long. Add words or filters and try again.")
                ) from exc
            raise
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
            import json

            plan = json.loads(plan)
        rows = int(plan[0]["Plan"]["Plan Rows"])
        if len(_ESTIMATES) > 10_000:
            _ESTIMATES.clear()
        _ESTIMATES[key] = (now, rows)
        return rows

    def _common(self, query: ParsedQuery, where: str, params: list[Any]) -> bool:
        """True when the query matches so many documents that walking the date index finds a
        page sooner than the GIN index. The rarest word bounds the matches from above; when
        every word is common but they are combined (a phrase, several words), a probe counts
        the matches up to the threshold."""
        vector = _vector(query)
        estimates = [self._estimate(vector, f"'{word}'") for word in query.words]
        if min(estimates) < COMMON_MATCHES:
            return False
        if len(query.words) == 1:
            return True
        probe = self._run(
            [
                (
                    "SELECT count(*) FROM (SELECT 1 FROM documents_searchentry s"  # noqa: S608
                    f" WHERE {vector} @@ to_tsquery('simple', %s) AND {where}"
                    f" LIMIT {COMMON_MATCHES}) AS probe",
                    [query.tsquery(), *params],
                )
            ]
        )
        return int(probe[0][0]) >= COMMON_MATCHES

    # -- pages -------------------------------------------------------------------------------

    def page(
        self, query: ParsedQuery, filters: Filters, order: str, limit: int, cursor: Cursor | None
    ) -> PageIds:
        where, params = common_where(
            filters, unit_clause="s.unit_id = ANY(%s)", unit_params=[list(filters.unit_ids)]
        )
        vector = _vector(query)
        match = f"{vector} @@ to_tsquery('simple', %s) AND {where}"
        match_params = [query.tsquery(), *params]
        common = self._common(query, where, params)
        # Common: forbid the bitmap (GIN) plan so the planner walks the date index and stops
        # early. Rare: a materialized CTE makes the GIN index answer first.
        setup: list[tuple[str, list[Any]]] = (
            [("SET LOCAL enable_bitmapscan = off", [])] if common else []
        )
        if order == "newest":
            after, after_params = keyset(cursor)
            if common:
                sql = (
                    "SELECT s.id FROM documents_searchentry s"  # noqa: S608
                    f" WHERE {match}{after} ORDER BY s.created_at DESC, s.id DESC LIMIT %s"
                )
            else:
                sql = (
                    "WITH m AS MATERIALIZED (SELECT s.id, s.created_at"  # noqa: S608
                    f" FROM documents_searchentry s WHERE {match}{after})"
                    " SELECT id FROM m ORDER BY created_at DESC, id DESC LIMIT %s"
                )
            rows = self._run([*setup, (sql, [*match_params, *after_params, limit + 1])])
        else:
            offset = cursor.offset if cursor else 0
            newest = (
                "SELECT s.id, s.created_at FROM documents_searchentry s"  # noqa: S608
                f" WHERE {match} ORDER BY s.created_at DESC, s.id DESC LIMIT {RANK_WINDOW}"
            )
            if not common:
                newest = (
                    "WITH g AS MATERIALIZED (SELECT s.id, s.created_at FROM"  # noqa: S608
                    f" documents_searchentry s WHERE {match})"
                    f" SELECT id, created_at FROM g ORDER BY created_at DESC, id DESC"
                    f" LIMIT {RANK_WINDOW}"
                )
            sql = (
                f"WITH m AS MATERIALIZED ({newest})"  # noqa: S608
                f" SELECT m.id FROM m JOIN documents_searchentry s ON s.id = m.id"
                f" ORDER BY ts_rank({vector}, to_tsquery('simple', %s)) DESC,"
                " m.created_at DESC, m.id DESC LIMIT %s OFFSET %s"
            )
            rows = self._run(
                [
                    *setup,
                    (
                        sql,
                        [
                            *match_params,
                            query.tsquery(),
                            min(limit + 1, RANK_WINDOW - offset),
                            offset,
                        ],
                    ),
                ]
            )
        ids = [row[0] for row in rows]
        return PageIds(ids[:limit], len(ids) > limit)

    def snippets(self, query: ParsedQuery, entries: list[SearchEntry]) -> dict[int, SafeString]:
        """ts_headline on the returned page only (it re-parses each text: costly per row)."""
        rows = self._run(
            [
                (
                    f"SELECT s.id, ts_headline('simple', {_shown(query, 'body')}, q, %s),"  # noqa: S608
                    f" ts_headline('simple', {_shown(query, 'title')}, q, %s),"
                    f" {_shown(query, 'body')}, {_shown(query, 'title')}"
                    " FROM documents_searchentry s, to_tsquery('simple', %s) AS q"
                    " WHERE s.id = ANY(%s)",
                    [
                        HEADLINE_OPTIONS,
                        HEADLINE_OPTIONS,
                        query.tsquery(),
                        [entry.pk for entry in entries],
                    ],
                )
            ]
        )
        by_id = {row[0]: row[1:] for row in rows}
        result: dict[int, SafeString] = {}
        for entry in entries:
            body_mark, title_mark, body_shown, title_shown = by_id.get(entry.pk, ("", "", "", ""))
            if has_mark(body_mark or "") or not title_mark:
                fragment, shown, original = body_mark or "", body_shown or "", entry.body
            else:
                fragment, shown, original = title_mark, title_shown or "", entry.title
            text, before, after = restore(fragment, shown, original)
            result[entry.pk] = to_html(text, cut_before=before, cut_after=after)
        return result
