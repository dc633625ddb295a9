"""Permission-matrix cases of users, positions and grants (see secretariat/api/tests/matrix.py)."""

from __future__ import annotations

import datetime as dt  # noqa: F401

from django.urls import reverse

from secretariat.api.tests.matrix import (
    ACCOUNT_MANAGERS,
    ACCOUNT_VIEWERS,
    STRONG_PASSWORD,
    Case,
    api,
    cell,
    cell2,
)
from secretariat.core import clock

CASES = [
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
]

EXEMPT = {
    # Public by design: signing in.
    "accounts:login",
    "accounts:mfa",
    "accounts:enrol",
    "accounts:webauthn_login_begin",
    "accounts:webauthn_login_complete",
    # Personal: act only on the caller's own account, whatever their roles (test_mfa.py,
    # test_tokens.py, test_auth.py check them).
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
}
