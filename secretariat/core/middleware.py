"""Binds the request context (client address) for the duration of a request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from secretariat.core.context import RequestContext, bind


def client_address(request: HttpRequest) -> str | None:
    # Behind the data center's reverse proxy REMOTE_ADDR is the proxy; nginx is configured to
    # overwrite X-Real-IP, which is trusted only when SECRETARIAT_TRUST_PROXY is set.
    from django.conf import settings

    if getattr(settings, "TRUST_PROXY", False):
        real = request.META.get("HTTP_X_REAL_IP")
        if real:
            return str(real)
    addr = request.META.get("REMOTE_ADDR")
    return str(addr) if addr else None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bind(RequestContext(client_ip=client_address(request))):
            return self.get_response(request)
