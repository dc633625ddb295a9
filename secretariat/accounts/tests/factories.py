"""factory_boy factories of the identity app.

Plain rows for the starting state of a test; states a user reaches through the application (a
grant given by an administrator, a position ended) are built by calling the services.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from secretariat.accounts.models import Position, Role, RoleGrant, User


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:04d}")
    full_name = factory.Faker("name", locale="vi_VN")
    language = "vi"
    # An unusable password by default: hashing with Argon2 costs ~50 ms a user.
    password = factory.django.Password(None)


class PositionFactory(DjangoModelFactory[Position]):
    class Meta:
        model = Position

    user = factory.SubFactory(UserFactory)
    title = "Chuyên viên"
    is_primary = True

    @classmethod
    def _create(cls, model_class: type[Position], *args: Any, **kwargs: Any) -> Position:
        if kwargs.get("unit") is None:
            raise ValueError("PositionFactory needs a unit")
        return super()._create(model_class, *args, **kwargs)


class RoleGrantFactory(DjangoModelFactory[RoleGrant]):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = Role.SPECIALIST
    include_subtree = True


def build_people(tree: dict[str, Any]) -> dict[str, User]:
    """The cast of the user-administration tests, on the `tree` fixture:

    sysadmin (system admin on the province), admin_a / admin_b (unit admins of commune A / B, with
    a post there), leader_a (leader of commune A), specialist_a (specialist of commune A), clerk_a
    and clerk_b (a post in cell A / cell B, no role), orphan (no position, no grant).

    Built from factories rather than `make_user`: no Argon2 hashing, which would cost a few hundred
    milliseconds per user and test.
    """

    def person(
        username: str,
        full_name: str,
        role: str | None,
        unit: str | None,
        post: tuple[str, str] | None,
    ) -> User:
        user = UserFactory.create(username=username, full_name=full_name)
        if role is not None:
            RoleGrantFactory.create(user=user, role=role, unit=tree[unit or ""])
        if post is not None:
            PositionFactory.create(user=user, unit=tree[post[0]], title=post[1])
        return user

    return {
        "sysadmin": person("sysadmin", "Quản Trị Hệ Thống", Role.SYSTEM_ADMIN, "province", None),
        "admin_a": person(
            "admin_a",
            "Phạm Quản Trị A",
            Role.UNIT_ADMIN,
            "commune_a",
            ("commune_a", "Chánh Văn phòng"),
        ),
        "admin_b": person(
            "admin_b",
            "Phạm Quản Trị B",
            Role.UNIT_ADMIN,
            "commune_b",
            ("commune_b", "Chánh Văn phòng"),
        ),
        "leader_a": person("leader_a", "Hoàng Lãnh Đạo", Role.LEADER, "commune_a", None),
        "specialist_a": person(
            "specialist_a", "Vũ Chuyên Viên", Role.SPECIALIST, "commune_a", None
        ),
        "clerk_a": person("clerk_a", "Nguyễn Văn An", None, None, ("cell_a", "Văn thư")),
        "clerk_b": person("clerk_b", "Trần Thị Bình", None, None, ("cell_b", "Văn thư")),
        "orphan": person("orphan", "Lê Văn Cô", None, None, None),
    }
