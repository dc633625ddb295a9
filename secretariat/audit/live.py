"""Live activity: tell the Channels group "activity" that an audit event was committed
(through `core.live`, which never slows the writer; see its note)."""

from __future__ import annotations

from secretariat.core import live

# The Channels group the web layer's activity consumer joins.
ACTIVITY_GROUP = "activity"


def publish_event(*, seq: int, action: str) -> None:
    """Announce event `seq`; call it from `on_commit`."""
    live.publish(ACTIVITY_GROUP, {"type": "activity.event", "seq": seq, "action": action})


flush = live.flush
