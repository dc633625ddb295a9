"""Idle and absolute session timeouts."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from secretariat.core import clock

SESSION_LOGIN_AT = "secretariat_login_at"
SESSION_SEEN_AT = "secretariat_seen_at"


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
                messages.info(request, _("Your session has expired. Please log in again."))
                return self.get_response(request)
            request.session[SESSION_SEEN_AT] = now
        return self.get_response(request)
