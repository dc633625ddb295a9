"""Live updates over WebSockets: the activity consumer, on the in-memory and the Redis layer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from secretariat.audit import services as audit
from secretariat.web.consumers import ActivityConsumer

REDIS_LAYER = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/14"]},
    }
}
MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(params=["memory", "redis"])
def layer(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    settings.CHANNEL_LAYERS = REDIS_LAYER if request.param == "redis" else MEMORY_LAYER
    channel_layers.backends = {}
    yield request.param
    channel_layers.backends = {}


def _record(actor: Any, unit: Any) -> int:
    with transaction.atomic():
        return audit.record(actor=actor, action="test.event", unit=unit, data={"code": "x"}).seq


async def _session(
    user: Any, events: list[tuple[Any, Any]]
) -> tuple[list[int], list[dict[str, Any]]]:
    """Connect as `user`, record `events` (actor, unit) through the audit service, and collect
    what the socket pushes."""
    communicator = WebsocketCommunicator(ActivityConsumer.as_asgi(), "/ws/activity/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    received = [await communicator.receive_json_from(timeout=5)]
    seqs = [await database_sync_to_async(_record)(actor, unit) for actor, unit in events]
    while not await communicator.receive_nothing(timeout=1):
        received.append(await communicator.receive_json_from(timeout=5))
    await communicator.disconnect()
    return seqs, received


@pytest.mark.django_db(transaction=True)
def test_activity_pushes_only_visible_events(
    layer: str, tree: dict[str, Any], make_user: Any
) -> None:
    """A user receives their own new events and not another unit's."""
    alice = make_user("alice", position=(tree["cell_a"], "Đảng viên"))
    bob = make_user("bob", position=(tree["cell_b"], "Đảng viên"))

    (own, _foreign), messages = async_to_sync(_session)(
        alice, [(alice, tree["cell_a"]), (bob, tree["cell_b"])]
    )

    assert messages[0] == {"type": "hello", "username": "alice"}
    assert [m["seq"] for m in messages[1:]] == [own]


@pytest.mark.django_db(transaction=True)
def test_activity_refuses_anonymous(layer: str) -> None:
    async def connect() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(ActivityConsumer.as_asgi(), "/ws/activity/")
        communicator.scope["user"] = AnonymousUser()
        result = await communicator.connect()
        await communicator.disconnect()
        return result

    connected, code = async_to_sync(connect)()
    assert not connected
    assert code == 4401
