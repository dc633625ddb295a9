"""The meeting room's WebSocket: /ws/meetings/<meeting_id>/.

At connection the socket checks that the user may see the meeting (`access.may_see`: invited,
chair, secretary or organizer), joins the user's own group, registers with the meeting's hub,
and sends the whole state of the room as this user sees it (`snapshot.build_for`).

Then it only forwards: every committed change arrives as a "meeting.event" group message that
already carries its data (`live.changed`) and goes out as {"type": "event", "seq", "topic",
"data"} without touching the database. What may differ between participants (may I vote,
have I voted) is not in an event: the client asks for a new snapshot when it needs one
({"type": "resync"}), and does so after a gap in the sequence numbers or a reconnection.

Fan-out: a thousand sockets of one meeting in a server process do not each join the meeting's
group. One `_Hub` per process and meeting does, on a channel of its own: it receives each event
once, encodes it once, and writes the same text to every socket of the meeting in the process.
The channel layer then carries one copy per process instead of one per socket, and no consumer
is woken through the layer's dispatch per event (bench/meeting_fanout.py: a vote's result
reaches 1,000 sockets well within a second on two cores).

A withdrawn invitation arrives on the user's group ("meeting.withdrawn") and closes the socket
with 4403, like a refusal at connection; 4401 means no session.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder

from . import access, live, snapshot
from .models import Meeting

logger = logging.getLogger(__name__)

# Close codes room.js understands: no session; not (or no longer) allowed to see this meeting.
UNAUTHENTICATED = 4401
FORBIDDEN = 4403


def _visible(user: Any, meeting_id: Any) -> bool:
    meeting = Meeting.objects.select_related("unit").filter(pk=meeting_id).first()
    return meeting is not None and access.may_see(user, meeting)


def _encode(content: Any) -> str:
    # Dates, decimals and UUIDs as Django writes them.
    return json.dumps(content, cls=DjangoJSONEncoder, separators=(",", ":"))


class _Hub:
    """The meeting's group membership of this process (per event loop): one channel in the
    group, the sockets of the meeting served from it."""

    hubs: dict[tuple[int, str], _Hub] = {}

    def __init__(self, layer: Any, meeting_id: Any) -> None:
        self.layer = layer
        self.group = live.group(meeting_id)
        self.sockets: set[MeetingConsumer] = set()
        self.channel = ""
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    @classmethod
    async def join(cls, socket: MeetingConsumer, meeting_id: Any) -> None:
        key = (id(asyncio.get_running_loop()), live.group(meeting_id))
        hub = cls.hubs.get(key)
        if hub is None or hub.layer is not socket.channel_layer:
            hub = cls.hubs[key] = cls(socket.channel_layer, meeting_id)
            hub.task = asyncio.ensure_future(hub.run())
        hub.sockets.add(socket)
        await hub.ready.wait()

    @classmethod
    async def leave(cls, socket: MeetingConsumer, meeting_id: Any) -> None:
        key = (id(asyncio.get_running_loop()), live.group(meeting_id))
        hub = cls.hubs.get(key)
        if hub is None:
            return
        hub.sockets.discard(socket)
        if not hub.sockets:
            del cls.hubs[key]
            await hub.stop()

    async def run(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.ready.set()
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken layer connection: keep serving once it is back
                logger.warning("meeting hub: receive failed", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message.get("type") != "meeting.event":
                continue
            text = _encode(
                {
                    "type": "event",
                    "seq": message.get("seq"),
                    "topic": message.get("topic"),
                    "data": message.get("data") or {},
                }
            )
            for socket in list(self.sockets):
                await socket.forward(text)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.channel:
            await self.layer.group_discard(self.group, self.channel)


class MeetingConsumer(AsyncJsonWebsocketConsumer):
    meeting_id: Any = None
    joined: tuple[str, ...] = ()
    held: list[str] | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        if not await database_sync_to_async(_visible)(user, meeting_id):
            await self.close(code=FORBIDDEN)
            return
        self.meeting_id = meeting_id
        self.joined = (live.user_group(meeting_id, user.pk),)
        for name in self.joined:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.accept()
        # Events are held back until the snapshot is out; the hub is joined before the
        # snapshot is read: an event committed meanwhile is in the snapshot already (its seq is
        # not newer) or comes after it.
        self.held = []
        await _Hub.join(self, meeting_id)
        await self._send_snapshot()
        held, self.held = self.held or [], None
        for text in held:
            await self.send(text_data=text)

    async def forward(self, text: str) -> None:
        if self.held is not None:
            self.held.append(text)
            return
        try:
            await self.send(text_data=text)
        except Exception:  # the socket went away meanwhile; its disconnect cleans up
            logger.debug("meeting socket gone", exc_info=True)

    async def disconnect(self, code: int) -> None:
        if self.meeting_id is not None:
            await _Hub.leave(self, self.meeting_id)
        for name in self.joined:
            await self.channel_layer.group_discard(name, self.channel_name)
        self.joined = ()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            await self._send_snapshot()

    async def _send_snapshot(self) -> None:
        state = await database_sync_to_async(snapshot.build_for)(
            meeting_id=self.meeting_id, user=self.scope["user"]
        )
        if state is None:  # the invitation went away between the check and the read
            await self.close(code=FORBIDDEN)
            return
        await self.send_json(state)

    async def meeting_withdrawn(self, message: dict[str, Any]) -> None:
        await self.close(code=FORBIDDEN)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return _encode(content)
