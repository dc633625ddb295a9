"""Search endpoints, mounted at `/api/v1/search`: the same page as the search page, as JSON.

`GET /inbox` is the newest documents of one unit: the inbox query the benchmark compares with
search (bench/inbox_search.py) until the documents API lists documents."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core.errors import NotFound, PermissionDenied

from .models import Document
from .search import SearchPage, search_documents

router = Router(tags=["search"])


class SearchIn(Schema):
    q: str
    doc_type: str | None = None
    unit: str | None = None
    register_kind: str | None = None
    status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    order: str = "newest"
    limit: int = 20
    before: str | None = None


class HitOut(Schema):
    id: uuid.UUID
    subject: str
    snippet: str
    notation: str
    number: str
    date: dt.date
    created_at: dt.datetime
    unit: str
    unit_name: str
    doc_type: str | None


class PageOut(Schema):
    hits: list[HitOut]
    next_cursor: str | None
    order: str
    accent_insensitive: bool


class InboxItemOut(Schema):
    id: uuid.UUID
    subject: str
    notation: str
    created_at: dt.datetime


def require_viewer(user: Any) -> None:
    """Someone without the right to read documents anywhere is refused outright (403), rather
    than shown an always-empty result."""
    if not policy.can(user, Action.DOCUMENTS_VIEW):
        raise PermissionDenied(_("You do not have permission to do this here."))


def page_out(page: SearchPage) -> dict[str, Any]:
    return {
        "hits": [
            {
                "id": hit.id,
                "subject": hit.subject,
                "snippet": str(hit.snippet),
                "notation": hit.notation,
                "number": hit.number,
                "date": hit.date,
                "created_at": hit.created_at,
                "unit": hit.unit_code,
                "unit_name": hit.unit_name,
                "doc_type": hit.doc_type,
            }
            for hit in page.hits
        ],
        "next_cursor": page.next_cursor,
        "order": page.order,
        "accent_insensitive": page.accent_insensitive,
    }


@router.get(
    "/",
    response=PageOut,
    url_name="search_documents",
    summary="Full-text search of the documents the caller may read",
    description=(
        "Newest first by default; `order=relevance` ranks the newest thousand matches. "
        "`snippet` is HTML: escaped text with the matched words in `<mark>`. Pass "
        "`next_cursor` as `before` for more results. Words typed without diacritics match with "
        "or without them; words typed with diacritics match exactly."
    ),
)
def search(request: HttpRequest, filters: Query[SearchIn]) -> dict[str, Any]:
    require_viewer(request.user)
    page = search_documents(
        user=request.user,
        query=filters.q,
        doc_type=filters.doc_type,
        unit_code=filters.unit,
        register_kind=filters.register_kind,
        status=filters.status,
        date_from=filters.date_from,
        date_to=filters.date_to,
        order=filters.order,
        limit=filters.limit,
        before=filters.before,
    )
    return page_out(page)


@router.get(
    "/inbox",
    response=list[InboxItemOut],
    url_name="search_inbox",
    summary="The newest documents of one unit (inbox)",
)
def inbox(request: HttpRequest, unit: str, limit: int = 50) -> list[Any]:
    require_viewer(request.user)
    unit_id = (
        policy.units_in_scope(request.user, Action.DOCUMENTS_VIEW)
        .filter(code=unit)
        .values_list("pk", flat=True)
        .first()
    )
    if unit_id is None:
        raise NotFound(_("No unit with the code %(code)s.") % {"code": unit})
    # The unit as a constant (not a join), so that the planner walks the (unit, -created_at)
    # index of Document and stops after one page; plain rows, not model instances: this page
    # is read more than any other.
    return list(
        Document.objects.filter(unit_id=unit_id)
        .order_by("-created_at")
        .values("id", "subject", "notation", "created_at")[: max(1, min(limit, 100))]
    )
