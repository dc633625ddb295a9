"""The live matrix socket: who may subscribe, what it pushes, and the re-check on every event."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from secretariat.accounts.models import Role, RoleGrant
from secretariat.config.routing import websocket_urlpatterns
from secretariat.core import clock
from secretariat.office.models import DirectiveRecipient
from secretariat.office.services import directives as services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    sender = make_user("sender", role=Role.LEADER, unit=tree["province"])
    directive = services.directive_send(
        actor=sender,
        unit=tree["province"],
        title="Ứng phó lũ",
        body="Báo cáo ngay.",
        target=tree["commune_a"],
        include_subtree=True,
        acknowledge_within_hours=2,
    )
    return {
        "sender": sender,
        "directive": directive,
        "leader_a": make_user("leader_a", role=Role.LEADER, unit=tree["commune_a"]),
        "leader_b": make_user("leader_b", role=Role.LEADER, unit=tree["commune_b"]),
        "clerk_a": make_user("clerk_a", role=Role.RECORDS_CLERK, unit=tree["commune_a"]),
        "row_a": DirectiveRecipient.objects.select_related("unit").get(
            directive=directive, unit=tree["commune_a"]
        ),
    }


def _path(directive: Any) -> str:
    return f"/ws/office/directives/{directive.pk}/"


async def _connect(user: Any, directive: Any) -> tuple[WebsocketCommunicator, bool, Any]:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), _path(directive))
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


def test_a_user_of_another_unit_cannot_subscribe(setting: dict[str, Any]) -> None:
    async def scenario() -> list[tuple[bool, Any]]:
        results = []
        for user in (setting["leader_b"], AnonymousUser()):
            communicator, connected, code = await _connect(user, setting["directive"])
            results.append((connected, code))
            await communicator.disconnect()
        return results

    assert async_to_sync(scenario)() == [(False, 4403), (False, 4401)]


def test_the_sender_is_told_when_a_unit_acknowledges(setting: dict[str, Any]) -> None:
    async def scenario() -> tuple[dict[str, Any], bool]:
        communicator, connected, _ = await _connect(setting["sender"], setting["directive"])
        assert connected
        quiet_before = await communicator.receive_nothing(timeout=0.3)
        await database_sync_to_async(services.directive_acknowledge)(
            actor=setting["leader_a"], recipient=setting["row_a"]
        )
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message, quiet_before

    message, quiet_before = async_to_sync(scenario)()
    assert quiet_before
    assert message == {"type": "changed"}


def test_a_revoked_grant_stops_the_pushes(setting: dict[str, Any]) -> None:
    """Permission is checked again for every event, not only at connection."""

    def revoke() -> None:
        RoleGrant.objects.filter(user=setting["leader_a"]).update(revoked_at=clock.now())

    def acknowledge() -> None:
        services.directive_acknowledge(actor=setting["clerk_a"], recipient=setting["row_a"])

    async def scenario() -> dict[str, Any]:
        communicator, connected, _ = await _connect(setting["leader_a"], setting["directive"])
        assert connected
        await database_sync_to_async(revoke)()
        await database_sync_to_async(acknowledge)()
        output: dict[str, Any] = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return output

    output = async_to_sync(scenario)()
    # No "changed" for someone who lost the right: the socket is closed instead.
    assert output == {"type": "websocket.close", "code": 4403}
