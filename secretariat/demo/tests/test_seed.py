"""The demo province: realistic, complete, idempotent, and verifiable."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from secretariat.accounts.models import RoleGrant, User
from secretariat.audit.models import AuditEvent
from secretariat.documents.models import Document, RegisterEntry
from secretariat.orgs.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Unit.objects.count(),
        User.objects.count(),
        RoleGrant.objects.count(),
        Document.objects.count(),
        TOTPDevice.objects.count(),
    )


def test_seed_demo_builds_the_province_and_is_idempotent(settings: Any) -> None:
    settings.DEMO = True
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    kinds = list(Unit.objects.values_list("kind", flat=True))
    assert kinds.count("provincial_committee") == 1
    assert kinds.count("commune_committee") + kinds.count("ward_committee") >= 10
    assert kinds.count("agency_committee") == 3
    assert 55 <= kinds.count("cell") <= 65
    assert 140 <= User.objects.count() <= 170

    roles = {
        g.user.username: (g.role, g.unit.kind)
        for g in RoleGrant.objects.select_related("user", "unit")
    }
    assert roles["admin"] == ("system_admin", "provincial_committee")
    assert roles["clerk"] == ("records_clerk", "office")
    assert roles["leader"] == ("leader", "office")
    assert roles["secretary"] == ("meeting_secretary", "standing_committee")
    member = User.objects.get(username="member")
    assert not member.role_grants.exists()
    assert member.positions.get().unit.kind == "cell"
    # Second factor enrolled for the demo accounts whose role requires one.
    for username in ("admin", "clerk", "leader", "auditor"):
        assert TOTPDevice.objects.filter(user__username=username, confirmed=True).exists()
    # Demo documents are registered incoming documents of the Office, numbered 1, 2, 3…
    numbers = sorted(RegisterEntry.objects.values_list("number", flat=True))
    assert numbers
    assert numbers == list(range(1, len(numbers) + 1))

    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first

    out = io.StringIO()
    call_command("units", "--json", stdout=out)
    listed = json.loads(out.getvalue())
    assert {"code", "name", "kind", "parent_code"} <= set(listed[0])
    assert len(listed) == first[0]
    assert AuditEvent.objects.filter(action="orgs.unit_created").count() == first[0]


def test_seed_demo_refuses_outside_demo_mode(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.DEMO = False
    with pytest.raises(CommandError, match="demo mode"):
        call_command("seed_demo", stdout=io.StringIO())
    assert Unit.objects.count() == 0
