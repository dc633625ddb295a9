"""WebSocket consumers of the office app: the live acknowledgement matrix of a directive.

Thin: the socket only says "changed"; the page then reloads its matrix fragment through HTMX,
which applies the reader's scope again. Visibility is checked at connection and again for every
event, from the database each time: a socket lives for hours, a grant can be revoked meanwhile.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import live
from . import selectors_directives as selectors

# Close codes the page understands (directives.js): no session, or no right to this directive.
UNAUTHENTICATED = 4401
FORBIDDEN = 4403


class DirectiveMatrixConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def _visible(self) -> bool:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return False
        directive_id = self.scope["url_route"]["kwargs"]["directive_id"]
        return bool(
            await database_sync_to_async(selectors.directive_visible)(
                user_id=user.pk, directive_id=directive_id
            )
        )

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        if not await self._visible():
            await self.close(code=FORBIDDEN)
            return
        self.group = live.directive_group(self.scope["url_route"]["kwargs"]["directive_id"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def directive_changed(self, message: dict[str, Any]) -> None:
        if await self._visible():
            await self.send_json({"type": "changed"})
        else:
            await self.close(code=FORBIDDEN)
