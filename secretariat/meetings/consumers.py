"""The meeting room's WebSocket (being written)."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class MeetingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.close(code=4404)
