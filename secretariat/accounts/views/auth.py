"""Sign-in pages: password, second factor, forced TOTP enrolment, logout, lockout page.

Thin: each view parses the form, calls `services.authentication`, and renders or redirects.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from secretariat.core.errors import DomainError

from .. import policy
from ..forms_auth import LoginForm, RecoveryCodeForm, TotpForm
from ..middleware import SESSION_EXPIRED
from ..models import User
from ..services import authentication as auth
from ..services import mfa

DEMO_ACCOUNTS = ("admin", "clerk", "leader", "secretary", "member")
DEMO_PASSWORD = "secretariat-demo"  # noqa: S105 (shown on the login page in demo mode only)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _with_language(response: HttpResponse, language: str) -> HttpResponse:
    """Make the user's preferred language stick: LocaleMiddleware reads this cookie."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def _signed_in(result: auth.SignIn) -> HttpResponse:
    return _with_language(
        HttpResponseRedirect(result.next_url or reverse(settings.LOGIN_REDIRECT_URL)),
        result.language,
    )


def _pending(request: HttpRequest) -> User | None:
    """The pending user; on expiry, a message for the login page."""
    try:
        return auth.pending_user(request)
    except auth.SignInExpired as exc:
        messages.warning(request, str(exc.message))
        return None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page shown while an account is locked (HTTP 429)."""
    username = str((credentials or {}).get("username") or request.POST.get("username") or "")
    if not username and request.user.is_authenticated:
        username = request.user.get_username()
    minutes = auth.lockout_minutes_left(request, username) if username else 0
    message = ngettext(
        "Too many failed sign-in attempts: this account is locked. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts: this account is locked. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    # The security-key endpoints speak JSON; passkeys.js shows the message.
    if request.content_type == "application/json":
        return JsonResponse({"message": message, "errors": {}}, status=429)
    return render(
        request, "accounts/locked.html", {"minutes": minutes, "message": message}, status=429
    )


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    if request.session.pop(SESSION_EXPIRED, False):
        messages.info(request, _("Your session has expired. Please log in again."))
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = auth.login_password_step(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            next_url=next_url,
        )
        if result.step == auth.Step.LOCKED:
            return lockout_response(request, None, {"username": form.cleaned_data["username"]})
        if result.step == auth.Step.MFA:
            return redirect("accounts:mfa")
        if result.step == auth.Step.ENROL:
            return redirect("accounts:enrol")
        if result.step == auth.Step.DONE:
            return _signed_in(result)
        form.add_error(None, _("The username or password is not correct."))
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": next_url,
            "demo": settings.DEMO,
            "demo_accounts": DEMO_ACCOUNTS,
            "demo_password": DEMO_PASSWORD,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_view(request: HttpRequest) -> HttpResponse:
    user = _pending(request)
    if user is None:
        return redirect("accounts:login")
    if not mfa.has_second_factor(user):
        if policy.mfa_required(user):
            return redirect("accounts:enrol")
        auth.pending_clear(request)
        return redirect("accounts:login")
    if auth.is_locked(request, user.username):
        auth.pending_clear(request)
        return lockout_response(request, None, {"username": user.username})
    totp_form = TotpForm(request.POST if request.POST.get("method") == "totp" else None)
    recovery_form = RecoveryCodeForm(
        request.POST if request.POST.get("method") == "recovery" else None
    )
    result: auth.SignIn | None = None
    if totp_form.is_bound and totp_form.is_valid():
        result = auth.login_with_totp(
            request=request, user=user, token=totp_form.cleaned_data["code"]
        )
        if result.step == auth.Step.FAILED:
            totp_form.add_error(
                "code", _("The code is not valid. Wait for the next code and try again.")
            )
    elif recovery_form.is_bound and recovery_form.is_valid():
        result = auth.login_with_recovery_code(
            request=request, user=user, code=recovery_form.cleaned_data["recovery_code"]
        )
        if result.step == auth.Step.FAILED:
            recovery_form.add_error(
                "recovery_code", _("This recovery code is not valid or has already been used.")
            )
    if result is not None and result.step == auth.Step.DONE:
        return _signed_in(result)
    if result is not None and result.step == auth.Step.LOCKED:
        return lockout_response(request, None, {"username": user.username})
    return render(
        request,
        "accounts/mfa.html",
        {
            "pending_user": user,
            "totp_form": totp_form,
            "recovery_form": recovery_form,
            "has_totp": mfa.totp_device(user) is not None,
            "has_keys": bool(mfa.passkeys_of(user)),
            "has_recovery_codes": mfa.recovery_codes_remaining(user) > 0,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Forced enrolment of a TOTP app for a role that requires a second factor."""
    user = _pending(request)
    if user is None:
        return redirect("accounts:login")
    if mfa.has_second_factor(user):
        return redirect("accounts:mfa")
    if not policy.mfa_required(user):
        auth.pending_clear(request)
        return redirect("accounts:login")
    device = mfa.pending_totp_device(user=user, device_id=request.session.get(auth.ENROL_DEVICE))
    if device is None:
        device = mfa.totp_enrol_start(actor=user, user=user)
        request.session[auth.ENROL_DEVICE] = device.pk
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = auth.login_enrol_totp(
                request=request, user=user, device=device, token=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", str(exc.message))
        else:
            response = render(
                request,
                "accounts/recovery_codes.html",
                {
                    "codes": result.recovery_codes,
                    "continue_url": result.next_url or reverse(settings.LOGIN_REDIRECT_URL),
                },
            )
            return _with_language(response, result.language)
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "provisioning": mfa.totp_provisioning(device),
            "forced": True,
            "action": reverse("accounts:enrol"),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout_user(request=request)
    return redirect("accounts:login")


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"message": message, "errors": {}}, status=status)


def json_body(request: HttpRequest) -> dict[str, Any] | None:
    """The request's JSON object, or None when the body is not one."""
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@never_cache
@require_POST
def webauthn_begin(request: HttpRequest) -> JsonResponse:
    user = _pending(request)
    if user is None:
        return _json_error(_("Your sign-in has expired. Please enter your password again."), 401)
    try:
        options = mfa.passkey_authenticate_begin(session=request.session, user=user)
    except DomainError as exc:
        return _json_error(str(exc.message), exc.status)
    return JsonResponse(options)


@never_cache
@require_POST
def webauthn_complete(request: HttpRequest) -> HttpResponse:
    user = _pending(request)
    if user is None:
        return _json_error(_("Your sign-in has expired. Please enter your password again."), 401)
    data = json_body(request)
    credential = data.get("credential") if data else None
    if not isinstance(credential, dict):
        return _json_error(_("The security key answer is not valid."))
    result = auth.login_with_passkey(request=request, user=user, credential=credential)
    if result.step == auth.Step.DONE:
        redirect_to = result.next_url or reverse(settings.LOGIN_REDIRECT_URL)
        return _with_language(JsonResponse({"redirect": redirect_to}), result.language)
    if result.step == auth.Step.LOCKED:
        return lockout_response(request, None, {"username": user.username})
    return _json_error(_("The security key was not accepted."))


urlpatterns = [
    path("login/", login_view, name="login"),
    path("login/mfa/", mfa_view, name="mfa"),
    path("login/enrol/", enrol_view, name="enrol"),
    path("login/mfa/webauthn/begin/", webauthn_begin, name="webauthn_login_begin"),
    path("login/mfa/webauthn/complete/", webauthn_complete, name="webauthn_login_complete"),
    path("logout/", logout_view, name="logout"),
]
