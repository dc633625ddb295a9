"""Interfaces the office needs from higher layers, and their registry.

Documents sent to organizations outside this installation leave through the exchange (a higher
layer). The exchange registers an `ExternalSender` in its `AppConfig.ready()`; the office calls
it inside its own transactions (the dispatch, the recall), so the packages are queued with the
act that sends them, or not at all. Incoming documents that arrived through the exchange are
answered with status messages: the office tells `IncomingObserver`s of each step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import datetime as dt

    from .models import ExternalDispatch, IncomingProcess, OutgoingProcess


@dataclass(frozen=True)
class TimelineStep:
    """One step of a sent document at an external recipient."""

    recipient: str
    code: str
    label: str
    description: str
    at: dt.datetime


class ExternalSender(Protocol):
    def problems(self, codes: Sequence[str]) -> dict[str, str]:
        """Why each code cannot be sent to now (empty when all can)."""
        ...

    def dispatch(
        self,
        *,
        actor: Any,
        process: OutgoingProcess,
        dispatches: Sequence[ExternalDispatch],
        replaces: OutgoingProcess | None,
    ) -> None: ...

    def recall(
        self,
        *,
        actor: Any,
        process: OutgoingProcess,
        dispatches: Sequence[ExternalDispatch],
        reason: str,
    ) -> None: ...

    def timeline(self, process: OutgoingProcess) -> list[TimelineStep]: ...


class IncomingObserver(Protocol):
    def on_incoming(self, *, actor: Any, process: IncomingProcess, event: str, note: str) -> None:
        """`event`: instructed, completed, returned (inside the office's transaction)."""
        ...


_senders: list[ExternalSender] = []
_observers: list[IncomingObserver] = []


def register_external_sender(sender: ExternalSender) -> None:
    if sender not in _senders:
        _senders.append(sender)


def external_sender() -> ExternalSender | None:
    return _senders[0] if _senders else None


def register_incoming_observer(observer: IncomingObserver) -> None:
    if observer not in _observers:
        _observers.append(observer)


def incoming_observers() -> list[IncomingObserver]:
    return list(_observers)
