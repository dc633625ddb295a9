"""The home page follows activity live: a WebSocket push makes it reload its activity table."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from secretariat.audit import services as audit

pytestmark = [pytest.mark.browser]


def test_home_page_shows_new_activity_without_reload(
    page: Any, asgi_live_server: str, make_user: Any, tree: dict[str, Any], client: Any
) -> None:
    user = make_user("watcher", position=(tree["cell_a"], "Đảng viên"))
    # The browser gets the session of a logged-in user (the sign-in pages have their own tests).
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_live_server}]
    )
    page.goto(f"{asgi_live_server}/")
    assert page.locator("#recent-activity").count() == 1
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(500)  # let the socket connect

    with transaction.atomic():
        audit.record(
            actor=user, action="orgs.unit_updated", unit=tree["cell_a"], data={"code": "LIVE-42"}
        )

    page.locator("#recent-activity", has_text="LIVE-42").wait_for(timeout=10_000)
    assert "Unit updated" in page.locator("#recent-activity").inner_text()
