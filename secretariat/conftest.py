"""Fixtures shared by every app's tests: a small organization tree and users with roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, TransactionTestCase

from secretariat.audit import triggers

# A transactional test database is emptied by a flush (DELETE / TRUNCATE), which the audit
# triggers rightly refuse. The test harness, like a database administrator, lifts them for the
# flush and puts them back.
_original_fixture_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown(self: TransactionTestCase) -> None:
    from django.db import connections

    for alias in self._databases_names(include_mirrors=False):
        triggers.remove(connections[alias])
    try:
        _original_fixture_teardown(self)
    finally:
        for alias in self._databases_names(include_mirrors=False):
            triggers.install(connections[alias])


TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]


@pytest.fixture
def tree(db: Any) -> dict[str, Any]:
    """province ─┬ office
    ├ commune_a ─ cell_a
    └ commune_b ─ cell_b"""
    from secretariat.orgs.models import Unit, UnitKind

    province = Unit.add_root(
        name="Tỉnh ủy Lâm Đồng",
        kind=UnitKind.PROVINCIAL_COMMITTEE,
        code="000.00.00.T68",
        abbreviation="TU",
    )
    office = province.add_child(
        name="Văn phòng Tỉnh ủy", kind=UnitKind.OFFICE, code="000.00.01.T68", abbreviation="VPTU"
    )
    commune_a = province.add_child(
        name="Đảng ủy xã Lạc Dương",
        kind=UnitKind.COMMUNE_COMMITTEE,
        code="000.01.00.T68",
        abbreviation="ĐU",
    )
    cell_a = commune_a.add_child(
        name="Chi bộ thôn Đăng Gia", kind=UnitKind.CELL, code="000.01.01.T68", abbreviation="CB"
    )
    commune_b = province.add_child(
        name="Đảng ủy phường Xuân Hương",
        kind=UnitKind.WARD_COMMITTEE,
        code="000.02.00.T68",
        abbreviation="ĐU",
    )
    cell_b = commune_b.add_child(
        name="Chi bộ tổ dân phố 3", kind=UnitKind.CELL, code="000.02.01.T68", abbreviation="CB"
    )
    units = {
        "province": province,
        "office": office,
        "commune_a": commune_a,
        "cell_a": cell_a,
        "commune_b": commune_b,
        "cell_b": cell_b,
    }
    from secretariat.orgs.models import Unit as U

    return {k: U.objects.get(pk=v.pk) for k, v in units.items()}


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """make_user("alice", role="unit_admin", unit=u, subtree=True, position=(unit, title))."""
    from secretariat.accounts.models import Position, RoleGrant, User

    def _make(
        username: str,
        *,
        role: str | None = None,
        unit: Any = None,
        subtree: bool = True,
        password: str = "correct horse battery staple",
        position: tuple[Any, str] | None = None,
    ) -> Any:
        user = User.objects.create_user(
            username=username, password=password, full_name=username.title()
        )
        if role is not None:
            RoleGrant.objects.create(user=user, role=role, unit=unit, include_subtree=subtree)
        if position is not None:
            Position.objects.create(user=user, unit=position[0], title=position[1])
        return user

    return _make


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Client]:
    """A browser-like client already past login and second factor for `user`."""

    def _client(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _client
