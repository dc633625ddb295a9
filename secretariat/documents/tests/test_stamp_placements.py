"""The signature placement page: a node-wide signing administrator sets where the stamp goes
per document type; signing then draws it there."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.signing import appearance
from secretariat.signing.models import StampPlacement

pytestmark = pytest.mark.django_db


def test_node_administrator_sets_and_removes_a_placement(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    admin = make_user("admin", role=Role.SYSTEM_ADMIN, unit=tree["province"])
    client = client_for(admin)
    page = client.get(reverse("documents:stamp_placements")).content.decode()
    assert "Quyết định" in page  # the catalogue's types are offered
    saved = client.post(
        reverse("documents:stamp_placements"),
        {
            "document_type": "quyet_dinh",
            "kind": "personal",
            "page": 1,
            "x": 300,
            "y": 100,
            "width": 220,
            "height": 90,
        },
    )
    assert saved.status_code == 302
    placement = StampPlacement.objects.get(document_type="quyet_dinh")
    assert appearance.placement_for("quyet_dinh", "personal")[0] == 1
    assert AuditEvent.objects.filter(action="signing.placement_set").count() == 1
    removed = client.post(reverse("documents:stamp_placement_delete", args=[placement.pk]))
    assert removed.status_code == 302
    assert not StampPlacement.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"page": 0}, "page number"),
        ({"x": 1100, "width": 300}, "on the page"),
        ({"width": 10}, "too small"),
        ({"kind": "other"}, "valid choice"),
    ],
)
def test_bad_boxes_are_refused_and_nothing_is_stored(
    tree: dict[str, Any], make_user: Any, client_for: Any, change: dict[str, Any], message: str
) -> None:
    admin = make_user("admin", role=Role.SYSTEM_ADMIN, unit=tree["province"])
    data = {"document_type": "", "kind": "personal", "page": -1, "x": 300, "y": 60}
    data |= {"width": 220, "height": 90, **change}
    response = client_for(admin).post(reverse("documents:stamp_placements"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StampPlacement.objects.exists()


def test_a_unit_administrator_may_not(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    admin = make_user("unit_admin", role=Role.UNIT_ADMIN, unit=tree["commune_a"])
    assert client_for(admin).get(reverse("documents:stamp_placements")).status_code == 403
