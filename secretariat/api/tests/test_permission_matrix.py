"""The permission matrix: every endpoint and page × every role × inside and outside scope.

Each role is granted on commune A with its subtree. "Inside" targets live in commune A, "outside"
targets in commune B. For every case the test checks the status, that a refused request changed
nothing (the audit log did not grow), that an accepted write was audited, and that lists show
inside objects and never outside ones. The cases come from each app's `tests/matrix_cases.py`
(machinery in `matrix.py`); the last test checks that no URL escapes the matrix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import ACTORS, Case, Ctx, all_cases, all_exempt, build_ctx
from secretariat.audit.models import AuditEvent

CASES = all_cases()


@pytest.fixture
def ctx(tree: dict[str, Any], make_user: Any) -> Ctx:
    """The context with every app's objects (for the tests that walk all cases)."""
    return build_ctx(tree, make_user)


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
def test_matrix(case: Case, tree: dict[str, Any], make_user: Any) -> None:
    # Only the case's own module prepares objects: the matrix stays linear in the number of cases.
    ctx = build_ctx(tree, make_user, origins={case.origin})
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
        # Filtered on each target's name: the apps' setups record many other events.
        base = reverse("audit:events")
        body = ctx.clients[actor].get(f"{base}?actor=target_in").content.decode()
        body += ctx.clients[actor].get(f"{base}?actor=target_out").content.decode()
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
    covered = {case.name for case in CASES} | all_exempt()
    assert _url_names(get_resolver().url_patterns) - covered == set()
