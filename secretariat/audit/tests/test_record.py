"""`record` chains events in the caller's transaction and announces them after commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers, get_channel_layer
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


@pytest.fixture(params=["memory", "redis"])
def layer(request: pytest.FixtureRequest, settings: Any) -> Any:
    backend = (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/12"]},
        }
        if request.param == "redis"
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
    settings.CHANNEL_LAYERS = {"default": backend}
    channel_layers.backends = {}
    yield get_channel_layer()
    channel_layers.backends = {}


def test_committed_event_is_published_to_the_activity_group(
    db: Any, layer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """One event loop for the whole exchange: a channel layer's receive buffers belong to it."""

    async def receive(channel: str, timeout: float) -> Any:
        try:
            return await asyncio.wait_for(layer.receive(channel), timeout=timeout)
        except TimeoutError:
            return None

    def record_uncommitted() -> tuple[AuditEvent, list[Callable[[], None]]]:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            with transaction.atomic():
                event = services.record(actor=None, action="orgs.unit_created")
            live.flush()
        return event, callbacks

    def commit(callbacks: list[Callable[[], None]]) -> None:
        for callback in callbacks:
            callback()
        live.flush()

    async def scenario() -> tuple[AuditEvent, Any, Any]:
        channel = await layer.new_channel()
        await layer.group_add(live.ACTIVITY_GROUP, channel)
        try:
            event, callbacks = await sync_to_async(record_uncommitted)()
            before_commit = await receive(channel, 0.3)
            await sync_to_async(commit)(callbacks)
            after_commit = await receive(channel, 2)
        finally:
            await layer.group_discard(live.ACTIVITY_GROUP, channel)
        return event, before_commit, after_commit

    event, before_commit, after_commit = async_to_sync(scenario)()
    assert before_commit is None  # nothing is sent before the commit
    assert after_commit == {
        "type": "activity.event",
        "seq": event.seq,
        "action": "orgs.unit_created",
    }


def test_no_channel_layer_is_silently_skipped(
    db: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CHANNEL_LAYERS = {}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.record(actor=None, action="test.event")
    assert AuditEvent.objects.count() == 1
