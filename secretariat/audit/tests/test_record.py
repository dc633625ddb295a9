"""`record` chains events in the caller's transaction and announces them after commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from secretariat.audit import live, services
from secretariat.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_events_form_a_chain(record_events: Callable[..., Any]) -> None:
    events = record_events(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == services.GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    stored = AuditEvent.objects.get(seq=2)
    assert services.event_hash(stored) == stored.hash == events[1].hash


def test_record_outside_a_transaction_is_refused(transactional_db: Any) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.record(actor=None, action="test.event")


def test_rolled_back_change_leaves_no_event(db: Any) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            services.record(actor=None, action="test.event")
            raise ValueError("the change itself failed")

    with pytest.raises(ValueError, match="the change itself failed"):
        change_that_fails()
    assert not AuditEvent.objects.exists()


def test_data_is_stored_as_hashed(make_user: Callable[..., Any], tree: dict[str, Any]) -> None:
    """A UUID in `data` is stored as the string it was hashed as, so the hash still verifies."""
    actor = make_user("clerk")
    ref = uuid.uuid4()
    with transaction.atomic():
        event = services.record(
            actor=actor,
            action="orgs.unit_renamed",
            unit=tree["commune_a"],
            obj=tree["cell_a"],
            before={"name": "old"},
            after={"name": "new"},
            data={"ref": ref, "code": "000.01.01.T68"},
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.data == {"ref": str(ref), "code": "000.01.01.T68"}
    assert services.event_hash(stored) == stored.hash
    assert stored.actor_username == "clerk"
    assert stored.actor_id == actor.pk
    assert stored.unit_id == tree["commune_a"].pk
    assert stored.object_id == str(tree["cell_a"].pk)
    assert stored.object_type == "orgs.unit"
    assert stored.before_digest
    assert stored.before_digest != stored.after_digest
    assert services.verify_log().ok


def _receive(layer: Any, channel: str) -> Any:
    async def receive() -> Any:
        # A timeout, so a message that never comes fails the test instead of hanging it.
        return await asyncio.wait_for(layer.receive(channel), timeout=2)

    return async_to_sync(receive)()


def test_committed_event_is_published_to_the_activity_group(
    db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.ACTIVITY_GROUP, channel)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            with transaction.atomic():
                event = services.record(actor=None, action="orgs.unit_created")
            live.flush()
            # Nothing is sent before the commit.
            assert layer.channels.get(channel) is None or layer.channels[channel].empty()
        for callback in callbacks:
            callback()
        live.flush()
        message = _receive(layer, channel)
    finally:
        async_to_sync(layer.group_discard)(live.ACTIVITY_GROUP, channel)
    assert message == {"type": "activity.event", "seq": event.seq, "action": "orgs.unit_created"}


def test_no_channel_layer_is_silently_skipped(
    db: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CHANNEL_LAYERS = {}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.record(actor=None, action="test.event")
    assert AuditEvent.objects.count() == 1
