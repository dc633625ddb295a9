"""The embedded engine: SQLite FTS5 (migration 0003). Two external-content tables over
documents_searchentry: `documents_search_fts` keeps diacritics, `documents_search_fts_plain`
removes them. Sizes here are those of one installation's own documents; MEASURED.md's 1 M
figures are for PostgreSQL."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import OperationalError, connection
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..models import SearchEntry
from .core import (
    RANK_WINDOW,
    Cursor,
    Filters,
    Loaded,
    PageIds,
    common_where,
    keyset,
    load_entries,
    loaded_from,
)
from .errors import QueryInvalid
from .text import START, STOP, ParsedQuery, fold_d, restore, to_html

ACCENTED = "documents_search_fts"
PLAIN = "documents_search_fts_plain"
SNIPPET_TOKENS = 24


def _table(query: ParsedQuery) -> str:
    return ACCENTED if query.accented else PLAIN


def _uuid(value: Any) -> Any:
    return SearchEntry._meta.get_field("unit").target_field.get_db_prep_value(value, connection)


class SqliteEngine:
    def session(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to set up: SQLite has no statement timeout to set per search."""
        return contextlib.nullcontext()

    def _execute(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        except OperationalError as exc:
            # parse_query only emits quoted words, so this is not expected; still, a search must
            # never end in a server error.
            raise QueryInvalid(_("This search could not be understood; try other words.")) from exc

    def page(
        self, query: ParsedQuery, filters: Filters, order: str, limit: int, cursor: Cursor | None
    ) -> PageIds:
        table = _table(query)
        if filters.unit_ids is None:  # every unit
            unit_clause, unit_params = "1", []
        else:
            marks = ", ".join(["%s"] * len(filters.unit_ids))
            unit_clause = f"s.unit_id IN ({marks})"
            unit_params = [_uuid(pk) for pk in filters.unit_ids]
        where, params = common_where(filters, unit_clause=unit_clause, unit_params=unit_params)
        base = (
            f"FROM {table} JOIN documents_searchentry s ON s.id = {table}.rowid"
            f" WHERE {table} MATCH %s AND {where}"
        )
        params = [query.fts5(), *params]
        if order == "newest":
            after, after_params = keyset(cursor)
            rows = self._execute(
                f"SELECT s.id {base}{after} ORDER BY s.created_at DESC, s.id DESC LIMIT %s",
                [*params, *after_params, limit + 1],
            )
        else:
            # Rank (bm25, subject weighted over the text) only the newest RANK_WINDOW matches.
            offset = cursor.offset if cursor else 0
            rows = self._execute(
                f"SELECT id FROM (SELECT s.id AS id, s.created_at AS created_at,"  # noqa: S608
                f" bm25({table}, 5.0, 1.0) AS rank {base}"
                f" ORDER BY s.created_at DESC, s.id DESC LIMIT {RANK_WINDOW})"
                " ORDER BY rank, created_at DESC, id DESC LIMIT %s OFFSET %s",
                [*params, min(limit + 1, RANK_WINDOW - offset), offset],
            )
        ids = [row[0] for row in rows]
        return PageIds(ids[:limit], len(ids) > limit)

    def load(self, query: ParsedQuery, entry_ids: list[int], filters: Filters) -> dict[int, Loaded]:
        entries = load_entries(entry_ids, filters)
        return loaded_from(entries, self.snippets(query, entries) if entries else {})

    def snippets(self, query: ParsedQuery, entries: list[SearchEntry]) -> dict[int, SafeString]:
        table = _table(query)
        marks = ", ".join(["%s"] * len(entries))
        rows = self._execute(
            f"SELECT rowid, snippet({table}, -1, %s, %s, '', {SNIPPET_TOKENS}) FROM {table}"  # noqa: S608
            f" WHERE {table} MATCH %s AND rowid IN ({marks})",
            [START, STOP, query.fts5(), *[entry.pk for entry in entries]],
        )
        marked = {row[0]: row[1] or "" for row in rows}
        result: dict[int, SafeString] = {}
        for entry in entries:
            fragment = marked.get(entry.pk, "")
            result[entry.pk] = _html(fragment, entry, folded=not query.accented)
        return result


def _html(fragment: str, entry: SearchEntry, *, folded: bool) -> SafeString:
    """Place the fragment in the subject or the text it came from, with the original letters
    (the unaccented table saw `d` for `đ`)."""
    for original in (entry.body, entry.title):
        shown = fold_d(original) if folded else original
        bare = fragment.replace(START, "").replace(STOP, "")
        if bare and bare in shown:
            text, before, after = restore(fragment, shown, original)
            return to_html(text, cut_before=before, cut_after=after)
    return to_html(fragment)
