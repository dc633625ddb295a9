"""The page side in headless Chromium: `agent.js` and the `_agent_button.html` include hand the
one-time URLs to the running agent over its loopback WebSocket, show its progress, follow the
session's status and reload when the server has the signed document; and say clearly when no
agent is running."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from secretariat.signing import sessions
from secretariat.signing.tests.agent_support import (
    PURPOSE,
    RecordingHandler,
    free_port,
    install_handler,
    register_token,
    serving,
    small_pdf,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> RecordingHandler:
    return install_handler(monkeypatch)


@pytest.fixture
def signer(make_user: Any) -> Any:
    return make_user("signer")


def _page_with_button(page: Any, live_server: Any, signer: Any, links: dict[str, Any]) -> None:
    """The signer's browser on a page of the server that renders the include (as the office's
    outgoing page does after opening the session)."""
    client = Client()
    client.force_login(signer)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/")
    button = render_to_string("signing/_agent_button.html", {"agent": links})
    page.set_content(
        f'<!doctype html><html lang="en"><head><base href="{live_server.url}/"></head>'
        f"<body><main>{button}</main></body></html>"
    )


def test_the_button_drives_the_running_agent_and_reloads_when_signed(
    page: Any, live_server: Any, handler: RecordingHandler, signer: Any, softhsm_token: Any
) -> None:
    register_token(signer, softhsm_token)
    original = small_pdf()
    session, secret = sessions.open_session(
        actor=signer, purpose=PURPOSE, subject_id="9", pdf=original, file_name="a.pdf"
    )
    links = {**sessions.agent_links(session, secret), "autostart": False}

    with serving(softhsm_token, origins=[live_server.url]) as port:
        links["port"] = port
        _page_with_button(page, live_server, signer, links)
        button = page.locator("[data-signing-agent]")
        with page.expect_navigation(timeout=90_000):
            button.click()

    session.refresh_from_db()
    assert session.completed_at is not None
    [stored] = handler.completed_with
    assert stored["signed_pdf"].startswith(original)
    # The reload brought the browser back to the server's page.
    assert page.url.startswith(live_server.url)


def test_the_page_says_so_when_no_agent_is_running(
    page: Any, live_server: Any, handler: RecordingHandler, signer: Any
) -> None:
    session, secret = sessions.open_session(
        actor=signer, purpose=PURPOSE, subject_id="9", pdf=small_pdf(), file_name="a.pdf"
    )
    links = {**sessions.agent_links(session, secret), "port": free_port()}

    _page_with_button(page, live_server, signer, links)  # autostart: tries at once

    status = page.locator("[data-signing-agent-status]")
    status.filter(has_text="The signing agent is not running on this computer").wait_for()
    assert "secretariat-agent serve" in status.inner_text()
    assert page.locator("[data-signing-agent]").is_enabled()
    session.refresh_from_db()
    assert session.downloaded_at is None
