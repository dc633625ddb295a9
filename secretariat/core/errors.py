"""Domain errors. Each carries a translatable message a user understands; the API and the views
turn them into 4xx answers with that message (never a 500)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.functional import Promise


class DomainError(Exception):
    """Base of every error a user can cause. `status` is the HTTP status it maps to."""

    status = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        field_errors: Mapping[str, Sequence[str | Promise]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field_errors = dict(field_errors or {})

    def as_dict(self) -> dict[str, object]:
        return {
            "message": str(self.message),
            "errors": {k: [str(m) for m in v] for k, v in self.field_errors.items()},
        }


class ValidationFailed(DomainError):
    status = 400


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409
