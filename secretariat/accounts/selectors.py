"""Read queries of the identity app. Every one that lists takes the acting user and scopes."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock
from secretariat.core.errors import NotFound
from secretariat.orgs.models import Unit

from . import policy
from .models import Position, RoleGrant, User


def grant_dict(grant: Any) -> dict[str, object]:
    return {
        "id": grant.pk,
        "role": grant.role,
        "unit_code": grant.unit.code,
        "unit_name": grant.unit.display_name,
        "include_subtree": grant.include_subtree,
        "valid_until": grant.valid_until,
    }


def mfa_enrolled(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or user.webauthn_credentials.exists()
    )


def user_profile(*, user: User) -> dict[str, object]:
    """What the caller may know about themself."""
    positions = user.positions.filter(ended_on__isnull=True).select_related("unit")
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "language": user.language,
        "roles": [grant_dict(g) for g in policy.active_grants(user)],
        "positions": [
            {
                "title": p.title,
                "unit_code": p.unit.code,
                "unit_name": p.unit.display_name,
                "is_primary": p.is_primary,
            }
            for p in positions
        ],
        "mfa_enrolled": mfa_enrolled(user),
    }


# --- administration of users ---------------------------------------------------------------------


def _active_grant_q(prefix: str = "") -> Q:
    today = clock.today()
    return Q(**{f"{prefix}revoked_at__isnull": True}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": today})
    )


def _belongs_to(units: QuerySet[Unit]) -> Q:
    """Users holding an active position or an active grant on one of `units`.

    EXISTS subqueries rather than joins: each user appears once (no DISTINCT over wide rows), and
    the planner stops at the first matching position or grant.
    """
    unit_ids = units.values("pk")
    positions = Position.objects.filter(
        user=OuterRef("pk"), ended_on__isnull=True, unit__in=unit_ids
    )
    grants = RoleGrant.objects.filter(_active_grant_q(), user=OuterRef("pk"), unit__in=unit_ids)
    return Q(Exists(positions)) | Q(Exists(grants))


def _orphans() -> Q:
    """Users with neither an active position nor an active grant: no unit claims them."""
    positions = Position.objects.filter(user=OuterRef("pk"), ended_on__isnull=True)
    grants = RoleGrant.objects.filter(_active_grant_q(), user=OuterRef("pk"))
    return ~Q(Exists(positions)) & ~Q(Exists(grants))


def users_visible_to(
    *,
    user: Any,
    action: str = policy.Action.ACCOUNTS_VIEW,
    search: str = "",
    unit: Unit | None = None,
) -> QuerySet[User]:
    """The users `user` may see (ACCOUNTS_VIEW) or change (ACCOUNTS_MANAGE).

    A user is in scope when they hold an active position or an active grant on a unit where the
    caller may do `action`. Users no unit claims are visible to system administrators only.
    `search` matches the username or the full name; `unit` keeps the users who belong to that unit
    or to a unit below it. Active positions (`active_positions`) and active grants
    (`active_grants`) are prefetched with their units.
    """
    if not policy.can(user, action):
        return User.objects.none()
    condition = _belongs_to(policy.units_in_scope(user, action))
    if policy.is_system_admin(user):
        condition |= _orphans()
    queryset = User.objects.filter(condition)
    search = " ".join(search.split())
    if search:
        queryset = queryset.filter(Q(username__icontains=search) | Q(full_name__icontains=search))
    if unit is not None:
        queryset = queryset.filter(_belongs_to(Unit.objects.filter(path__startswith=unit.path)))
    return queryset.order_by("full_name", "username").prefetch_related(
        Prefetch(
            "positions",
            queryset=Position.objects.filter(ended_on__isnull=True)
            .select_related("unit")
            .order_by("-is_primary", "created_at"),
            to_attr="active_positions",
        ),
        Prefetch(
            "role_grants",
            queryset=RoleGrant.objects.filter(_active_grant_q())
            .select_related("unit")
            .order_by("role", "created_at"),
            to_attr="active_grants",
        ),
    )


def _parse_id(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def user_get(*, user: Any, user_id: Any, action: str = policy.Action.ACCOUNTS_VIEW) -> User:
    """One user in the caller's scope; NotFound otherwise (outside scope looks like absent)."""
    pk = _parse_id(user_id)
    target = users_visible_to(user=user, action=action).filter(pk=pk).first() if pk else None
    if target is None:
        raise NotFound(_("No such user."))
    return target


def positions_of(*, user: Any, target: User) -> QuerySet[Position]:
    """Every position of a visible user, current first, then the history."""
    user_get(user=user, user_id=target.pk)
    return (
        Position.objects.filter(user=target)
        .select_related("unit")
        .order_by("ended_on", "-is_primary", "created_at")
    )


def grants_of(*, user: Any, target: User) -> QuerySet[RoleGrant]:
    """Every grant of a visible user, with an `is_active` annotation, active ones first."""
    user_get(user=user, user_id=target.pk)
    today = clock.today()
    return (
        RoleGrant.objects.filter(user=target)
        .select_related("unit", "granted_by")
        .annotate(
            is_active=Q(revoked_at__isnull=True)
            & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        )
        .order_by("-is_active", "role", "created_at")
    )


def grant_get(*, user: Any, grant_id: Any) -> RoleGrant:
    """A grant whose holder the caller may see; NotFound otherwise."""
    pk = _parse_id(grant_id)
    visible = users_visible_to(user=user).values("pk")
    grant = (
        RoleGrant.objects.select_related("unit", "user").filter(pk=pk, user__in=visible).first()
        if pk
        else None
    )
    if grant is None:
        raise NotFound(_("No such role grant."))
    return grant


def position_get(*, user: Any, position_id: Any) -> Position:
    """A position whose holder the caller may see; NotFound otherwise."""
    pk = _parse_id(position_id)
    visible = users_visible_to(user=user).values("pk")
    position = (
        Position.objects.select_related("unit", "user").filter(pk=pk, user__in=visible).first()
        if pk
        else None
    )
    if position is None:
        raise NotFound(_("No such position."))
    return position


def unit_by_code(code: str) -> Unit | None:
    """The unit with this electronic code, or None."""
    return Unit.objects.filter(code=code.strip()).first() if code and code.strip() else None


def units_for_picker(*, user: Any, action: str = policy.Action.ACCOUNTS_MANAGE) -> QuerySet[Unit]:
    """Active units where the caller may do `action`, in tree order, for unit pickers."""
    return policy.units_in_scope(user, action).filter(active=True).order_by("path")
