"""Pages for the administration of users, positions and role grants.

Thin: parse with a form, call a selector or a service, render. Domain errors become what a user
understands: outside the caller's scope is a 404 (as if absent), no right to change is a 403, and
invalid input is the same page again with the message next to the field.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from secretariat.core import clock
from secretariat.core.errors import DomainError, NotFound, PermissionDenied

from .. import policy, selectors
from ..forms_users import (
    PositionAddForm,
    PositionEndForm,
    RoleGrantForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from ..models import User
from ..services import users as services

PAGE_SIZE = 50
# The datalist of unit codes offered in pickers; longer trees are typed, not scrolled.
PICKER_LIMIT = 500


def _raise_http(exc: DomainError) -> None:
    """Turn a scope or permission error into the page-level 404/403; leave input errors."""
    if isinstance(exc, NotFound):
        raise Http404(str(exc.message)) from exc
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(str(exc.message)) from exc


def _actor(request: HttpRequest) -> User:
    # Every view here is behind login_required, so the user is a real account.
    assert isinstance(request.user, User)
    return request.user


def _target(request: HttpRequest, user_id: Any) -> User:
    try:
        return selectors.user_get(user=request.user, user_id=user_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _require_manager(request: HttpRequest) -> None:
    """Refuse viewers who manage no account before validating their form: a 403, not a form
    error about unit codes they could never use."""
    if not policy.can(request.user, policy.Action.ACCOUNTS_MANAGE):
        raise DjangoPermissionDenied(_("You do not have permission to do this here."))


def _picker_units(request: HttpRequest) -> list[Any]:
    return list(selectors.units_for_picker(user=request.user).only("code", "name")[:PICKER_LIMIT])


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not policy.can(actor, policy.Action.ACCOUNTS_VIEW):
        raise DjangoPermissionDenied
    form = UserSearchForm(request.GET or None)
    search, unit = "", None
    if form.is_bound and form.is_valid():
        search, unit = form.cleaned_data["q"], form.cleaned_data["unit"]
    elif form.is_bound:
        search = form.data.get("q", "")
    users = selectors.users_visible_to(user=actor, search=search, unit=unit)
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_create": policy.can(actor, policy.Action.ACCOUNTS_MANAGE),
        "query": request.GET.copy(),
    }
    # HTMX live search replaces only the table.
    if request.headers.get("HX-Request"):
        return render(request, "accounts/users_table.html", context)
    context["picker_units"] = list(
        selectors.units_for_picker(user=actor, action=policy.Action.ACCOUNTS_VIEW).only(
            "code", "name"
        )[:PICKER_LIMIT]
    )
    return render(request, "accounts/users_list.html", context)


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not policy.can(actor, policy.Action.ACCOUNTS_MANAGE):
        raise DjangoPermissionDenied
    form = UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=actor,
                username=data["username"],
                full_name=data["full_name"],
                password=data["password"] or None,
                language=data["language"],
                unit=data["unit"],
                title=data["title"],
            )
        except DomainError as exc:
            _raise_http(exc)
            form.add_domain_errors(exc.message, exc.field_errors)
        else:
            if data["password"]:
                messages.success(request, _("The user has been created."))
                return redirect("accounts:user", user_id=user.pk)
            temporary = services.password_reset_by_admin(actor=actor, user=user)
            messages.success(request, _("The user has been created."))
            return _detail(request, user, temporary_password=temporary)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/users_create.html",
        {"form": form, "picker_units": _picker_units(request)},
        status=status,
    )


def _detail(
    request: HttpRequest, target: User, *, status: int = 200, **overrides: Any
) -> HttpResponse:
    """The user's page; `overrides` replace a form (bound, with errors) or add a one-time value."""
    actor = _actor(request)
    can_manage = (
        selectors.users_visible_to(user=actor, action=policy.Action.ACCOUNTS_MANAGE)
        .filter(pk=target.pk)
        .exists()
    )
    is_self = actor.pk == target.pk
    positions = list(selectors.positions_of(user=actor, target=target))
    grants = list(selectors.grants_of(user=actor, target=target))
    for position in positions:
        position.can_end = (  # type: ignore[attr-defined]
            can_manage
            and position.ended_on is None
            and policy.can(actor, policy.Action.ACCOUNTS_MANAGE, position.unit)
        )
    for grant in grants:
        grant.can_revoke = (  # type: ignore[attr-defined]
            not is_self
            and grant.revoked_at is None
            and policy.may_grant(actor, grant.role, grant.unit)
        )
    context: dict[str, Any] = {
        "target": target,
        "positions": positions,
        "grants": grants,
        "can_manage": can_manage,
        "is_self": is_self,
        "temporary_password": None,
        "today": clock.today(),
    }
    if can_manage:
        context.update(
            edit_form=UserEditForm(
                initial={
                    "full_name": target.full_name,
                    "language": target.language,
                    "is_active": target.is_active,
                }
            ),
            position_form=PositionAddForm(actor=actor, initial={"is_primary": False}),
            end_form=PositionEndForm(),
            grant_form=RoleGrantForm(actor=actor),
            picker_units=_picker_units(request),
        )
    context.update(overrides)
    response = render(request, "accounts/users_detail.html", context, status=status)
    if context["temporary_password"]:
        # The temporary password must not linger in a browser or proxy cache.
        add_never_cache_headers(response)
    return response


@login_required
@require_GET
def user_detail(request: HttpRequest, user_id: Any) -> HttpResponse:
    return _detail(request, _target(request, user_id))


@login_required
@require_POST
def user_edit(request: HttpRequest, user_id: Any) -> HttpResponse:
    target = _target(request, user_id)
    form = UserEditForm(request.POST)
    if form.is_valid():
        try:
            services.user_update(actor=_actor(request), user=target, **form.cleaned_data)
        except DomainError as exc:
            _raise_http(exc)
            form.add_domain_errors(exc.message, exc.field_errors)
        else:
            messages.success(request, _("The user has been updated."))
            return redirect("accounts:user", user_id=target.pk)
    target.refresh_from_db()
    return _detail(request, target, status=400, edit_form=form)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, user_id: Any) -> HttpResponse:
    target = _target(request, user_id)
    try:
        services.user_deactivate(actor=_actor(request), user=target)
    except DomainError as exc:
        _raise_http(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The account has been deactivated."))
    return redirect("accounts:user", user_id=target.pk)


@login_required
@require_POST
def user_password_reset(request: HttpRequest, user_id: Any) -> HttpResponse:
    target = _target(request, user_id)
    try:
        temporary = services.password_reset_by_admin(actor=_actor(request), user=target)
    except DomainError as exc:
        _raise_http(exc)
        messages.error(request, str(exc.message))
        return redirect("accounts:user", user_id=target.pk)
    # Rendered, not redirected: the password is shown in this one response and stored nowhere.
    return _detail(request, target, temporary_password=temporary)


@login_required
@require_POST
def user_position_add(request: HttpRequest, user_id: Any) -> HttpResponse:
    target = _target(request, user_id)
    _require_manager(request)
    form = PositionAddForm(request.POST, actor=_actor(request))
    if form.is_valid():
        try:
            services.position_add(actor=_actor(request), user=target, **form.cleaned_data)
        except DomainError as exc:
            _raise_http(exc)
            form.add_domain_errors(exc.message, exc.field_errors)
        else:
            messages.success(request, _("The position has been added."))
            return redirect("accounts:user", user_id=target.pk)
    return _detail(request, target, status=400, position_form=form)


@login_required
@require_POST
def user_position_end(request: HttpRequest, user_id: Any, position_id: Any) -> HttpResponse:
    target = _target(request, user_id)
    try:
        position = selectors.position_get(user=request.user, position_id=position_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if position.user_id != target.pk:
        raise Http404
    form = PositionEndForm(request.POST)
    if form.is_valid():
        try:
            services.position_end(
                actor=_actor(request), position=position, ended_on=form.cleaned_data["ended_on"]
            )
        except DomainError as exc:
            _raise_http(exc)
            form.add_domain_errors(exc.message, exc.field_errors)
        else:
            messages.success(request, _("The position has ended."))
            return redirect("accounts:user", user_id=target.pk)
    return _detail(request, target, status=400, end_form=form)


@login_required
@require_POST
def user_grant(request: HttpRequest, user_id: Any) -> HttpResponse:
    target = _target(request, user_id)
    _require_manager(request)
    form = RoleGrantForm(request.POST, actor=_actor(request))
    if form.is_valid():
        try:
            services.role_grant(actor=_actor(request), user=target, **form.cleaned_data)
        except DomainError as exc:
            _raise_http(exc)
            form.add_domain_errors(exc.message, exc.field_errors)
        else:
            messages.success(request, _("The role has been granted."))
            return redirect("accounts:user", user_id=target.pk)
    return _detail(request, target, status=400, grant_form=form)


@login_required
@require_POST
def user_grant_revoke(request: HttpRequest, user_id: Any, grant_id: Any) -> HttpResponse:
    target = _target(request, user_id)
    try:
        grant = selectors.grant_get(user=request.user, grant_id=grant_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if grant.user_id != target.pk:
        raise Http404
    try:
        services.role_revoke(actor=_actor(request), grant=grant)
    except DomainError as exc:
        _raise_http(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The role has been revoked."))
    return redirect("accounts:user", user_id=target.pk)


urlpatterns = [
    path("users/", user_list, name="users"),
    path("users/new/", user_create, name="user_create"),
    path("users/<uuid:user_id>/", user_detail, name="user"),
    path("users/<uuid:user_id>/edit/", user_edit, name="user_edit"),
    path("users/<uuid:user_id>/deactivate/", user_deactivate, name="user_deactivate"),
    path("users/<uuid:user_id>/reset-password/", user_password_reset, name="user_password_reset"),
    path("users/<uuid:user_id>/positions/", user_position_add, name="user_position_add"),
    path(
        "users/<uuid:user_id>/positions/<uuid:position_id>/end/",
        user_position_end,
        name="user_position_end",
    ),
    path("users/<uuid:user_id>/grants/", user_grant, name="user_grant"),
    path(
        "users/<uuid:user_id>/grants/<uuid:grant_id>/revoke/",
        user_grant_revoke,
        name="user_grant_revoke",
    ),
]
