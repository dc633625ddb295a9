"""What the exchange offers the apps above it (they register in their `AppConfig.ready()`).

`StatusObserver`: told of every status message a recipient sends back about a package this node
sent (received, returned, accepted, assigned, processing, done), inside the transaction that
records it — so what the observer writes commits or rolls back with the status itself. Used by
the members registry to confirm a transfer of Party activity sent to another node.
"""

from __future__ import annotations

from typing import Any, Protocol


class StatusObserver(Protocol):
    def on_status(self, *, package_id: Any, code: str, description: str = "") -> None:
        """`package_id`: the sent package (OutboxPackage pk); `code`: the edXML status code
        ("01" … "06")."""


_status_observers: list[StatusObserver] = []


def register_status_observer(observer: StatusObserver) -> None:
    if observer not in _status_observers:
        _status_observers.append(observer)


def status_observers() -> tuple[StatusObserver, ...]:
    return tuple(_status_observers)
