"""The exchange listener and client over real mutual TLS on loopback: certificates of the
built-in CA (test database), an exchange listener in a thread serving a small recording ASGI
application, and `exchange_serve` itself in a subprocess."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import select
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings

from secretariat.core import clock
from secretariat.exchange import server as listener
from secretariat.exchange import tls, transport
from secretariat.exchange.tests.test_tls import (
    ForeignCA,
    Node,
    ca_pem,
    context_for,
    crl_der,
    make_node,
)

PATH = "/exchange/v1/packages"


class Recorder:
    """A tiny ASGI application: records what reached it and answers the SHA-256 of the body.
    `/exchange/v1/status/<n>` answers status n; `/exchange/v1/slow` waits two seconds."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        path = scope["path"]
        self.requests.append(
            {
                "path": path,
                "client": scope["client"],
                "mtls": scope.get(listener.MTLS_SCOPE_KEY),
                "peer": scope.get(listener.PEER_SCOPE_KEY),
                "content_type": dict(scope["headers"]).get(b"content-type"),
                "size": len(body),
            }
        )
        status = 200
        if path.startswith("/exchange/v1/status/"):
            status = int(path.rsplit("/", 1)[1])
        if path == "/exchange/v1/slow":
            await asyncio.sleep(2)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send(
            {"type": "http.response.body", "body": hashlib.sha256(body).hexdigest().encode()}
        )


Listen = Callable[..., tuple[listener.ExchangeServer, Recorder]]


@pytest.fixture
def listen(db: Any) -> Iterator[Listen]:
    """listen(node, crls=False, port=0) -> (started listener, its recorder)."""
    started: list[listener.ExchangeServer] = []

    def _listen(
        node: Node, *, crls: bool = False, port: int = 0
    ) -> tuple[listener.ExchangeServer, Recorder]:
        recorder = Recorder()
        server = listener.ExchangeServer(
            host="127.0.0.1",
            port=port,
            material=listener.TLSMaterial(
                node.pem, (ca_pem(),), (crl_der(),) if crls else (), node.key
            ),
            app=recorder,
        )
        server.start()
        started.append(server)
        return server, recorder

    yield _listen
    for server in started:
        server.stop()


@pytest.fixture
def client() -> Iterator[transport.ExchangeClient]:
    found = transport.ExchangeClient()
    yield found
    found.close()


def _post(
    client: transport.ExchangeClient,
    server: listener.ExchangeServer,
    context: ssl.SSLContext,
    *,
    path: str = PATH,
    body: bytes = b"package",
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    return client.post(address=server.url, path=path, body=body, context=context, timeout=timeout)


def _refused(
    client: transport.ExchangeClient,
    server: listener.ExchangeServer,
    context: ssl.SSLContext,
) -> transport.TransportError:
    with pytest.raises(transport.TransportError) as caught:
        _post(client, server, context)
    return caught.value


# --- Working exchange --------------------------------------------------------------------------


def test_a_post_over_mutual_tls_reaches_the_exchange_path_with_the_peer_certificate(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, recorder = listen(make_node("server"), crls=True)
    sender = make_node("sender")
    body = os.urandom(100 * 1024)
    status, answer = client.post(
        address=server.url,
        path=PATH,
        body=memoryview(body),
        context=context_for(sender, server=False, crls=True),
        content_type="application/vnd.secretariat.packages",
    )
    assert (status, answer) == (200, hashlib.sha256(body).hexdigest().encode())
    [seen] = recorder.requests
    assert seen["path"] == PATH
    assert seen["size"] == len(body)
    assert seen["mtls"] is True
    assert seen["peer"] == sender.der
    assert seen["content_type"] == b"application/vnd.secretariat.packages"


def test_other_paths_are_not_served_on_the_exchange_listener(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, recorder = listen(make_node("server"))
    context = context_for(make_node("sender"), server=False)
    for path in ("/admin/", "/", "/exchange/v1", "/exchange/v1/../../admin/", "/exchange/v2/x"):
        assert _post(client, server, context, path=path) == (404, b"Not found.\n")
    assert recorder.requests == []


def test_answers_below_500_are_returned_and_server_errors_are_retryable(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, _recorder = listen(make_node("server"))
    context = context_for(make_node("sender"), server=False)
    status, answer = _post(client, server, context, path="/exchange/v1/status/409")
    assert status == 409
    assert answer == hashlib.sha256(b"package").hexdigest().encode()
    with pytest.raises(transport.TransportError) as caught:
        _post(client, server, context, path="/exchange/v1/status/503")
    assert caught.value.reason == "server_error"
    assert caught.value.retryable
    assert caught.value.http_status == 503


def test_two_posts_share_one_connection(listen: Listen, client: transport.ExchangeClient) -> None:
    server, recorder = listen(make_node("server"))
    context = context_for(make_node("sender"), server=False)
    _post(client, server, context)
    _post(client, server, context, body=b"another")
    assert len(recorder.requests) == 2
    assert recorder.requests[0]["client"] == recorder.requests[1]["client"]
    assert client.connections_opened == 1


def test_a_new_tls_context_opens_a_new_connection(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, recorder = listen(make_node("server"))
    sender = make_node("sender")
    _post(client, server, context_for(sender, server=False))
    _post(client, server, context_for(sender, server=False))  # a directory refresh
    assert recorder.requests[0]["client"] != recorder.requests[1]["client"]
    assert client.connections_opened == 2


def test_a_connection_the_server_closed_is_replaced(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server_node = make_node("server")
    first, _recorder = listen(server_node)
    context = context_for(make_node("sender"), server=False)
    _post(client, first, context)
    first.stop()  # closes the kept-alive connection
    second, recorder = listen(server_node, port=first.port)
    assert _post(client, second, context)[0] == 200
    assert len(recorder.requests) == 1
    assert client.connections_opened == 2


def test_threads_share_the_client(listen: Listen, client: transport.ExchangeClient) -> None:
    server, recorder = listen(make_node("server"))
    context = context_for(make_node("sender"), server=False)
    results: list[int] = []

    def send() -> None:
        for _ in range(10):
            results.append(_post(client, server, context, body=os.urandom(10_000))[0])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 40
    assert len(recorder.requests) == 40
    assert client.connections_opened <= 4


def test_a_refused_connection_is_retryable(db: Any, client: transport.ExchangeClient) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(transport.TransportError) as caught:
        client.post(
            address=f"https://127.0.0.1:{port}",
            path=PATH,
            body=b"x",
            context=context_for(make_node("sender"), server=False),
        )
    assert caught.value.reason == "connection_refused"
    assert caught.value.retryable


def test_a_slow_answer_times_out_retryably(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, _recorder = listen(make_node("server"))
    context = context_for(make_node("sender"), server=False)
    with pytest.raises(transport.TransportError) as caught:
        _post(client, server, context, path="/exchange/v1/slow", timeout=0.5)
    assert caught.value.reason == "timeout"
    assert caught.value.retryable


# --- The server refuses the client's certificate ----------------------------------------------


def test_a_client_without_certificate_is_refused(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, recorder = listen(make_node("server"))
    anonymous = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    anonymous.load_verify_locations(cadata=ca_pem().decode("ascii"))
    error = _refused(client, server, anonymous)
    # Uvicorn drops the connection without the TLS alert, and this context has no certificate
    # of ours to examine: refused, reason unknown.
    assert error.reason == "our_certificate_rejected"
    assert error.retryable
    assert recorder.requests == []


def test_a_client_certificate_of_another_ca_is_refused(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, recorder = listen(make_node("server"))
    intruder = ForeignCA.create().node()
    error = _refused(client, server, context_for(intruder, server=False))
    assert error.reason == "our_certificate_untrusted"
    assert "does not trust this node's certificate" in str(error.message)
    assert recorder.requests == []


def test_an_expired_client_certificate_is_refused(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server, recorder = listen(make_node("server"))
    expired = make_node("sender", not_before=clock.now() - dt.timedelta(days=40), valid_days=30)
    error = _refused(client, server, context_for(expired, server=False))
    assert error.reason == "our_certificate_expired"
    assert error.retryable
    assert recorder.requests == []


def test_a_revoked_client_certificate_is_refused_when_the_crl_is_loaded(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    revoked, good = make_node("revoked"), make_node("good")
    tls.revoke_node_certificate(actor=None, certificate=revoked.certificate)
    server, recorder = listen(make_node("server"), crls=True)
    error = _refused(client, server, context_for(revoked, server=False, crls=True))
    assert error.reason == "our_certificate_revoked"
    assert _post(client, server, context_for(good, server=False))[0] == 200
    assert [r["peer"] for r in recorder.requests] == [good.der]


def test_a_new_crl_reaches_new_connections_without_a_restart(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    server_node, sender = make_node("server"), make_node("sender")
    server, _recorder = listen(server_node, crls=True)
    assert _post(client, server, context_for(sender, server=False))[0] == 200
    tls.revoke_node_certificate(actor=None, certificate=sender.certificate)
    server.update_tls(
        listener.TLSMaterial(server_node.pem, (ca_pem(),), (crl_der(),), server_node.key)
    )
    error = _refused(client, server, context_for(sender, server=False, crls=True))
    assert error.reason == "our_certificate_revoked"
    # Refused all the same by a client that does not know of the revocation yet.
    assert _refused(client, server, context_for(sender, server=False)).reason == (
        "our_certificate_rejected"
    )
    with pytest.raises(ValueError, match="restart"):
        server.update_tls(listener.TLSMaterial(server_node.pem, (ca_pem(),), (), server_node.key))


def test_a_server_that_sends_the_alert_is_believed(
    db: Any, client: transport.ExchangeClient
) -> None:
    """A TLS server that says why it refuses (here Python's blocking ssl): the alert names the
    problem even when this node does not know it yet (no CRL here)."""
    import socket

    server_node, sender = make_node("server"), make_node("sender")
    tls.revoke_node_certificate(actor=None, certificate=sender.certificate)
    server_context = context_for(server_node, server=True, crls=True)
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]

    def refuse_once() -> None:
        accepted, _address = listening.accept()
        with accepted, pytest.raises(ssl.SSLCertVerificationError):
            server_context.wrap_socket(accepted, server_side=True)

    thread = threading.Thread(target=refuse_once)
    thread.start()
    try:
        with pytest.raises(transport.TransportError) as caught:
            client.post(
                address=f"https://127.0.0.1:{port}",
                path=PATH,
                body=b"x",
                context=context_for(sender, server=False),
            )
    finally:
        thread.join(timeout=10)
        listening.close()
    assert caught.value.reason == "our_certificate_revoked"
    assert "ALERT_CERTIFICATE_REVOKED" in caught.value.detail


# --- The client refuses the server's certificate ----------------------------------------------


def test_the_client_refuses_a_bad_server_certificate_and_says_why(
    listen: Listen, client: transport.ExchangeClient
) -> None:
    sender = make_node("sender")
    cases = {
        "peer_certificate_expired": make_node(
            "old", not_before=clock.now() - dt.timedelta(days=40), valid_days=30
        ),
        "peer_certificate_name_mismatch": make_node("elsewhere", "https://192.0.2.7:9443"),
        "peer_certificate_untrusted": ForeignCA.create().node("foreign"),
    }
    revoked = make_node("revoked")
    tls.revoke_node_certificate(actor=None, certificate=revoked.certificate)
    cases["peer_certificate_revoked"] = revoked
    for reason, server_node in cases.items():
        server, recorder = listen(server_node)
        error = _refused(client, server, context_for(sender, server=False, crls=True))
        assert (error.reason, error.retryable) == (reason, True)
        assert recorder.requests == []


# --- exchange_serve ----------------------------------------------------------------------------


def _read_line(process: subprocess.Popen[str], *, timeout: float = 30.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise AssertionError("exchange_serve said nothing")
    return process.stdout.readline().strip()


def test_exchange_serve_runs_django_behind_mutual_tls_reloads_and_stops_on_sigterm(
    db: Any, tmp_path: Path, client: transport.ExchangeClient
) -> None:
    server_node, sender = make_node("server"), make_node("sender")
    files = {
        "node.pem": server_node.pem,
        "key.pem": server_node.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "ca.pem": ca_pem(),
        "crl.der": crl_der(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "key.pem").chmod(0o600)
    environment = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SECRETARIAT_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'node.sqlite3'}",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "exchange_serve",
            "--port=0",
            f"--certificate={tmp_path / 'node.pem'}",
            f"--key={tmp_path / 'key.pem'}",
            f"--ca={tmp_path / 'ca.pem'}",
            f"--crl={tmp_path / 'crl.der'}",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(process)
        assert line.startswith("exchange listener ready on https://127.0.0.1:"), line
        address = line.rsplit(" ", 1)[1]
        context = context_for(sender, server=False, crls=True)

        def post(path: str) -> tuple[int, bytes]:
            return client.post(address=address, path=path, body=b"{}", context=context)

        assert post("/admin/login/") == (404, b"Not found.\n")
        status, answer = post("/exchange/v1/no-such-endpoint")
        assert status == 404
        assert answer != b"Not found.\n"

        tls.revoke_node_certificate(actor=None, certificate=sender.certificate)
        (tmp_path / "crl.der").write_bytes(crl_der())
        process.send_signal(signal.SIGHUP)
        assert _read_line(process) == "exchange listener: TLS material reloaded"
        client.close()
        context = context_for(sender, server=False, crls=True)
        with pytest.raises(transport.TransportError) as caught:
            post("/exchange/v1/no-such-endpoint")
        assert caught.value.reason == "our_certificate_revoked"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
        assert process.stdout is not None
        process.stdout.close()
