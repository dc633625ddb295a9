"""The permission matrix's machinery: actors, scopes, cases. Each app lists its own pages and
endpoints in `<app>/tests/matrix_cases.py` (`CASES`, optional `EXEMPT` with reasons and
`setup(ctx)` to add the objects its cases need); `test_permission_matrix.py` runs them all.

The permission matrix: every endpoint and page × every role × inside and outside scope.

Each role is granted on commune A with its subtree. "Inside" targets live in commune A, "outside"
targets in commune B. For every case the test checks the status, that a refused request changed
nothing (the audit log did not grow), that an accepted write was audited, and that lists show
inside objects and never outside ones. A last test checks that no URL escapes this matrix.
"""

from __future__ import annotations

import dataclasses
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from secretariat.accounts.models import Position, Role, RoleGrant, User
from secretariat.audit import services as audit
from secretariat.audit.models import AuditEvent
from secretariat.orgs.models import Unit

NONE = "none"  # an ordinary member: a position in cell A, no role
ACTORS = [NONE, *[str(r) for r in Role]]
EVERYONE = frozenset(ACTORS)
ORG_MANAGERS = frozenset({Role.SYSTEM_ADMIN, Role.UNIT_ADMIN})
ACCOUNT_VIEWERS = frozenset(
    {Role.SYSTEM_ADMIN, Role.UNIT_ADMIN, Role.LEADER, Role.MEMBER_RECORDS_OFFICER}
)
ACCOUNT_MANAGERS = frozenset({Role.SYSTEM_ADMIN, Role.UNIT_ADMIN})
AUDITORS = frozenset({Role.AUDITOR})
STRONG_PASSWORD = "Hồ Xuân Hương 1772 thơ"


@dataclass
class Ctx:
    units: dict[str, Unit]
    actors: dict[str, User]
    targets: dict[str, User]
    positions: dict[str, Position]
    grants: dict[str, RoleGrant]
    events: dict[str, AuditEvent]
    clients: dict[str, Client] = field(default_factory=dict)
    # Objects the apps' `setup(ctx)` add for their own cases, by name.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One endpoint. `url`/`data` get the context and "in" or "out"."""

    name: str  # the URL name it covers (namespace:name or api:name)
    method: str
    url: Callable[[Ctx, str], str]
    allowed: frozenset[str]
    data: Callable[[Ctx, str], Any] | None = None
    write: bool = False
    json_body: bool = False
    # Lists: a marker that must show for allowed actors, and one that must never show.
    shows: Callable[[Ctx, str], str] | None = None
    # Endpoints not tied to an object: only the "in" variant is meaningful.
    scoped: bool = True
    # The module that declared the case: only its `setup` runs for it (set by `all_cases`).
    origin: str = ""


def build_ctx(tree: dict[str, Any], make_user: Any, origins: set[str] | None = None) -> Ctx:
    """Actors with every role on commune A, targets inside and outside, then the `setup` of the
    case modules named in `origins` (all of them when None)."""
    units = dict(tree)
    # Second cells so that moves and merges have a legal target on each side.
    for side, parent in (("a2", "commune_a"), ("b2", "commune_b")):
        units[f"cell_{side}"] = Unit.objects.add_child(
            Unit.objects.get(pk=units[parent].pk),
            create_kwargs={
                "name": f"Chi bộ {side}",
                "kind": "cell",
                "code": "000.01.02.T68" if side == "a2" else "000.02.02.T68",
                "abbreviation": "CB",
            },
        )
    actors = {NONE: make_user("actor_none", position=(units["cell_a"], "Đảng viên"))}
    for role in Role:
        actors[str(role)] = make_user(
            f"actor_{role}",
            role=role,
            unit=units["commune_a"],
            position=(units["commune_a"], "Cán bộ"),
        )
    targets = {
        "in": make_user("target_in", position=(units["cell_a"], "Đảng viên")),
        "out": make_user("target_out", position=(units["cell_b"], "Đảng viên")),
    }
    positions = {side: Position.objects.get(user=targets[side]) for side in ("in", "out")}
    grants = {
        side: RoleGrant.objects.create(
            user=targets[side],
            role=Role.SPECIALIST,
            unit=units["cell_a" if side == "in" else "cell_b"],
        )
        for side in ("in", "out")
    }
    with transaction.atomic():
        events = {
            side: audit.record(
                actor=targets[side],
                action="orgs.unit_updated",
                unit=units["cell_a" if side == "in" else "cell_b"],
                data={"code": f"MARK-EVENT-{side.upper()}"},
            )
            for side in ("in", "out")
        }
    c = Ctx(units, actors, targets, positions, grants, events)
    for name, user in actors.items():
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        c.clients[name] = client
    for module in case_modules():
        if origins is not None and module.__name__ not in origins:
            continue
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(c, make_user)
    return c


def case_modules() -> list[ModuleType]:
    """Every installed app's `tests/matrix_cases*.py` (one per part of a large app)."""
    modules = []
    for config in apps.get_app_configs():
        package = f"{config.name}.tests"
        spec = find_spec(package) if find_spec(config.name) is not None else None
        if spec is None or not spec.submodule_search_locations:
            continue
        for info in sorted(
            pkgutil.iter_modules(spec.submodule_search_locations), key=lambda m: m.name
        ):
            if info.name.startswith("matrix_cases"):
                modules.append(import_module(f"{package}.{info.name}"))
    return modules


def all_cases() -> list[Case]:
    return [
        dataclasses.replace(case, origin=module.__name__)
        for module in case_modules()
        for case in module.CASES
    ]


def all_exempt() -> set[str]:
    return {name for module in case_modules() for name in getattr(module, "EXEMPT", ())}


def cell(c: Ctx, side: str) -> Unit:
    return c.units["cell_a" if side == "in" else "cell_b"]


def cell2(c: Ctx, side: str) -> Unit:
    return c.units["cell_a2" if side == "in" else "cell_b2"]


def new_code(side: str) -> str:
    return "000.01.09.T68" if side == "in" else "000.02.09.T68"


def csv_file(c: Ctx, side: str) -> SimpleUploadedFile:
    parent = cell2(c, side).code
    content = (
        "code,parent_code,name,name_fr,name_en,kind,abbreviation,active,valid_from,valid_to\n"
        f"{new_code(side)},{parent},Chi bộ mới,,,cell,CB,true,,\n"
    )
    return SimpleUploadedFile("units.csv", content.encode(), content_type="text/csv")


def api(path: str) -> Callable[[Ctx, str], str]:
    return lambda c, side: "/api/v1" + path
