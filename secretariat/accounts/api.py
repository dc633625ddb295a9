"""Identity endpoints: the caller (`me`); users and role grants for administrators."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.orgs.models import Unit

from . import policy, selectors
from .models import Position, RoleGrant, User
from .services import users as user_services

router = Router(tags=["identity"])


class GrantOut(Schema):
    id: uuid.UUID
    role: str
    unit_code: str
    unit_name: str
    include_subtree: bool
    valid_until: dt.date | None


class PositionOut(Schema):
    title: str
    unit_code: str
    unit_name: str
    is_primary: bool


class MeOut(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    language: str
    roles: list[GrantOut]
    positions: list[PositionOut]
    mfa_enrolled: bool


def _actor(request: HttpRequest) -> User:
    # The API authenticates every route (session or bearer token), so this is a real account.
    if not isinstance(request.user, User):
        raise PermissionDenied(_("You do not have permission to do this here."))
    return request.user


@router.get("/me", response=MeOut, summary="The caller: identity, roles and positions")
def me(request: HttpRequest) -> dict[str, object]:
    return selectors.user_profile(user=_actor(request))


# --- administration of users ---------------------------------------------------------------------
# Outside the caller's view scope a user (or grant) does not exist: 404. Visible but not theirs to
# change: 403 from the service. Invalid input: 400 with the errors per field.


class PositionDetailOut(PositionOut):
    id: uuid.UUID
    ended_on: dt.date | None


class GrantDetailOut(GrantOut):
    active: bool
    revoked_at: dt.datetime | None
    granted_by: str | None


class UserOut(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    language: str
    is_active: bool
    positions: list[PositionDetailOut]
    roles: list[GrantOut]

    # The list selector prefetched the active positions and grants; a single user loads them.
    @staticmethod
    def resolve_positions(obj: User) -> list[dict[str, object]]:
        positions = getattr(obj, "active_positions", None)
        if positions is None:
            positions = obj.positions.filter(ended_on__isnull=True).select_related("unit")
        return [_position_out(p) for p in positions]

    @staticmethod
    def resolve_roles(obj: User) -> list[dict[str, object]]:
        grants = getattr(obj, "active_grants", None)
        if grants is None:
            grants = (
                obj.role_grants.filter(revoked_at__isnull=True)
                .exclude(valid_until__lt=clock.today())
                .select_related("unit")
            )
        return [selectors.grant_dict(g) for g in grants]


class UserCreateIn(Schema):
    username: str = Field(max_length=150)
    full_name: str = Field(max_length=150)
    password: str | None = Field(
        None, description="Initial password; omit to create the account without one."
    )
    language: str = "vi"
    unit: str = Field(description="Electronic code of the unit of the primary position.")
    title: str = Field(max_length=150)


class UserPatchIn(Schema):
    full_name: str | None = Field(None, max_length=150)
    language: str | None = None
    is_active: bool | None = None


class PasswordResetOut(Schema):
    temporary_password: str


class GrantIn(Schema):
    role: str
    unit: str = Field(description="Electronic code of the unit.")
    include_subtree: bool = True
    valid_until: dt.date | None = None


class PositionIn(Schema):
    unit: str = Field(description="Electronic code of the unit.")
    title: str = Field(max_length=150)
    is_primary: bool = False


def _unit(code: str) -> Unit:
    unit = selectors.unit_by_code(code)
    if unit is None:
        message = _("No unit with this code.")
        raise ValidationFailed(message, field_errors={"unit": [message]})
    return unit


def _position_out(position: Position) -> dict[str, object]:
    return {
        "id": position.pk,
        "title": position.title,
        "unit_code": position.unit.code,
        "unit_name": position.unit.display_name,
        "is_primary": position.is_primary,
        "ended_on": position.ended_on,
    }


def _grant_out(grant: RoleGrant) -> dict[str, object]:
    active = getattr(grant, "is_active", None)
    if active is None:
        active = grant.revoked_at is None and (
            grant.valid_until is None or grant.valid_until >= clock.today()
        )
    granted_by = grant.granted_by.username if grant.granted_by_id and grant.granted_by else None
    return {
        **selectors.grant_dict(grant),
        "active": active,
        "revoked_at": grant.revoked_at,
        "granted_by": granted_by,
    }


@router.get("/users", response=list[UserOut], summary="Users in the caller's scope")
@paginate(LimitOffsetPagination)
def users_list(request: HttpRequest, search: str = "", unit: str = "") -> QuerySet[User]:
    if not policy.can(request.user, policy.Action.ACCOUNTS_VIEW):
        raise PermissionDenied(_("You do not have permission to do this here."))
    return selectors.users_visible_to(
        user=request.user, search=search, unit=_unit(unit) if unit.strip() else None
    )


@router.post("/users", response={201: UserOut}, summary="Create a user with a primary position")
def users_create(request: HttpRequest, payload: UserCreateIn) -> Status[User]:
    user = user_services.user_create(
        actor=_actor(request),
        username=payload.username,
        full_name=payload.full_name,
        password=payload.password,
        language=payload.language,
        unit=_unit(payload.unit),
        title=payload.title,
    )
    return Status(201, user)


@router.get("/users/{user_id}", response=UserOut, summary="One user in the caller's scope")
def users_get(request: HttpRequest, user_id: str) -> User:
    return selectors.user_get(user=request.user, user_id=user_id)


@router.patch("/users/{user_id}", response=UserOut, summary="Change name, language or activity")
def users_patch(request: HttpRequest, user_id: str, payload: UserPatchIn) -> User:
    user = selectors.user_get(user=request.user, user_id=user_id)
    return user_services.user_update(
        actor=_actor(request),
        user=user,
        full_name=user.full_name if payload.full_name is None else payload.full_name,
        language=user.language if payload.language is None else payload.language,
        is_active=user.is_active if payload.is_active is None else payload.is_active,
    )


@router.post(
    "/users/{user_id}/reset-password",
    response=PasswordResetOut,
    summary="Set a temporary password, returned once",
)
def users_reset_password(request: HttpRequest, user_id: str) -> dict[str, str]:
    user = selectors.user_get(user=request.user, user_id=user_id)
    password = user_services.password_reset_by_admin(actor=_actor(request), user=user)
    return {"temporary_password": password}


@router.get(
    "/users/{user_id}/grants",
    response=list[GrantDetailOut],
    summary="Every role grant of a user, active first",
)
def users_grants(request: HttpRequest, user_id: str) -> list[dict[str, object]]:
    user = selectors.user_get(user=request.user, user_id=user_id)
    return [_grant_out(g) for g in selectors.grants_of(user=request.user, target=user)]


@router.post(
    "/users/{user_id}/grants", response={201: GrantDetailOut}, summary="Grant a role on a unit"
)
def users_grant(request: HttpRequest, user_id: str, payload: GrantIn) -> Status[dict[str, object]]:
    user = selectors.user_get(user=request.user, user_id=user_id)
    grant = user_services.role_grant(
        actor=_actor(request),
        user=user,
        role=payload.role,
        unit=_unit(payload.unit),
        include_subtree=payload.include_subtree,
        valid_until=payload.valid_until,
    )
    return Status(201, _grant_out(grant))


@router.delete("/grants/{grant_id}", response=GrantDetailOut, summary="Revoke a role grant")
def grants_revoke(request: HttpRequest, grant_id: str) -> dict[str, object]:
    grant = selectors.grant_get(user=request.user, grant_id=grant_id)
    return _grant_out(user_services.role_revoke(actor=_actor(request), grant=grant))


@router.post(
    "/users/{user_id}/positions",
    response={201: PositionDetailOut},
    summary="Give a user a position in a unit",
)
def users_position_add(
    request: HttpRequest, user_id: str, payload: PositionIn
) -> Status[dict[str, object]]:
    user = selectors.user_get(user=request.user, user_id=user_id)
    position = user_services.position_add(
        actor=_actor(request),
        user=user,
        unit=_unit(payload.unit),
        title=payload.title,
        is_primary=payload.is_primary,
    )
    return Status(201, _position_out(position))
