"""The exchange listener: the Django ASGI application under Uvicorn on its own port, behind
mutual TLS (`tls.ssl_context`), serving only `/exchange/v1/...`.

Every request that reaches the application through this listener carries, in its ASGI scope:
- `scope["secretariat.exchange_mtls"] = True`: views that must only be reached by nodes insist
  on it (the public listener never sets it; no header can);
- `scope["secretariat.peer_certificate"]`: the DER of the client certificate TLS verified
  (chain to a trusted CA, validity, CRL when given). Which node it is, and whether the directory
  still lists it, is for the view to decide (`tls.node_id_of`, `tls.check_certificate`).

The peer certificate comes from a small subclass of Uvicorn's httptools protocol: it reads the
certificate once per connection from the TLS object (`ssl_object.getpeercert(binary_form=True)`)
and adds it to each request's scope. Uvicorn takes the protocol class as `http=`.

TLS material changes without a restart (`ExchangeServer.update_tls`, or a `refresh` callable
polled every few minutes): a new CRL must reach the listener before the old one expires, else
every handshake fails. New connections use the new context (swapped in the SNI callback,
which OpenSSL calls on every handshake, with or without a server name); open connections keep
theirs. Whether CRLs are checked at all is fixed when the listener starts (OpenSSL copies the
verification flags into each connection before the swap).
"""

from __future__ import annotations

import logging
import signal
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from secretariat.core.keys import node_signing_key

from . import tls
from .views_node import MTLS_SCOPE_KEY, PEER_SCOPE_KEY

logger = logging.getLogger(__name__)

PATH_PREFIX = "/exchange/v1/"
# Longer than the clients' reuse limit (transport.MAX_IDLE_SECONDS), so a client never sends on
# a connection the server is closing for idleness.
KEEP_ALIVE_SECONDS = 60
GRACEFUL_SHUTDOWN_SECONDS = 30
REFRESH_SECONDS = 300.0

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class TLSMaterial:
    """What the listener presents and trusts."""

    certificate_pem: bytes
    ca_pems: Sequence[bytes]
    crl_ders: Sequence[bytes]
    key: Ed25519PrivateKey | None = None  # None: the node key


class ExchangeOnly:
    """Serves `/exchange/v1/...` of the wrapped application and answers 404 to anything else
    without reaching it (the admin, the pages and the API are not for other nodes)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no websockets (ws="none") and no lifespan (off) on this listener
        path = str(scope.get("path", ""))
        if not path.startswith(PATH_PREFIX) or _has_dot_segment(path):
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": b"Not found.\n"})
            return
        await self.app({**scope, MTLS_SCOPE_KEY: True}, receive, send)


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))


class PeerCertificateProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol, adding the verified peer certificate to each scope."""

    peer_certificate: bytes | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        self.peer_certificate = (
            ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        cast(dict[str, Any], self.scope)[PEER_SCOPE_KEY] = self.peer_certificate


class _Uvicorn(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()


class ExchangeServer:
    """One exchange listener. The socket is bound at construction (so `port` is known, also
    for port 0); `run()` serves until SIGTERM/SIGINT (main thread) or `stop()`; `start()` runs
    it in a thread (tests, or a process that does other work)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        material: TLSMaterial,
        app: ASGIApp | None = None,
        refresh: Callable[[], TLSMaterial | None] | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        on_started: Callable[[ExchangeServer], None] | None = None,
        log_level: str = "warning",
    ) -> None:
        self.host = host
        self._on_started = on_started
        self._checks_crls = bool(material.crl_ders)
        self._base = _context(material)
        self._current = self._base
        self._base.sni_callback = self._choose_context
        self._refresh = refresh
        self._refresh_seconds = refresh_seconds
        self._stopped = threading.Event()
        self._started = threading.Event()
        self._thread: threading.Thread | None = None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            ExchangeOnly(app or _django_application()),
            http=PeerCertificateProtocol,
            ws="none",
            lifespan="off",
            interface="asgi3",
            proxy_headers=False,  # peers are identified by certificate, never by a header
            server_header=False,
            access_log=False,
            log_config=None,  # leave Django's logging as configured
            log_level=log_level,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            ssl_context_factory=lambda _config, _default: self._base,
        )
        self._server = _Uvicorn(config, on_started=self._notify_started)

    def _notify_started(self) -> None:
        self._started.set()
        if self._on_started is not None:
            self._on_started(self)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def update_tls(self, material: TLSMaterial) -> None:
        """Present and trust `material` on new connections from now on."""
        if bool(material.crl_ders) != self._checks_crls:
            raise ValueError(
                "whether CRLs are checked is fixed when the listener starts: restart it"
            )
        self._current = _context(material)

    def _choose_context(
        self, ssl_object: ssl.SSLObject, _server_name: str | None, _context: ssl.SSLContext
    ) -> None:
        current = self._current
        if current is not self._base:
            ssl_object.context = current

    def run(self) -> None:
        """Serve until stopped. In the main thread, SIGTERM and SIGINT stop it gracefully
        (open requests finish, up to GRACEFUL_SHUTDOWN_SECONDS) and `run` returns."""
        refresher = self._start_refresher()
        quiet = _quiet_signals() if threading.current_thread() is threading.main_thread() else {}
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._stopped.set()
            for number, handler in quiet.items():
                signal.signal(number, handler)
            if refresher is not None:
                refresher.join(timeout=5)
            self._socket.close()

    def start(self, *, timeout: float = 15.0) -> None:
        """Serve in a daemon thread; returns once the listener accepts connections."""
        self._thread = threading.Thread(target=self.run, name="exchange-listener", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout) or not self._thread.is_alive():
            self.stop()
            raise RuntimeError("the exchange listener did not start")

    def stop(self, *, timeout: float = 15.0) -> None:
        self._server.should_exit = True
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    @property
    def started(self) -> bool:
        return self._started.is_set()

    def _start_refresher(self) -> threading.Thread | None:
        if self._refresh is None:
            return None
        thread = threading.Thread(target=self._refresh_loop, name="exchange-tls-refresh")
        thread.daemon = True
        thread.start()
        return thread

    def _refresh_loop(self) -> None:
        assert self._refresh is not None
        while not self._stopped.wait(self._refresh_seconds):
            try:
                material = self._refresh()
                if material is not None:
                    self.update_tls(material)
            except Exception:
                # Keep serving with the material in force; the next round tries again.
                logger.exception("exchange listener: the TLS material could not be refreshed")


def _context(material: TLSMaterial) -> ssl.SSLContext:
    return tls.ssl_context(
        server=True,
        certificate_pem=material.certificate_pem,
        key=material.key or node_signing_key(),
        ca_pems=material.ca_pems,
        crl_ders=material.crl_ders,
    )


def _django_application() -> ASGIApp:
    from secretariat.config.asgi import application

    return cast(ASGIApp, application)


def _quiet_signals() -> dict[int, Any]:
    """Uvicorn stops gracefully on SIGTERM/SIGINT, then raises the signal again for the
    handler that was there before. Install one that does nothing, so `run` returns normally
    (exit status 0) instead of the process dying after its clean shutdown."""
    previous: dict[int, Any] = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, lambda *_args: None)
    return previous


def serve(
    *,
    host: str,
    port: int,
    certificate_pem: bytes,
    ca_pems: Sequence[bytes],
    crl_ders: Sequence[bytes],
    key: Ed25519PrivateKey | None = None,
    refresh: Callable[[], TLSMaterial | None] | None = None,
    refresh_seconds: float = REFRESH_SECONDS,
    on_started: Callable[[ExchangeServer], None] | None = None,
) -> None:
    """Run the exchange listener for the Django application until SIGTERM. `key` defaults to
    the node key. `refresh`, when given, is called every `refresh_seconds` from a thread and
    may return new TLS material (a new CRL or directory) to use on new connections.
    `on_started` is called once the listener accepts connections."""
    ExchangeServer(
        host=host,
        port=port,
        material=TLSMaterial(certificate_pem, tuple(ca_pems), tuple(crl_ders), key),
        refresh=refresh,
        refresh_seconds=refresh_seconds,
        on_started=on_started,
    ).run()
