"""The API's contract: CSRF for browser sessions, bearer tokens for machines, JSON errors."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client

from secretariat.accounts.tokens import token_issue

NEW_UNIT = {
    "parent_code": "000.01.00.T68",
    "name": "Chi bộ mới",
    "kind": "cell",
    "code": "000.01.07.T68",
    "abbreviation": "CB",
}


def _admin(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("admin_a", role="unit_admin", unit=tree["commune_a"])


def test_session_writes_need_the_csrf_token(tree: dict[str, Any], make_user: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(_admin(tree, make_user))
    body = json.dumps(NEW_UNIT)

    refused = browser.post("/api/v1/orgs/units", body, content_type="application/json")
    assert refused.status_code == 403

    browser.get("/")  # the page sets the CSRF cookie, as in a real browser
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/orgs/units", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["code"] == NEW_UNIT["code"]


def test_bearer_tokens_need_no_csrf_and_act_in_the_owners_scope(
    tree: dict[str, Any], make_user: Any
) -> None:
    admin = _admin(tree, make_user)
    _, raw = token_issue(actor=admin, user=admin, name="script")
    machine = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")

    created = machine.post(
        "/api/v1/orgs/units", json.dumps(NEW_UNIT), content_type="application/json"
    )
    assert created.status_code == 201
    codes = {u["code"] for u in machine.get("/api/v1/orgs/units").json()}
    assert codes == {"000.01.00.T68", "000.01.01.T68", NEW_UNIT["code"]}

    forged = Client(HTTP_AUTHORIZATION=f"Bearer {raw}x")
    assert forged.get("/api/v1/me").status_code == 401


def test_errors_are_json_with_message_and_field_errors(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    client = client_for(_admin(tree, make_user))

    malformed = client.post("/api/v1/orgs/units", "{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert set(malformed.json()) == {"message", "errors"}

    missing = client.post(
        "/api/v1/orgs/units", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert missing.status_code == 400
    assert {"kind", "code", "abbreviation"} <= set(missing.json()["errors"])

    bad_code = client.post(
        "/api/v1/orgs/units",
        json.dumps({**NEW_UNIT, "code": "not-a-code"}),
        content_type="application/json",
    )
    assert bad_code.status_code == 400
    assert "code" in bad_code.json()["errors"]

    anonymous = Client().get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.json()["message"]


def test_error_messages_follow_the_callers_language(tree: dict[str, Any], make_user: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    answer = client.get("/api/v1/me").json()["message"]
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me").json()["message"]
    assert answer != english


def test_openapi_and_docs_are_served_from_local_files(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/orgs/units", "/api/v1/users", "/api/v1/audit/events"} <= set(
        schema["paths"]
    )
    html = Client().get("/api/docs").content.decode()
    assert "swagger" in html.lower()
    external = [
        u
        for u in re.findall(r'(?:src|href)="([^"]+)"', html)
        if u.startswith(("http:", "https:", "//"))
    ]
    assert external == []
