"""Errors a search can give a user: both carry a translated message, never a stack trace."""

from __future__ import annotations

from secretariat.core.errors import DomainError, ValidationFailed


class QueryInvalid(ValidationFailed):
    """The query or a filter cannot be searched (empty, too long, unknown unit, stale cursor)."""


class SearchTimeout(DomainError):
    """The database gave up within the statement timeout (MEASURED.md: bound every search)."""

    status = 503
