"""The loopback WebSocket through which the web page starts a signature, as the desktop tools
officials already use do.

Listens on 127.0.0.1 only. The browser sends the page's `Origin`; connections from any origin not
given with --allowed-origin are refused at the handshake, and the URLs of a command must belong
to the origin of the page that sent it (a page cannot make the agent sign elsewhere).

Messages (JSON):
  page → agent  {"action": "ping"}
                {"action": "sign", "id": ..., "mode": "pdf", "download": URL, "upload": URL}
                {"action": "sign", "id": ..., "mode": "digest", "digest": URL, "signature": URL}
  agent → page  {"event": "pong", "version": ...}
                {"event": "progress", "id": ..., "step": "pin"|"download"|"sign"|"upload"}
                {"event": "result", "id": ..., "answer": {"Status": 0, ...}}
                {"event": "error", "id": ..., "code": ..., "message": ..., "answer": {...}|null}
One signature at a time: a command arriving meanwhile gets the error "busy".
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection, serve

from . import __version__, flows
from .errors import AgentError
from .protocol import Http
from .token import TokenConfig

logger = logging.getLogger("secretariat_agent")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def normalize_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


class Agent:
    def __init__(
        self,
        *,
        token: TokenConfig,
        pin: Callable[[], str],
        http: Http,
        allowed_origins: Sequence[str],
        timestamp_url: str | None = None,
        server_timestamp: bool = True,
    ) -> None:
        self.token = token
        self.pin = pin
        self.http = http
        self.allowed_origins = [normalize_origin(o) for o in allowed_origins]
        self.timestamp_url = timestamp_url
        self.server_timestamp = server_timestamp
        self._busy = asyncio.Lock()

    async def handle(self, connection: ServerConnection) -> None:
        origin = normalize_origin(
            connection.request.headers.get("Origin", "") if connection.request else ""
        )
        async for raw in connection:
            try:
                command = json.loads(raw)
                if not isinstance(command, dict):
                    raise ValueError
            except ValueError:
                await self._send(
                    connection, {"event": "error", "code": "bad_request", "message": "Not JSON."}
                )
                continue
            action = command.get("action")
            if action == "ping":
                await self._send(connection, {"event": "pong", "version": __version__})
            elif action == "sign":
                await self._sign(connection, origin, command)
            else:
                await self._send(
                    connection,
                    {
                        "event": "error",
                        "code": "bad_request",
                        "message": f"Unknown action {action!r}.",
                    },
                )

    async def _send(self, connection: ServerConnection, message: dict[str, Any]) -> None:
        await connection.send(json.dumps(message, ensure_ascii=False))

    def _urls(self, origin: str, command: dict[str, Any]) -> dict[str, str]:
        mode = command.get("mode", "pdf")
        names = ("download", "upload") if mode == "pdf" else ("digest", "signature")
        if mode not in ("pdf", "digest"):
            raise AgentError("bad_request", f"Unknown signing mode {mode!r}.")
        urls = {}
        for name in names:
            url = command.get(name)
            if not isinstance(url, str) or not url:
                raise AgentError("bad_request", f"The command has no “{name}” URL.")
            if origin_of(url) != origin:
                raise AgentError(
                    "bad_request", f"The “{name}” URL is not on the page's server ({origin})."
                )
            urls[name] = url
        return urls

    async def _sign(
        self, connection: ServerConnection, origin: str, command: dict[str, Any]
    ) -> None:
        ident = command.get("id")
        if self._busy.locked():
            await self._send(
                connection,
                {
                    "event": "error",
                    "id": ident,
                    "code": "busy",
                    "message": "Another signature is in progress.",
                    "answer": None,
                },
            )
            return
        async with self._busy:
            loop = asyncio.get_running_loop()

            def progress(step: str) -> None:
                asyncio.run_coroutine_threadsafe(
                    self._send(connection, {"event": "progress", "id": ident, "step": step}), loop
                )

            try:
                urls = self._urls(origin, command)
                if "download" in urls:
                    answer = await asyncio.to_thread(
                        flows.sign_pdf_url,
                        download=urls["download"],
                        upload=urls["upload"],
                        token=self.token,
                        pin=self.pin,
                        http=self.http,
                        timestamp_url=self.timestamp_url,
                        server_timestamp=self.server_timestamp,
                        progress=progress,
                    )
                else:
                    answer = await asyncio.to_thread(
                        flows.sign_digest_url,
                        digest=urls["digest"],
                        signature=urls["signature"],
                        token=self.token,
                        pin=self.pin,
                        http=self.http,
                        progress=progress,
                    )
            except AgentError as error:
                print(f"secretariat-agent: {error.message}", file=sys.stderr, flush=True)
                await self._send(
                    connection,
                    {
                        "event": "error",
                        "id": ident,
                        "code": error.code,
                        "message": error.message,
                        "answer": error.answer,
                    },
                )
                return
            except Exception as error:  # a bug: tell the page rather than hang it
                logger.exception("signing failed")
                await self._send(
                    connection,
                    {
                        "event": "error",
                        "id": ident,
                        "code": "internal",
                        "message": str(error),
                        "answer": None,
                    },
                )
                return
            print(
                f"secretariat-agent: signed {answer.get('FileName') or ''}".rstrip(),
                file=sys.stderr,
                flush=True,
            )
            await self._send(connection, {"event": "result", "id": ident, "answer": answer})


async def run(agent: Agent, *, port: int, ready: Callable[[int], None] | None = None) -> None:
    async with serve(
        agent.handle,
        "127.0.0.1",
        port,
        origins=list(agent.allowed_origins),  # type: ignore[arg-type]
        max_size=64 * 1024,
    ) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        if ready is not None:
            ready(bound)
        await server.serve_forever()
