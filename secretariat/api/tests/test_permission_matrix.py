"""The permission matrix: every endpoint and page × every role × inside and outside scope.

Each role is granted on commune A with its subtree. "Inside" targets live in commune A, "outside"
targets in commune B. For every case the test checks the status, that a refused request changed
nothing (the audit log did not grow), that an accepted write was audited, and that lists show
inside objects and never outside ones. A last test checks that no URL escapes this matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from secretariat.accounts.models import Position, Role, RoleGrant, User
from secretariat.audit import services as audit
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
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


@pytest.fixture
def ctx(tree: dict[str, Any], make_user: Any) -> Ctx:
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
    return c


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


CASES = [
    # --- API: organization -------------------------------------------------------------------
    Case(
        "api:list_units",
        "get",
        api("/orgs/units"),
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
    Case("api:get_unit", "get", lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}", EVERYONE),
    Case(
        "api:create_unit",
        "post",
        api("/orgs/units"),
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {
            "parent_code": cell2(c, s).code,
            "name": "Chi bộ mới",
            "kind": "cell",
            "code": new_code(s),
            "abbreviation": "CB",
        },
    ),
    Case(
        "api:update_unit",
        "patch",
        lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"name": "Tên mới"},
    ),
    Case(
        "api:move_unit",
        "post",
        lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}/move",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"new_parent_code": cell2(c, s).code},
    ),
    Case(
        "api:merge_unit",
        "post",
        lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}/merge",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"target_code": cell2(c, s).code},
    ),
    Case(
        "api:dissolve_unit",
        "post",
        lambda c, s: f"/api/v1/orgs/units/{cell2(c, s).code}/dissolve",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"reason": "Nghị quyết 01"},
    ),
    Case(
        "api:export_units",
        "get",
        lambda c, s: "/api/v1/orgs/export?fmt=csv",
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
    Case(
        "api:import_units",
        "post",
        api("/orgs/import"),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {"file": csv_file(c, s), "fmt": "csv"},
    ),
    # --- API: users and grants ----------------------------------------------------------------
    Case(
        "api:users_list",
        "get",
        api("/users"),
        ACCOUNT_VIEWERS,
        scoped=False,
        shows=lambda c, side: c.targets[side].username,
    ),
    Case(
        "api:users_create",
        "post",
        api("/users"),
        ACCOUNT_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {
            "username": "newcomer",
            "full_name": "Người Mới",
            "password": STRONG_PASSWORD,
            "unit": cell(c, s).code,
            "title": "Chuyên viên",
        },
    ),
    Case("api:users_get", "get", lambda c, s: f"/api/v1/users/{c.targets[s].pk}", ACCOUNT_VIEWERS),
    Case(
        "api:users_patch",
        "patch",
        lambda c, s: f"/api/v1/users/{c.targets[s].pk}",
        ACCOUNT_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"full_name": "Tên Mới"},
    ),
    Case(
        "api:users_reset_password",
        "post",
        lambda c, s: f"/api/v1/users/{c.targets[s].pk}/reset-password",
        ACCOUNT_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {},
    ),
    Case(
        "api:users_grants",
        "get",
        lambda c, s: f"/api/v1/users/{c.targets[s].pk}/grants",
        ACCOUNT_VIEWERS,
    ),
    Case(
        "api:users_grant",
        "post",
        lambda c, s: f"/api/v1/users/{c.targets[s].pk}/grants",
        ACCOUNT_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"role": "meeting_secretary", "unit": cell(c, s).code},
    ),
    Case(
        "api:grants_revoke",
        "delete",
        lambda c, s: f"/api/v1/grants/{c.grants[s].pk}",
        ACCOUNT_MANAGERS,
        write=True,
    ),
    Case(
        "api:users_position_add",
        "post",
        lambda c, s: f"/api/v1/users/{c.targets[s].pk}/positions",
        ACCOUNT_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"unit": cell(c, s).code, "title": "Phó Bí thư"},
    ),
    # --- API: audit ----------------------------------------------------------------------------
    Case(
        "api:list_events",
        "get",
        api("/audit/events"),
        AUDITORS,
        scoped=False,
        shows=lambda c, side: f"MARK-EVENT-{side.upper()}",
    ),
    Case("api:get_event", "get", lambda c, s: f"/api/v1/audit/events/{c.events[s].id}", AUDITORS),
    Case("api:list_checkpoints", "get", api("/audit/checkpoints"), AUDITORS, scoped=False),
    # --- pages: organization -------------------------------------------------------------------
    Case(
        "orgs:tree",
        "get",
        lambda c, s: reverse("orgs:tree"),
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
    Case("orgs:unit", "get", lambda c, s: reverse("orgs:unit", args=[cell(c, s).code]), EVERYONE),
    Case(
        "orgs:unit_add_child",
        "post",
        lambda c, s: reverse("orgs:unit_add_child", args=[cell2(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "child-name": "Chi bộ mới",
            "child-kind": "cell",
            "child-code": new_code(s),
            "child-abbreviation": "CB",
        },
    ),
    Case(
        "orgs:unit_edit",
        "post",
        lambda c, s: reverse("orgs:unit_edit", args=[cell(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "edit-name": "Tên mới",
            "edit-kind": "cell",
            "edit-code": cell(c, s).code,
            "edit-abbreviation": "CB",
        },
    ),
    Case(
        "orgs:unit_move",
        "post",
        lambda c, s: reverse("orgs:unit_move", args=[cell(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {"move-new_parent": cell2(c, s).code},
    ),
    Case(
        "orgs:unit_merge",
        "post",
        lambda c, s: reverse("orgs:unit_merge", args=[cell(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "merge-target": cell2(c, s).code,
            "merge-effective_on": clock.today().isoformat(),
        },
    ),
    Case(
        "orgs:unit_dissolve",
        "post",
        lambda c, s: reverse("orgs:unit_dissolve", args=[cell2(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "dissolve-effective_on": clock.today().isoformat(),
            "dissolve-reason": "Nghị quyết 01",
        },
    ),
    Case(
        "orgs:import",
        "post",
        lambda c, s: reverse("orgs:import"),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {"file": csv_file(c, s), "fmt": "csv"},
    ),
    Case(
        "orgs:export",
        "get",
        lambda c, s: reverse("orgs:export") + "?fmt=json",
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
    # --- pages: users ----------------------------------------------------------------------------
    Case(
        "accounts:users",
        "get",
        lambda c, s: reverse("accounts:users"),
        ACCOUNT_VIEWERS,
        scoped=False,
        shows=lambda c, side: c.targets[side].username,
    ),
    Case(
        "accounts:user_create",
        "post",
        lambda c, s: reverse("accounts:user_create"),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {
            "username": "newcomer",
            "full_name": "Người Mới",
            "language": "vi",
            "unit": cell(c, s).code,
            "title": "Chuyên viên",
            "password": STRONG_PASSWORD,
        },
    ),
    Case(
        "accounts:user",
        "get",
        lambda c, s: reverse("accounts:user", args=[c.targets[s].pk]),
        ACCOUNT_VIEWERS,
    ),
    Case(
        "accounts:user_edit",
        "post",
        lambda c, s: reverse("accounts:user_edit", args=[c.targets[s].pk]),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {"full_name": "Tên Mới", "language": "fr", "is_active": "on"},
    ),
    Case(
        "accounts:user_deactivate",
        "post",
        lambda c, s: reverse("accounts:user_deactivate", args=[c.targets[s].pk]),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {},
    ),
    Case(
        "accounts:user_password_reset",
        "post",
        lambda c, s: reverse("accounts:user_password_reset", args=[c.targets[s].pk]),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {},
    ),
    Case(
        "accounts:user_position_add",
        "post",
        lambda c, s: reverse("accounts:user_position_add", args=[c.targets[s].pk]),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {"unit": cell2(c, s).code, "title": "Phó Bí thư"},
    ),
    Case(
        "accounts:user_position_end",
        "post",
        lambda c, s: reverse(
            "accounts:user_position_end", args=[c.targets[s].pk, c.positions[s].pk]
        ),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {"ended_on": clock.today().isoformat()},
    ),
    Case(
        "accounts:user_grant",
        "post",
        lambda c, s: reverse("accounts:user_grant", args=[c.targets[s].pk]),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {
            "role": "meeting_secretary",
            "unit": cell(c, s).code,
            "include_subtree": "on",
        },
    ),
    Case(
        "accounts:user_grant_revoke",
        "post",
        lambda c, s: reverse("accounts:user_grant_revoke", args=[c.targets[s].pk, c.grants[s].pk]),
        ACCOUNT_MANAGERS,
        write=True,
        data=lambda c, s: {},
    ),
    # --- pages: audit ------------------------------------------------------------------------------
    # Everyone has the page (their own actions); only auditors see other people's events.
    Case("audit:events", "get", lambda c, s: reverse("audit:events"), EVERYONE, scoped=False),
    Case(
        "audit:event", "get", lambda c, s: reverse("audit:event", args=[c.events[s].id]), AUDITORS
    ),
]

# Pages and endpoints outside the matrix, and why. Each is tested in its own app's tests.
EXEMPT = {
    # Public by design.
    "set_language",
    "javascript-catalog",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
    "api-docs",
    "accounts:login",
    "accounts:mfa",
    "accounts:enrol",
    "accounts:webauthn_login_begin",
    "accounts:webauthn_login_complete",
    # Personal: act only on the caller's own account, whatever their roles.
    "api:me",
    "accounts:logout",
    "accounts:security",
    "accounts:security_totp",
    "accounts:security_recovery_codes",
    "accounts:security_password",
    "accounts:security_token_issue",
    "accounts:security_token_revoke",
    "accounts:security_key_begin",
    "accounts:security_key_complete",
    "accounts:security_key_remove",
    "web:home",
}


def _request(client: Client, case: Case, c: Ctx, side: str) -> Any:
    url = case.url(c, side)
    data = case.data(c, side) if case.data else None
    if case.json_body:
        return getattr(client, case.method)(
            url, data=json.dumps(data or {}), content_type="application/json"
        )
    if data is None:
        return getattr(client, case.method)(url)
    return getattr(client, case.method)(url, data=data)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}-{c.method}" for c in CASES])
def test_matrix(case: Case, ctx: Ctx) -> None:
    problems: list[str] = []
    sides = ["in", "out"] if case.scoped else ["in"]
    for actor in ACTORS:
        for side in sides:
            before = AuditEvent.objects.count()
            savepoint = transaction.savepoint()
            try:
                response = _request(ctx.clients[actor], case, ctx, side)
                grew = AuditEvent.objects.count() - before
            finally:
                transaction.savepoint_rollback(savepoint)
            body = response.content.decode("utf-8", "replace")
            allowed = actor in case.allowed and side == "in"
            where = f"{actor} {side}: {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{where} server error")
            elif allowed:
                ok = {200, 201, 204, 302} if case.write else {200}
                if response.status_code not in ok:
                    problems.append(f"{where} expected success {sorted(ok)}: {body[:200]}")
                elif case.write and grew < 1:
                    problems.append(f"{where} accepted but not audited")
            else:
                refused = {400, 403, 404} if side == "out" else {403, 404}
                if response.status_code not in refused:
                    problems.append(f"{where} expected refusal {sorted(refused)}")
                if grew:
                    problems.append(f"{where} refused but the audit log grew by {grew}")
            if case.shows and response.status_code == 200:
                if actor in case.allowed and case.shows(ctx, "in") not in body:
                    problems.append(f"{actor}: list misses the inside object")
                if case.shows(ctx, "out") in body:
                    problems.append(f"{actor}: list LEAKS the outside object")
    assert not problems, f"{case.name} {case.method}:\n" + "\n".join(problems)


def test_audit_page_shows_others_events_to_auditors_only(ctx: Ctx) -> None:
    """The audit page is open to all, but other people's events only to auditors in scope."""
    for actor in ACTORS:
        body = ctx.clients[actor].get(reverse("audit:events")).content.decode()
        inside = reverse("audit:event", args=[ctx.events["in"].id])
        outside = reverse("audit:event", args=[ctx.events["out"].id])
        assert outside not in body, actor
        assert (inside in body) == (actor == Role.AUDITOR), actor


def test_anonymous_is_refused_everywhere(ctx: Ctx) -> None:
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    for case in CASES:
        response = _request(anonymous, case, ctx, "in")
        if case.name.startswith("api:"):
            assert response.status_code == 401, case.name
        else:
            assert response.status_code == 302, case.name
            assert response["Location"].startswith(reverse("accounts:login")), case.name


def _url_names(patterns: list[Any], namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_no_url_escapes_the_matrix() -> None:
    """A new page or endpoint must be added to CASES (or EXEMPT, with a reason)."""
    covered = {case.name for case in CASES} | EXEMPT
    assert _url_names(get_resolver().url_patterns) - covered == set()
