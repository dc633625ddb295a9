"""Full-text search of documents: one interface, two engines (SQLite FTS5 embedded, PostgreSQL
full-text search in production). Design and numbers: /work/shared/MEASURED.md — newest first by
default over a date index, relevance only over the newest thousand matches, diacritics kept in
one index and removed in another that answers only queries typed without accents, the plan chosen
from term frequency, a statement timeout, no count(*)."""

from __future__ import annotations

from .core import SearchHit, SearchPage, search_documents
from .errors import QueryInvalid, SearchTimeout
from .index import index_document, reindex_all, remove_document
from .text import parse_query

__all__ = [
    "QueryInvalid",
    "SearchHit",
    "SearchPage",
    "SearchTimeout",
    "index_document",
    "parse_query",
    "reindex_all",
    "remove_document",
    "search_documents",
]
