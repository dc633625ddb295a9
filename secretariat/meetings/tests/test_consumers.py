"""The meeting room's WebSocket on the in-memory and on the Redis channel layer: who may
connect, the snapshot at connection, events forwarded in order, a resync after a gap, and the
socket closed when the invitation is withdrawn."""

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

from secretariat.accounts.models import Role
from secretariat.meetings import live
from secretariat.meetings.consumers import MeetingConsumer
from secretariat.meetings.models import Meeting, Participant, Presence

from .room_factories import make_meeting

# A database of its own on the local Redis: other tests use 12 to 14.
REDIS_LAYER = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/9"]},
    }
}
MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["memory", "redis"])
def layer(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    settings.CHANNEL_LAYERS = REDIS_LAYER if request.param == "redis" else MEMORY_LAYER
    channel_layers.backends = {}
    yield request.param
    channel_layers.backends = {}


@pytest.fixture
def room(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    secretary = make_user("secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("chair", position=(tree["cell_a"], "Bí thư"))
    member = make_user("member", position=(tree["cell_a"], "Đảng viên"))
    stranger = make_user("stranger", position=(tree["cell_b"], "Đảng viên"))
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=[member])
    return {"meeting": meeting, "secretary": secretary, "member": member, "stranger": stranger}


def _communicator(meeting: Meeting, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(MeetingConsumer.as_asgi(), f"/ws/meetings/{meeting.pk}/")
    communicator.scope["user"] = user
    communicator.scope["url_route"] = {"kwargs": {"meeting_id": meeting.pk}}
    return communicator


def _change(meeting: Meeting, topic: str, data: dict[str, Any]) -> int:
    """What a service does: a change and its live event in one transaction."""
    with transaction.atomic():
        return live.changed(meeting, topic=topic, data=data)


def _check_in(meeting: Meeting, user: Any) -> int:
    with transaction.atomic():
        Participant.objects.filter(meeting=meeting, user=user).update(presence=Presence.ROOM)
        return live.changed(meeting, topic="presence", data={"user_id": str(user.pk)})


def _withdraw(meeting: Meeting, user: Any) -> None:
    with transaction.atomic():
        Participant.objects.filter(meeting=meeting, user=user).delete()
        live.withdrawn(meeting, user.pk)


def _refused(meeting: Meeting, user: Any) -> tuple[bool, Any]:
    async def run() -> tuple[bool, Any]:
        communicator = _communicator(meeting, user)
        result = await communicator.connect()
        await communicator.disconnect()
        return result

    return async_to_sync(run)()


def test_anonymous_is_refused_with_4401(layer: str, room: dict[str, Any]) -> None:
    connected, code = _refused(room["meeting"], AnonymousUser())
    assert not connected
    assert code == 4401


def test_uninvited_user_is_refused_with_4403(layer: str, room: dict[str, Any]) -> None:
    connected, code = _refused(room["meeting"], room["stranger"])
    assert not connected
    assert code == 4403


def test_snapshot_at_connection_then_events_in_order(layer: str, room: dict[str, Any]) -> None:
    meeting, member = room["meeting"], room["member"]

    async def run() -> tuple[dict[str, Any], list[dict[str, Any]], list[int]]:
        communicator = _communicator(meeting, member)
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        seqs = [
            await database_sync_to_async(_change)(meeting, "agenda", {"n": 1}),
            await database_sync_to_async(_check_in)(meeting, member),
        ]
        events = [await communicator.receive_json_from(timeout=5) for _ in seqs]
        await communicator.disconnect()
        return first, events, seqs

    first, events, seqs = async_to_sync(run)()

    assert first["type"] == "snapshot"
    assert first["seq"] == 0
    assert first["meeting"]["title"] == meeting.title
    assert first["meeting"]["state"] == "in_session"
    assert [item["title"] for item in first["agenda"]] == ["Nội dung 1", "Nội dung 2"]
    assert first["me"]["participant_id"] is not None
    assert first["me"]["voting"] is True
    assert first["me"]["organizer"] is False
    assert first["vote"] is None
    assert len(first["presence"]["participants"]) == 3
    assert first["presence"]["quorum"]["present"] == 0
    assert first["presence"]["quorum"]["met"] is False
    assert first["speakers"] == {"speaking": None, "queue": []}
    assert events == [
        {"type": "event", "seq": seqs[0], "topic": "agenda", "data": {"n": 1}},
        {"type": "event", "seq": seqs[1], "topic": "presence", "data": {"user_id": str(member.pk)}},
    ]
    assert seqs == [1, 2]


def test_resync_after_a_gap_gives_the_current_state(layer: str, room: dict[str, Any]) -> None:
    """A client that missed events (here: they happened while it was not listening) asks for
    the whole state and gets it with the newest sequence number."""
    meeting, member, secretary = room["meeting"], room["member"], room["secretary"]

    async def run() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        communicator = _communicator(meeting, member)
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        await database_sync_to_async(_check_in)(meeting, member)
        await database_sync_to_async(_check_in)(meeting, secretary)
        # The client keeps only the last event: it sees seq 2 after 0, a gap.
        await communicator.receive_json_from(timeout=5)
        last = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "resync"})
        again = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first, last, again

    first, last, again = async_to_sync(run)()

    assert first["seq"] == 0
    assert last["seq"] == 2
    assert again["type"] == "snapshot"
    assert again["seq"] == 2
    assert again["presence"]["quorum"]["present"] == 2
    assert again["me"]["presence"] == Presence.ROOM
    assert again["me"]["present"] is True


def test_unknown_messages_from_the_client_are_ignored(layer: str, room: dict[str, Any]) -> None:
    meeting, member = room["meeting"], room["member"]

    async def run() -> bool:
        communicator = _communicator(meeting, member)
        await communicator.connect()
        await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "vote", "option": "x"})
        await communicator.send_json_to(["not", "an", "object"])
        quiet = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return quiet

    assert async_to_sync(run)()


def test_withdrawn_invitation_closes_the_socket(layer: str, room: dict[str, Any]) -> None:
    meeting, member, secretary = room["meeting"], room["member"], room["secretary"]

    async def run() -> tuple[Any, bool]:
        watcher = _communicator(meeting, secretary)
        communicator = _communicator(meeting, member)
        await watcher.connect()
        await watcher.receive_json_from(timeout=5)
        await communicator.connect()
        await communicator.receive_json_from(timeout=5)
        await database_sync_to_async(_withdraw)(meeting, member)
        closed = await communicator.receive_output(timeout=5)
        # Only the withdrawn participant's socket closes.
        watcher_quiet = await watcher.receive_nothing(timeout=0.3)
        await watcher.disconnect()
        return closed, watcher_quiet

    closed, watcher_quiet = async_to_sync(run)()
    assert closed == {"type": "websocket.close", "code": 4403}
    assert watcher_quiet


def test_withdrawn_participant_cannot_reconnect(layer: str, room: dict[str, Any]) -> None:
    _withdraw(room["meeting"], room["member"])
    connected, code = _refused(room["meeting"], room["member"])
    assert not connected
    assert code == 4403


def test_organizer_without_invitation_sees_the_room(
    layer: str, room: dict[str, Any], make_user: Any, tree: dict[str, Any]
) -> None:
    """A leader of the unit above organizes without being invited: connected, no vote."""
    leader = make_user("leader", role=Role.LEADER, unit=tree["commune_a"])

    async def run() -> dict[str, Any]:
        communicator = _communicator(room["meeting"], leader)
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first

    first = async_to_sync(run)()
    assert first["me"]["organizer"] is True
    assert first["me"]["participant_id"] is None
    assert first["me"]["voting"] is False
