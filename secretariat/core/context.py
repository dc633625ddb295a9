"""Per-request context (client address) that services read without every caller passing it."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    client_ip: str | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "secretariat_request_context",
    default=RequestContext(),  # noqa: B039
)


def current() -> RequestContext:
    return _current.get()


@contextmanager
def bind(context: RequestContext) -> Iterator[None]:
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)
