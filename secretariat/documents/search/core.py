"""search_documents: scope, filters, cursor and the choice of engine. The engines (sqlite.py,
postgres.py) only find the ids of one page and mark snippets; everything a user sees is loaded
here, from rows already limited to the caller's scope."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from django.db import connection
from django.db.models import Count, Q
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from secretariat.accounts.policy import Action, units_in_scope
from secretariat.orgs.models import Unit

from ..models import Document, RegisterKind, SearchEntry
from .errors import QueryInvalid
from .text import ParsedQuery, parse_query

Order = Literal["newest", "relevance"]
ORDERS: tuple[str, ...] = ("newest", "relevance")
STATUSES: tuple[str, ...] = ("registered", "unregistered")
MAX_LIMIT = 100
# MEASURED.md: ranking every match of a common term costs 0.5–2.8 s; ranking the newest
# thousand costs 9/23 ms and the user rarely reads past them.
RANK_WINDOW = 1000


@dataclass(frozen=True)
class Filters:
    """Conditions on the search table, already resolved and limited to the caller's scope.
    `unit_ids` is None when the scope is every unit of the node (a province-wide reader): no
    unit condition at all then, rather than a list of every unit the planner must check."""

    unit_ids: list[Any] | None
    doc_type: str | None = None
    register_kind: str | None = None
    status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after (created_at, id) for newest first; at an offset in
    the ranked window for relevance."""

    created_at: dt.datetime | None = None
    entry_id: int | None = None
    offset: int = 0

    def encode(self) -> str:
        data: dict[str, Any] = (
            {"t": self.created_at.isoformat(), "i": self.entry_id}
            if self.created_at is not None
            else {"o": self.offset}
        )
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str, order: str) -> Cursor:
        try:
            data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if order == "newest":
                created = dt.datetime.fromisoformat(data["t"])
                if created.tzinfo is None:
                    raise ValueError
                return cls(created_at=created, entry_id=int(data["i"]))
            offset = int(data["o"])
            if not 0 <= offset <= RANK_WINDOW:
                raise ValueError
            return cls(offset=offset)
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise QueryInvalid(
                _("The link to more results is no longer valid; search again.")
            ) from None


@dataclass(frozen=True)
class PageIds:
    entry_ids: list[int]
    has_more: bool


class Engine(Protocol):
    def session(self) -> AbstractContextManager[None]:
        """Around everything one search asks of the engine (the PostgreSQL engine: one
        transaction under its statement timeout)."""
        ...

    def page(
        self, query: ParsedQuery, filters: Filters, order: str, limit: int, cursor: Cursor | None
    ) -> PageIds: ...

    def load(self, query: ParsedQuery, entry_ids: list[int], filters: Filters) -> dict[int, Loaded]:
        """What is shown of these index rows, with their snippets, keyed by row id; rows
        outside the scope are left out (checked once more: a hit outside the scope must be
        impossible even if the page had a bug)."""
        ...


@dataclass(frozen=True)
class SearchHit:
    id: uuid.UUID
    subject: str
    snippet: SafeString
    notation: str
    number: str
    issued_on: dt.date | None
    created_at: dt.datetime
    unit_code: str
    unit_name: str
    doc_type: str | None

    @property
    def date(self) -> dt.date:
        return self.issued_on or self.created_at.date()


@dataclass(frozen=True)
class Loaded:
    """One index row as shown: the hit, and the row's key for the next page's cursor."""

    entry_id: int
    created_at: dt.datetime
    hit: SearchHit


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, newest or best first. No total: counting every match is what made the
    naive design slow (MEASURED.md); `next_cursor` fetches more."""

    hits: list[SearchHit] = field(default_factory=list)
    next_cursor: str | None = None
    order: str = "newest"
    # True when the query had no diacritics and the unaccented index answered.
    accent_insensitive: bool = False


def _engine() -> Engine:
    if connection.vendor == "postgresql":
        from .postgres import PostgresEngine

        return PostgresEngine()
    from .sqlite import SqliteEngine

    return SqliteEngine()


def _filters(
    *,
    user: Any,
    unit_code: str | None,
    doc_type: str | None,
    register_kind: str | None,
    status: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> Filters:
    scope = units_in_scope(user, Action.DOCUMENTS_VIEW)
    if unit_code:
        unit = scope.filter(code=unit_code).first()
        if unit is None:
            # The same answer for a unit outside the scope as for no unit: codes cannot be probed.
            raise QueryInvalid(_("No unit with the code %(code)s.") % {"code": unit_code})
        # A unit with everything below it that is also in scope.
        scope = scope.filter(path__startswith=unit.path)
    if register_kind and register_kind not in RegisterKind.values:
        raise QueryInvalid(_("Unknown register kind."))
    if status and status not in STATUSES:
        raise QueryInvalid(_("Unknown status."))
    if date_from and date_to and date_from > date_to:
        raise QueryInvalid(_("The start date is after the end date."))
    return Filters(
        unit_ids=_scope_ids(scope),
        doc_type=doc_type or None,
        register_kind=register_kind or None,
        status=status or None,
        date_from=date_from,
        date_to=date_to,
    )


def _scope_ids(scope: Any) -> list[Any] | None:
    """The ids of the units in scope, or None when that is every unit. The comparison with
    the count of all units is one statement (one snapshot); the ids are fetched only for a
    scope smaller than everything."""
    counts = Unit.objects.aggregate(
        inside=Count("pk", filter=Q(pk__in=scope.order_by().values("pk"))), total=Count("pk")
    )
    if counts["inside"] and counts["inside"] == counts["total"]:
        return None
    if not counts["inside"]:
        return []
    return list(scope.order_by().values_list("pk", flat=True))


def search_documents(
    *,
    user: Any,
    query: str,
    doc_type: str | None = None,
    unit_code: str | None = None,
    register_kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str | None = None,
    order: str = "newest",
    limit: int = 20,
    before: str | None = None,
) -> SearchPage:
    """Documents matching `query` that the user may view (DOCUMENTS_VIEW scope), newest first
    or, for `order="relevance"`, the best of the newest thousand matches first. `before` is the
    `next_cursor` of the previous page. `status` is "registered" or "unregistered". Raises
    QueryInvalid (with a message for the user) for input that cannot be searched and
    SearchTimeout when the database gives up."""
    if order not in ORDERS:
        raise QueryInvalid(_("Unknown order."))
    parsed = parse_query(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    cursor = Cursor.decode(before, order) if before else None
    filters = _filters(
        user=user,
        unit_code=unit_code,
        doc_type=doc_type,
        register_kind=register_kind,
        status=status,
        date_from=date_from,
        date_to=date_to,
    )
    if filters.unit_ids is not None and not filters.unit_ids:
        return SearchPage(order=order, accent_insensitive=not parsed.accented)
    engine = _engine()
    with engine.session():
        ids = engine.page(parsed, filters, order, limit, cursor)
        loaded = engine.load(parsed, ids.entry_ids, filters) if ids.entry_ids else {}
    rows = [loaded[pk] for pk in ids.entry_ids if pk in loaded]
    next_cursor = None
    if ids.has_more and rows:
        if order == "newest":
            last = rows[-1]
            next_cursor = Cursor(created_at=last.created_at, entry_id=last.entry_id).encode()
        else:
            next_cursor = Cursor(offset=(cursor.offset if cursor else 0) + limit).encode()
    return SearchPage(
        [row.hit for row in rows], next_cursor, order, accent_insensitive=not parsed.accented
    )


def load_entries(entry_ids: list[int], filters: Filters) -> list[SearchEntry]:
    """The index rows with their documents, through the ORM, within the scope (an engine
    without a statement of its own for `Engine.load`)."""
    rows = SearchEntry.objects.filter(pk__in=entry_ids)
    if filters.unit_ids is not None:
        rows = rows.filter(unit_id__in=filters.unit_ids)
    return list(rows.select_related("document__unit", "document__doc_type"))


def loaded_from(entries: list[SearchEntry], snippets: dict[int, SafeString]) -> dict[int, Loaded]:
    out: dict[int, Loaded] = {}
    for entry in entries:
        document: Document = entry.document
        out[entry.pk] = Loaded(
            entry.pk,
            entry.created_at,
            SearchHit(
                id=document.pk,
                subject=document.subject,
                snippet=snippets.get(entry.pk, SafeString("")),
                notation=document.notation,
                number=document.number,
                issued_on=document.issued_on,
                created_at=document.created_at,
                unit_code=document.unit.code,
                unit_name=document.unit.name,
                doc_type=document.doc_type.name if document.doc_type else None,
            ),
        )
    return out


def common_where(
    filters: Filters, *, unit_clause: str, unit_params: list[Any]
) -> tuple[str, list[Any]]:
    """The filter conditions on `s` (documents_searchentry), the same SQL on both engines."""
    date_field = SearchEntry._meta.get_field("doc_date")
    clauses = [unit_clause]
    params: list[Any] = list(unit_params)
    if filters.doc_type:
        clauses.append("s.doc_type_id = %s")
        params.append(filters.doc_type)
    if filters.date_from:
        clauses.append("s.doc_date >= %s")
        params.append(date_field.get_db_prep_value(filters.date_from, connection))
    if filters.date_to:
        clauses.append("s.doc_date <= %s")
        params.append(date_field.get_db_prep_value(filters.date_to, connection))
    registered = (
        "EXISTS (SELECT 1 FROM documents_registerentry e WHERE e.document_id = s.document_id)"
    )
    if filters.register_kind:
        clauses.append(
            "EXISTS (SELECT 1 FROM documents_registerentry e JOIN documents_register r"
            " ON r.id = e.register_id WHERE e.document_id = s.document_id AND r.kind = %s)"
        )
        params.append(filters.register_kind)
    if filters.status == "registered":
        clauses.append(registered)
    elif filters.status == "unregistered":
        clauses.append("NOT " + registered)
    return " AND ".join(clauses), params


def keyset(cursor: Cursor | None) -> tuple[str, list[Any]]:
    """Rows strictly after the cursor in (created_at DESC, id DESC) order."""
    if cursor is None or cursor.created_at is None:
        return "", []
    value = SearchEntry._meta.get_field("created_at").get_db_prep_value(
        cursor.created_at, connection
    )
    return (
        " AND (s.created_at < %s OR (s.created_at = %s AND s.id < %s))",
        [value, value, cursor.entry_id],
    )
