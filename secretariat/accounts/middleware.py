"""Idle and absolute session timeouts; the password change an administrator's reset demands."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from secretariat.core import clock

# Set at login (services/authentication.py); the absolute timeout counts from it.
SESSION_LOGIN_AT = "secretariat_login_at"
# Refreshed on every request; the idle timeout counts from it.
SESSION_SEEN_AT = "secretariat_seen_at"
# Left in the fresh anonymous session after a timeout, so the login page can say why.
SESSION_EXPIRED = "secretariat_session_expired"


class SessionTimeoutMiddleware:
    """Ends a session idle for SESSION_IDLE_MINUTES or older than SESSION_ABSOLUTE_MINUTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = clock.now().timestamp()
            login_at = request.session.get(SESSION_LOGIN_AT)
            seen_at = request.session.get(SESSION_SEEN_AT, login_at)
            idle = settings.SESSION_IDLE_MINUTES * 60
            absolute = settings.SESSION_ABSOLUTE_MINUTES * 60
            if login_at is None:
                request.session[SESSION_LOGIN_AT] = now
            elif now - float(login_at) > absolute or (
                seen_at is not None and now - float(seen_at) > idle
            ):
                logout(request)
                # Not `messages.info`: this middleware runs before MessageMiddleware has
                # attached its storage to the request. The login view turns the flag into text.
                request.session[SESSION_EXPIRED] = True
                return self.get_response(request)
            request.session[SESSION_SEEN_AT] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """After an administrator's reset, every page leads to the password form until it is used.

    The temporary password was seen by the administrator; until the user replaces it, the account
    may do nothing else. Static files, the language switch, the API's own answers and logging out
    stay reachable.
    """

    _ALLOWED_PREFIXES = ("/static/", "/i18n/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
        ):
            allowed = (
                reverse("accounts:security_password"),
                reverse("accounts:logout"),
                reverse("accounts:security"),
            )
            if request.path not in allowed and not request.path.startswith(self._ALLOWED_PREFIXES):
                return redirect("accounts:security")
        return self.get_response(request)
