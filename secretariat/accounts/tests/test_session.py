"""Session timeouts: idle (sliding) and absolute (from login)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from secretariat.accounts.middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT
from secretariat.accounts.models import User
from secretariat.accounts.tests.helpers import PASSWORD, english
from secretariat.core import clock

SECURITY = "/accounts/security/"


@pytest.fixture
def member(make_user: Any) -> User:
    return english(make_user("member"))


@pytest.fixture
def logged_in(client: Client, member: User) -> Client:
    response = client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 302
    return client


def shift(client: Client, key: str, minutes: float) -> None:
    """Move a session timestamp `minutes` into the past."""
    session = client.session
    session[key] = float(session[key]) - minutes * 60
    session.save()


def test_login_stamps_the_session(logged_in: Client) -> None:
    now = clock.now().timestamp()
    assert abs(float(logged_in.session[SESSION_LOGIN_AT]) - now) < 5
    assert abs(float(logged_in.session[SESSION_SEEN_AT]) - now) < 5


def test_activity_keeps_the_session_alive(logged_in: Client, settings: Any) -> None:
    shift(logged_in, SESSION_SEEN_AT, settings.SESSION_IDLE_MINUTES - 1)
    assert logged_in.get(SECURITY).status_code == 200
    assert abs(float(logged_in.session[SESSION_SEEN_AT]) - clock.now().timestamp()) < 5


def test_idle_session_expires(logged_in: Client, settings: Any) -> None:
    shift(logged_in, SESSION_SEEN_AT, settings.SESSION_IDLE_MINUTES + 1)
    response = logged_in.get(SECURITY, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "Your session has expired. Please log in again." in response.content.decode()
    assert "_auth_user_id" not in logged_in.session


def test_absolute_limit_ends_even_an_active_session(logged_in: Client, settings: Any) -> None:
    shift(logged_in, SESSION_LOGIN_AT, settings.SESSION_ABSOLUTE_MINUTES + 1)
    # Seen a second ago: only the absolute limit can end this session.
    response = logged_in.get(SECURITY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in logged_in.session


def test_expired_session_cannot_use_the_api(logged_in: Client, settings: Any) -> None:
    assert logged_in.get("/api/v1/me").status_code == 200
    shift(logged_in, SESSION_SEEN_AT, settings.SESSION_IDLE_MINUTES + 1)
    assert logged_in.get("/api/v1/me").status_code == 401
