"""The agent's loopback WebSocket (`secretariat-agent serve`, a real subprocess on a SoftHSM2
token) spoken to by a WebSocket client the way the page's script does: who may connect, what a
command may point at, and a signature from command to completed session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from secretariat.signing import sessions
from secretariat.signing.models import SigningSession
from secretariat.signing.tests.agent_support import (
    PURPOSE,
    RecordingHandler,
    install_handler,
    register_token,
    serving,
    small_pdf,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> RecordingHandler:
    return install_handler(monkeypatch)


@pytest.fixture
def signer(make_user: Any) -> Any:
    return make_user("signer")


@pytest.fixture
def token(softhsm_token: Any, signer: Any) -> Any:
    register_token(signer, softhsm_token)
    return softhsm_token


def _messages(socket: Any) -> list[dict[str, Any]]:
    """What the agent says until its final word (a result or an error)."""
    said = []
    while True:
        message = json.loads(socket.recv(timeout=120))
        said.append(message)
        if message["event"] in ("result", "error", "pong"):
            return said


def test_a_page_of_another_site_cannot_connect(live_server: Any, token: Any) -> None:
    with serving(token, origins=[live_server.url]) as port:
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{port}", origin=Origin("https://evil.example"))
        assert refused.value.response.status_code == 403

        with connect(f"ws://127.0.0.1:{port}", origin=Origin(live_server.url)) as socket:
            socket.send(json.dumps({"action": "ping"}))
            assert _messages(socket)[-1]["event"] == "pong"


def test_serve_refuses_to_start_without_an_allowed_origin(token: Any) -> None:
    import subprocess

    from secretariat.signing.tests.agent_support import AGENT

    result = subprocess.run(
        [AGENT, "serve", "--module", token.module], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "--allowed-origin" in result.stderr


def test_a_command_cannot_send_the_agent_to_another_server(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any
) -> None:
    session, secret = sessions.open_session(
        actor=signer, purpose=PURPOSE, subject_id="7", pdf=small_pdf(), file_name="a.pdf"
    )
    links = sessions.agent_links(session, secret)
    with (
        serving(token, origins=[live_server.url]) as port,
        connect(
            f"ws://127.0.0.1:{port}",
            origin=Origin(live_server.url),
        ) as socket,
    ):
        socket.send(
            json.dumps(
                {
                    "action": "sign",
                    "mode": "pdf",
                    "download": "http://127.0.0.2:9/elsewhere.pdf",
                    "upload": live_server.url + links["upload"],
                }
            )
        )
        final = _messages(socket)[-1]
    assert final["event"] == "error"
    assert final["code"] == "bad_request"
    session.refresh_from_db()
    assert session.downloaded_at is None


@pytest.mark.parametrize("mode", ["pdf", "digest"])
def test_a_command_over_the_websocket_signs_and_completes_the_session(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any, mode: str
) -> None:
    original = small_pdf()
    session, secret = sessions.open_session(
        actor=signer, purpose=PURPOSE, subject_id="7", pdf=original, file_name="a.pdf", mode=mode
    )
    links = sessions.agent_links(session, secret)
    command: dict[str, Any] = {"action": "sign", "id": str(session.pk), "mode": mode}
    for name in ("download", "upload", "digest", "signature"):
        if name in links:
            command[name] = live_server.url + links[name]

    with (
        serving(token, origins=[live_server.url]) as port,
        connect(
            f"ws://127.0.0.1:{port}",
            origin=Origin(live_server.url),
        ) as socket,
    ):
        socket.send(json.dumps(command))
        said = _messages(socket)

    steps = [m["step"] for m in said if m["event"] == "progress"]
    assert steps == ["pin", "download", "sign", "upload"]
    final = said[-1]
    assert final["event"] == "result", final
    assert final["id"] == str(session.pk)
    assert final["answer"]["Status"] == 0
    assert SigningSession.objects.get(pk=session.pk).completed_at is not None
    assert handler.completed_with[0]["signed_pdf"].startswith(original)


def test_wrong_pin_over_the_websocket_is_an_error_and_the_session_stays_open(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any
) -> None:
    session, secret = sessions.open_session(
        actor=signer, purpose=PURPOSE, subject_id="7", pdf=small_pdf(), file_name="a.pdf"
    )
    links = sessions.agent_links(session, secret)
    with (
        serving(token, origins=[live_server.url], pin="999999") as port,
        connect(
            f"ws://127.0.0.1:{port}",
            origin=Origin(live_server.url),
        ) as socket,
    ):
        socket.send(
            json.dumps(
                {
                    "action": "sign",
                    "mode": "pdf",
                    "download": live_server.url + links["download"],
                    "upload": live_server.url + links["upload"],
                }
            )
        )
        final = _messages(socket)[-1]
    assert final["event"] == "error"
    assert final["code"] == "pin_incorrect"
    session.refresh_from_db()
    assert session.downloaded_at is None
    assert session.completed_at is None
