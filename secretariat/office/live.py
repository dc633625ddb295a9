"""Live directive matrices: tell the Channels group of a directive that one of its recipients
changed, once the change is committed (through `core.live`; see its note)."""

from __future__ import annotations

from uuid import UUID

from secretariat.core import live


def directive_group(directive_id: UUID | str) -> str:
    """The Channels group of one directive's matrix (ASCII, under the 100-character limit)."""
    return f"office.directive.{UUID(str(directive_id)).hex}"


def publish_changed(*, directive_id: UUID | str) -> None:
    """Announce that a recipient of the directive changed. Call it from `on_commit` only: a
    rolled-back acknowledgement must not flash by on the sender's screen. A burst about one
    directive needs one push: the page reloads the whole matrix anyway."""
    live.publish(
        directive_group(directive_id),
        {"type": "directive.changed", "directive": str(directive_id)},
        coalesce=True,
    )


flush = live.flush
