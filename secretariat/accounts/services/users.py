"""Administration of users, their positions and their role grants: the only writers of those rows.

Every service takes the acting user first, checks the policy, validates, writes and appends its
audit event in one transaction. Callers from views, the API and commands get durable transactions
(a service cannot be nested by accident); the idempotent `*_ensure`/`*_get_or_create` helpers the
demo seeder composes are not durable, so a seeder can wrap many of them in one transaction.

Who may change an *account* (name, language, activity, password) is stricter than who may see it:
the account must sit entirely inside the actor's manage scope, and the actor must be able to grant
every role it holds. Otherwise a commune administrator could reset the password of a provincial
system administrator who merely holds a position in the commune, and sign in as them.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.orgs.models import Unit

from .. import policy, selectors
from ..models import Position, Role, RoleGrant, User

# Lower-case ASCII so that a username typed on any keyboard (with or without a Vietnamese input
# method) matches, and so that "NguyenVanA" and "nguyenvana" cannot be two accounts.
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,149}$")
LANGUAGES = frozenset(code for code, _label in User._meta.get_field("language").choices or [])
# Temporary passwords: no look-alike characters (0/O, 1/l/I) since they are read out or typed.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"

_NOT_YOURS = _("This account holds roles or positions outside what you may manage.")


# --- snapshots (audit before/after; never a password or its hash) -------------------------------


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "language": user.language,
        "is_active": user.is_active,
    }


def _position_snapshot(position: Position) -> dict[str, Any]:
    return {
        "user": str(position.user_id),
        "unit": str(position.unit_id),
        "title": position.title,
        "is_primary": position.is_primary,
        "ended_on": position.ended_on.isoformat() if position.ended_on else None,
    }


def _grant_snapshot(grant: RoleGrant) -> dict[str, Any]:
    return {
        "user": str(grant.user_id),
        "role": grant.role,
        "unit": str(grant.unit_id),
        "include_subtree": grant.include_subtree,
        "valid_until": grant.valid_until.isoformat() if grant.valid_until else None,
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }


# --- checks --------------------------------------------------------------------------------------


def _active_grants_q(today: dt.date) -> Q:
    return Q(revoked_at__isnull=True) & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))


def _home_unit(user: User) -> Unit | None:
    """The unit an event about the account belongs to: its primary active position, if any."""
    position = (
        user.positions.filter(ended_on__isnull=True)
        .select_related("unit")
        .order_by("-is_primary", "created_at")
        .first()
    )
    return position.unit if position else None


def _require_user_in_manage_scope(actor: User, user: User) -> None:
    """The target must be one the actor may manage (holds something in the actor's scope)."""
    manageable = selectors.users_visible_to(user=actor, action=policy.Action.ACCOUNTS_MANAGE)
    if not manageable.filter(pk=user.pk).exists():
        raise PermissionDenied(_("You may not manage this user."))


def _require_account_control(actor: User, user: User) -> None:
    """The actor may change the account itself only if all of it lies within their powers."""
    _require_user_in_manage_scope(actor, user)
    if actor.pk == user.pk:
        return
    today = clock.today()
    for grant in user.role_grants.filter(_active_grants_q(today)).select_related("unit"):
        if not policy.may_grant(actor, grant.role, grant.unit):
            raise PermissionDenied(_NOT_YOURS)
    for position in user.positions.filter(ended_on__isnull=True).select_related("unit"):
        if not policy.can(actor, policy.Action.ACCOUNTS_MANAGE, position.unit):
            raise PermissionDenied(_NOT_YOURS)


def _require_unit_in_manage_scope(actor: User, unit: Unit) -> None:
    if not policy.can(actor, policy.Action.ACCOUNTS_MANAGE, unit):
        raise PermissionDenied(_("You may not manage users of this unit."))
    if not unit.active:
        raise ValidationFailed(
            _("This unit is no longer active."),
            field_errors={"unit": [_("This unit is no longer active.")]},
        )


def _clean_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        message = _(
            "Use 3 to 150 characters: lower-case letters without accents, digits, '.', '_' or "
            "'-', starting with a letter."
        )
        raise ValidationFailed(message, field_errors={"username": [message]})
    return username


def _clean_full_name(full_name: str) -> str:
    full_name = " ".join(full_name.split())
    if not full_name:
        message = _("Enter the full name.")
        raise ValidationFailed(message, field_errors={"full_name": [message]})
    if len(full_name) > 150:
        message = _("The full name is at most 150 characters.")
        raise ValidationFailed(message, field_errors={"full_name": [message]})
    return full_name


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title or len(title) > 150:
        message = _("Enter a title of at most 150 characters.")
        raise ValidationFailed(message, field_errors={"title": [message]})
    return title


def _clean_language(language: str) -> str:
    if language not in LANGUAGES:
        message = _("Choose one of the offered languages.")
        raise ValidationFailed(message, field_errors={"language": [message]})
    return language


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("The password is too weak."), field_errors={"password": list(exc.messages)}
        ) from exc


def _username_taken() -> ValidationFailed:
    message = _("This username is already taken.")
    return ValidationFailed(message, field_errors={"username": [message]})


# --- users ---------------------------------------------------------------------------------------


def _create(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    password: str | None,
    language: str,
    unit: Unit,
    title: str,
) -> User:
    """Create the user and their primary position; caller holds the transaction."""
    if actor is not None:
        _require_unit_in_manage_scope(actor, unit)
    username = _clean_username(username)
    full_name = _clean_full_name(full_name)
    language = _clean_language(language)
    title = _clean_title(title)
    if User.objects.filter(username__iexact=username).exists():
        raise _username_taken()
    user = User(username=username, full_name=full_name, language=language)
    if password is None:
        # No password yet: the administrator issues a temporary one with a reset.
        user.set_unusable_password()
    else:
        _validate_password(password, user)
        user.set_password(password)
    user.save()
    position = Position.objects.create(user=user, unit=unit, title=title, is_primary=True)
    audit.record(
        actor=actor,
        action="accounts.user_created",
        unit=unit,
        obj=user,
        after=_user_snapshot(user),
        data={
            "username": username,
            "unit": unit.code,
            "title": title,
            "position": str(position.pk),
            "password_set": password is not None,
        },
    )
    return user


def user_create(
    *,
    actor: User,
    username: str,
    full_name: str,
    password: str | None,
    language: str,
    unit: Unit,
    title: str,
) -> User:
    """Create a user with a primary position in `unit`, which must be in the actor's manage
    scope. `password=None` leaves the account without a usable password."""
    try:
        with transaction.atomic(durable=True):
            return _create(
                actor=actor,
                username=username,
                full_name=full_name,
                password=password,
                language=language,
                unit=unit,
                title=title,
            )
    except IntegrityError as exc:
        # Two administrators created the same username at once: the unique index decided.
        raise _username_taken() from exc


@transaction.atomic(durable=True)
def user_update(*, actor: User, user: User, full_name: str, language: str, is_active: bool) -> User:
    """Change the name, preferred language and activity of an account."""
    _require_account_control(actor, user)
    if actor.pk == user.pk and not is_active:
        raise Conflict(_("You cannot deactivate your own account."))
    full_name = _clean_full_name(full_name)
    language = _clean_language(language)
    before = _user_snapshot(user)
    user.full_name, user.language, user.is_active = full_name, language, is_active
    after = _user_snapshot(user)
    if after == before:
        return user
    user.save(update_fields=["full_name", "language", "is_active"])
    action = "accounts.user_updated"
    if before["is_active"] != is_active:
        action = "accounts.user_deactivated" if not is_active else "accounts.user_reactivated"
    audit.record(
        actor=actor,
        action=action,
        unit=_home_unit(user),
        obj=user,
        before=before,
        after=after,
        data={
            "username": user.username,
            "changed": sorted(k for k in after if after[k] != before[k]),
        },
    )
    return user


def user_deactivate(*, actor: User, user: User) -> User:
    """Stop the account from signing in; positions and grants stay as the record shows them."""
    return user_update(
        actor=actor, user=user, full_name=user.full_name, language=user.language, is_active=False
    )


def _temporary_password() -> str:
    # Three groups of five: 15 characters over a 54-letter alphabet ≈ 86 bits, easy to read out.
    groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(5)) for _ in range(3))
    return "-".join(groups)


@transaction.atomic(durable=True)
def password_reset_by_admin(*, actor: User, user: User) -> str:
    """Give the account a random temporary password and return it, to be shown once.

    Changing the password also ends the user's other sessions (Django's session hash).
    """
    _require_account_control(actor, user)
    if actor.pk == user.pk:
        raise Conflict(_("Change your own password from your security page."))
    password = _temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit.record(
        actor=actor,
        action="accounts.password_reset",
        unit=_home_unit(user),
        obj=user,
        data={"username": user.username},
    )
    return password


# --- positions -----------------------------------------------------------------------------------


def _add_position(
    *, actor: User | None, user: User, unit: Unit, title: str, is_primary: bool
) -> Position:
    title = _clean_title(title)
    active = user.positions.filter(ended_on__isnull=True)
    if active.filter(unit=unit, title__iexact=title).exists():
        raise Conflict(_("The user already holds this position."))
    if is_primary:
        # One primary position at a time: the new one takes over.
        active.filter(is_primary=True).update(is_primary=False, updated_at=clock.now())
    position = Position.objects.create(user=user, unit=unit, title=title, is_primary=is_primary)
    audit.record(
        actor=actor,
        action="accounts.position_added",
        unit=unit,
        obj=position,
        after=_position_snapshot(position),
        data={"username": user.username, "unit": unit.code, "title": title},
    )
    return position


@transaction.atomic(durable=True)
def position_add(*, actor: User, user: User, unit: Unit, title: str, is_primary: bool) -> Position:
    """Give a user a (further) position in a unit of the actor's manage scope."""
    _require_user_in_manage_scope(actor, user)
    _require_unit_in_manage_scope(actor, unit)
    for_update(User.objects).filter(pk=user.pk).first()
    return _add_position(actor=actor, user=user, unit=unit, title=title, is_primary=is_primary)


@transaction.atomic(durable=True)
def position_end(*, actor: User, position: Position, ended_on: dt.date) -> Position:
    """End a position on a date (today or earlier); the user then no longer belongs there."""
    if not policy.can(actor, policy.Action.ACCOUNTS_MANAGE, position.unit):
        raise PermissionDenied(_("You may not manage users of this unit."))
    position = for_update(Position.objects).select_related("user", "unit").get(pk=position.pk)
    if position.ended_on is not None:
        raise Conflict(_("This position has already ended."))
    if ended_on > clock.today():
        message = _("The end date cannot be in the future.")
        raise ValidationFailed(message, field_errors={"ended_on": [message]})
    if ended_on < timezone.localdate(position.created_at):
        message = _("The end date cannot be before the position began.")
        raise ValidationFailed(message, field_errors={"ended_on": [message]})
    before = _position_snapshot(position)
    position.ended_on = ended_on
    position.save(update_fields=["ended_on", "updated_at"])
    audit.record(
        actor=actor,
        action="accounts.position_ended",
        unit=position.unit,
        obj=position,
        before=before,
        after=_position_snapshot(position),
        data={
            "username": position.user.username,
            "unit": position.unit.code,
            "title": position.title,
            "ended_on": ended_on.isoformat(),
        },
    )
    return position


# --- role grants ---------------------------------------------------------------------------------


def _grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    unit: Unit,
    include_subtree: bool,
    valid_until: dt.date | None,
) -> RoleGrant:
    """Write the grant after the checks; caller holds the transaction and the user row lock."""
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        unit=unit,
        include_subtree=include_subtree,
        valid_until=valid_until,
        granted_by=actor,
    )
    audit.record(
        actor=actor,
        action="accounts.role_granted",
        unit=unit,
        obj=grant,
        after=_grant_snapshot(grant),
        data={
            "username": user.username,
            "role": role,
            "unit": unit.code,
            "include_subtree": include_subtree,
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )
    policy.forget(user)
    return grant


def _identical_active(user: User, role: str, unit: Unit, include_subtree: bool) -> RoleGrant | None:
    return (
        RoleGrant.objects.filter(
            _active_grants_q(clock.today()),
            user=user,
            role=role,
            unit=unit,
            include_subtree=include_subtree,
        )
        .order_by("created_at")
        .first()
    )


@transaction.atomic(durable=True)
def role_grant(
    *,
    actor: User,
    user: User,
    role: str,
    unit: Unit,
    include_subtree: bool,
    valid_until: dt.date | None,
) -> RoleGrant:
    """Grant `role` on `unit` (and its subtree) to `user`, until `valid_until` inclusive."""
    if role not in Role.values:
        message = _("Choose one of the offered roles.")
        raise ValidationFailed(message, field_errors={"role": [message]})
    if actor.pk == user.pk:
        # Separation of duties: nobody widens (or narrows) their own powers.
        raise PermissionDenied(_("You cannot change your own roles."))
    _require_user_in_manage_scope(actor, user)
    if not policy.may_grant(actor, role, unit):
        raise PermissionDenied(_("You may not grant this role on this unit."))
    if not unit.active:
        message = _("This unit is no longer active.")
        raise ValidationFailed(message, field_errors={"unit": [message]})
    if valid_until is not None and valid_until < clock.today():
        message = _("The end date cannot be in the past.")
        raise ValidationFailed(message, field_errors={"valid_until": [message]})
    # Lock the user row so that two identical grants submitted at once cannot both pass the check.
    for_update(User.objects).filter(pk=user.pk).first()
    if _identical_active(user, role, unit, include_subtree) is not None:
        raise Conflict(_("The user already holds this role on this unit."))
    return _grant(
        actor=actor,
        user=user,
        role=role,
        unit=unit,
        include_subtree=include_subtree,
        valid_until=valid_until,
    )


@transaction.atomic(durable=True)
def role_revoke(*, actor: User, grant: RoleGrant) -> RoleGrant:
    """Revoke a grant now. Only who could have granted it may revoke it."""
    grant = for_update(RoleGrant.objects).select_related("user", "unit").get(pk=grant.pk)
    if actor.pk == grant.user_id:
        raise PermissionDenied(_("You cannot change your own roles."))
    if not policy.may_grant(actor, grant.role, grant.unit):
        raise PermissionDenied(_("You may not revoke this role."))
    if grant.revoked_at is not None:
        raise Conflict(_("This role has already been revoked."))
    before = _grant_snapshot(grant)
    grant.revoked_at = clock.now()
    grant.save(update_fields=["revoked_at", "updated_at"])
    audit.record(
        actor=actor,
        action="accounts.role_revoked",
        unit=grant.unit,
        obj=grant,
        before=before,
        after=_grant_snapshot(grant),
        data={"username": grant.user.username, "role": grant.role, "unit": grant.unit.code},
    )
    policy.forget(grant.user)
    return grant


# --- idempotent helpers for the demo seeder and commands -----------------------------------------


@transaction.atomic
def user_get_or_create(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    password: str | None,
    unit: Unit,
    title: str,
    language: str = "vi",
) -> tuple[User, bool]:
    """The user named `username`, created with a primary position in `unit` if missing.

    `actor=None` is the system itself (a seeder or a bootstrap command): no policy check, and the
    audit event has no actor. An existing user is returned unchanged.
    """
    existing = User.objects.filter(username__iexact=username.strip()).first()
    if existing is not None:
        return existing, False
    user = _create(
        actor=actor,
        username=username,
        full_name=full_name,
        password=password,
        language=language,
        unit=unit,
        title=title,
    )
    return user, True


@transaction.atomic
def role_ensure(
    *, actor: User | None, user: User, role: str, unit: Unit, include_subtree: bool = True
) -> RoleGrant:
    """An active, open-ended grant of `role` on `unit` to `user`, created (and audited) if missing.

    `actor=None` is the system itself (see `user_get_or_create`); otherwise `may_grant` applies.
    """
    if role not in Role.values:
        message = _("Choose one of the offered roles.")
        raise ValidationFailed(message, field_errors={"role": [message]})
    if actor is not None and not policy.may_grant(actor, role, unit):
        raise PermissionDenied(_("You may not grant this role on this unit."))
    for_update(User.objects).filter(pk=user.pk).first()
    existing = _identical_active(user, role, unit, include_subtree)
    if existing is not None:
        return existing
    return _grant(
        actor=actor,
        user=user,
        role=role,
        unit=unit,
        include_subtree=include_subtree,
        valid_until=None,
    )


__all__ = [
    "password_reset_by_admin",
    "position_add",
    "position_end",
    "role_ensure",
    "role_grant",
    "role_revoke",
    "user_create",
    "user_deactivate",
    "user_get_or_create",
    "user_update",
]
