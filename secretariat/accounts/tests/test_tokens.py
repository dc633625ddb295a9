"""API tokens: issued on the security page or by `issue_token`, shown once, revocable."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from secretariat.accounts import tokens
from secretariat.accounts.models import ApiToken, User
from secretariat.accounts.tests.helpers import english
from secretariat.audit.models import AuditEvent

ME = "/api/v1/me"


@pytest.fixture
def member(make_user: Any) -> User:
    return english(make_user("member"))


def bearer(client: Client, secret: str) -> Any:
    return client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_token_issued_on_the_security_page_is_shown_once_and_works(
    client_for: Any, member: User
) -> None:
    browser = client_for(member)
    page = browser.post("/accounts/security/tokens/", {"name": "backup script"})
    assert page.status_code == 200
    body = page.content.decode()
    secret = body.split('id="new-token-secret">')[1].split("<")[0]
    assert secret.startswith("sct_")
    assert secret not in browser.get("/accounts/security/").content.decode()
    # Only the digest is stored.
    assert not ApiToken.objects.filter(digest__contains=secret).exists()

    response = bearer(Client(), secret)
    assert response.status_code == 200
    assert response.json()["username"] == "member"


def test_revoked_token_gets_401(client_for: Any, member: User) -> None:
    token, secret = tokens.token_issue(actor=member, user=member, name="ci")
    assert bearer(Client(), secret).status_code == 200
    browser = client_for(member)
    response = browser.post(f"/accounts/security/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert bearer(Client(), secret).status_code == 401
    assert AuditEvent.objects.filter(action="accounts.token_revoked", actor_id=member.pk).exists()


def test_nobody_revokes_someone_elses_token(client_for: Any, member: User, make_user: Any) -> None:
    other = make_user("other")
    token, secret = tokens.token_issue(actor=other, user=other, name="theirs")
    assert (
        client_for(member).post(f"/accounts/security/tokens/{token.pk}/revoke/").status_code == 404
    )
    assert bearer(Client(), secret).status_code == 200


def test_token_name_is_required(client_for: Any, member: User) -> None:
    response = client_for(member).post("/accounts/security/tokens/", {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_unknown_bearer_token_gets_401(db: Any) -> None:
    assert bearer(Client(), "sct_0000_nothing").status_code == 401


def test_issue_token_command_prints_only_the_token(member: User) -> None:
    out = io.StringIO()
    call_command("issue_token", "member", "--name", "nightly export", stdout=out)
    secret = out.getvalue().strip()
    assert secret.startswith("sct_")
    assert "\n" not in secret
    assert bearer(Client(), secret).json()["username"] == "member"
    assert ApiToken.objects.get(user=member).name == "nightly export"


def test_issue_token_command_refuses_an_unknown_user(db: Any) -> None:
    with pytest.raises(CommandError) as excinfo:
        call_command("issue_token", "ghost")
    assert excinfo.value.returncode == 2
    assert "ghost" in str(excinfo.value)


def test_last_use_is_recorded_at_most_once_a_minute(member: User) -> None:
    import datetime as dt

    from secretariat.accounts.models import ApiToken
    from secretariat.accounts.tokens import token_authenticate, token_issue

    token, raw = token_issue(actor=member, user=member, name="reader")
    assert token_authenticate(raw) == member
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    assert token_authenticate(raw) == member
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # no write within the minute
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=5))
    assert token_authenticate(raw) == member
    renewed = ApiToken.objects.get(pk=token.pk).last_used_at
    assert renewed is not None
    assert renewed > first - dt.timedelta(minutes=1)
