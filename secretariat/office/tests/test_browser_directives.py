"""The sender's acknowledgement matrix follows the receiving units live: a WebSocket push makes
the page reload its matrix fragment, without reloading the page."""

from __future__ import annotations

from typing import Any

import pytest

from secretariat.accounts.models import Role
from secretariat.office.models import DirectiveRecipient
from secretariat.office.services import directives as services

pytestmark = [pytest.mark.browser]


def test_sender_matrix_updates_without_reload_when_a_unit_acknowledges(
    page: Any, asgi_live_server: str, make_user: Any, tree: dict[str, Any], client: Any
) -> None:
    sender = make_user("sender", role=Role.LEADER, unit=tree["province"])
    leader_a = make_user("leader_a", role=Role.LEADER, unit=tree["commune_a"])
    directive = services.directive_send(
        actor=sender,
        unit=tree["province"],
        title="Ứng phó bão số 3",
        body="Sơ tán dân khỏi vùng nguy hiểm.",
        target=tree["commune_a"],
        include_subtree=True,
        acknowledge_within_hours=2,
    )
    row = DirectiveRecipient.objects.select_related("unit").get(
        directive=directive, unit=tree["commune_a"]
    )
    client.force_login(sender)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_live_server}]
    )
    page.goto(f"{asgi_live_server}/office/directives/{directive.pk}/")
    counts = page.locator("#directive-counts")
    assert "0 of 2 units acknowledged" in counts.inner_text()
    # A marker on the document: a full reload would lose it, an HTMX swap keeps it.
    page.evaluate("() => { window.__notReloaded = true; }")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(500)  # let the socket connect

    services.directive_acknowledge(actor=leader_a, recipient=row)

    page.locator("#directive-counts", has_text="1 of 2 units acknowledged").wait_for(timeout=10_000)
    acknowledged = page.locator(
        f'tr[data-unit="{tree["commune_a"].code}"] td[data-col="acknowledged"]'
    )
    assert "Leader_A" in acknowledged.inner_text()
    assert page.evaluate("() => window.__notReloaded === true")
