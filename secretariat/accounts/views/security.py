"""The personal security page: second factors, recovery codes, security keys, password, tokens.

Secrets (recovery codes, a new API token) are rendered in the response to the POST that created
them and stored nowhere, not even in the session: they are shown once.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from secretariat.core.errors import DomainError

from .. import policy, tokens
from ..forms_auth import PasswordChangeForm, TokenForm, TotpForm
from ..models import User
from ..services import authentication as auth
from ..services import mfa
from .auth import json_body

# The unconfirmed TOTP device of a replacement started on the security page.
_TOTP_DEVICE = "secretariat_security_totp_device"


def _user(request: HttpRequest) -> User:
    # Every view here is behind login_required.
    return cast(User, request.user)


def _page(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {
        "totp": mfa.totp_device(user),
        "keys": mfa.passkeys_of(user),
        "recovery_remaining": mfa.recovery_codes_remaining(user),
        "mfa_required": policy.mfa_required(user),
        "tokens": list(tokens.tokens_of(user=user)),
        "password_form": PasswordChangeForm(),
        "token_form": TokenForm(),
    }
    context["has_factor"] = context["totp"] is not None or bool(context["keys"])
    context.update(extra)
    return render(request, "accounts/security.html", context, status=status)


@never_cache
@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app."""
    user = _user(request)
    device = mfa.pending_totp_device(user=user, device_id=request.session.get(_TOTP_DEVICE))
    if device is None:
        device = mfa.totp_enrol_start(actor=user, user=user)
        request.session[_TOTP_DEVICE] = device.pk
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_enrol_confirm(
                actor=user, user=user, device=device, token=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", str(exc.message))
        else:
            request.session.pop(_TOTP_DEVICE, None)
            messages.success(request, _("Your authenticator app is set up."))
            if codes:
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {"codes": codes, "continue_url": reverse("accounts:security")},
                )
            return redirect("accounts:security")
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "provisioning": mfa.totp_provisioning(device),
            "forced": False,
            "replacing": mfa.totp_device(user) is not None,
            "action": reverse("accounts:security_totp"),
        },
    )


@login_required
@require_POST
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        codes = mfa.recovery_codes_generate(actor=user, user=user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("accounts:security")
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "continue_url": reverse("accounts:security")},
    )


@login_required
@require_POST
def password_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            auth.password_change(
                request=request,
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as exc:
            for field, errors in exc.field_errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, str(error))
        else:
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:security")
    return _page(request, status=400, password_form=form)


@login_required
@require_POST
def token_issue_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, token_form=form)
    token, secret = tokens.token_issue(actor=user, user=user, name=form.cleaned_data["name"])
    return _page(request, new_token=token, new_token_secret=secret)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    token = tokens.token_owned(user=user, token_id=token_id)
    if token is None:
        raise Http404
    tokens.token_revoke(actor=user, token=token)
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:security")


@never_cache
@login_required
@require_POST
def key_register_begin(request: HttpRequest) -> JsonResponse:
    options = mfa.passkey_register_begin(session=request.session, user=_user(request))
    return JsonResponse(options)


@login_required
@require_POST
def key_register_complete(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    data = json_body(request)
    credential = data.get("credential") if data else None
    name = data.get("name") if data else None
    if not isinstance(credential, dict) or not isinstance(name, str):
        return JsonResponse(
            {"message": _("The security key answer is not valid."), "errors": {}}, status=400
        )
    try:
        key = mfa.passkey_register_complete(
            session=request.session, actor=user, user=user, name=name, credential=credential
        )
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    messages.success(request, _("The security key “%(name)s” has been added.") % {"name": key.name})
    return JsonResponse({"redirect": reverse("accounts:security"), "name": key.name})


@login_required
@require_POST
def key_remove_view(request: HttpRequest, key_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    try:
        mfa.passkey_remove(actor=user, user=user, key_id=key_id)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The security key has been removed."))
    return redirect("accounts:security")


urlpatterns = [
    path("security/", security_view, name="security"),
    path("security/totp/", totp_view, name="security_totp"),
    path("security/recovery-codes/", recovery_codes_view, name="security_recovery_codes"),
    path("security/password/", password_view, name="security_password"),
    path("security/tokens/", token_issue_view, name="security_token_issue"),
    path(
        "security/tokens/<uuid:token_id>/revoke/",
        token_revoke_view,
        name="security_token_revoke",
    ),
    path("security/keys/register/begin/", key_register_begin, name="security_key_begin"),
    path("security/keys/register/complete/", key_register_complete, name="security_key_complete"),
    path("security/keys/<uuid:key_id>/remove/", key_remove_view, name="security_key_remove"),
]
