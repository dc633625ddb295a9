"""The one place that answers "may this user do this action on this unit?".

Every view, API endpoint, selector and command asks here. A role is granted on a unit, and, when
`include_subtree`, on every unit below it (materialized-path prefix). Nothing is visible outside
the union of a user's grants.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock
from secretariat.core.errors import PermissionDenied
from secretariat.orgs.models import Unit

from .models import Role, RoleGrant


class Action(StrEnum):
    ORGS_VIEW = "orgs.view"
    ORGS_MANAGE = "orgs.manage"
    ACCOUNTS_VIEW = "accounts.view"
    ACCOUNTS_MANAGE = "accounts.manage"
    AUDIT_VIEW = "audit.view"
    # Documents: read them, capture (upload) them, keep the registers (number, register,
    # confidential entries, print). Administrators and auditors have none of these: they run the
    # platform and read its log, not the documents.
    DOCUMENTS_VIEW = "documents.view"
    DOCUMENTS_CAPTURE = "documents.capture"
    REGISTERS_VIEW = "registers.view"
    REGISTERS_MANAGE = "registers.manage"
    # Office work. Leaders instruct, approve and sign, and send directives; clerks present,
    # number, seal, dispatch and keep the case files; specialists draft and handle tasks.
    OFFICE_WORK = "office.work"  # see and act on the tasks and processes of one's units
    OFFICE_INSTRUCT = "office.instruct"  # instruct incoming documents, approve drafts, directives
    OFFICE_CLERK = "office.clerk"  # present, number, seal, dispatch, return, case files
    # Signatures: the trust store (on the root unit: node-wide), the built-in authority's
    # certificates and the credentials of the users and units of one's scope.
    SIGNING_MANAGE = "signing.manage"
    # Meetings: organize the meetings of one's units (schedule, invite, agenda, run the room,
    # votes, minutes). Taking part needs no role: an invitation is the right to attend.
    MEETINGS_ORGANIZE = "meetings.organize"
    # Party members: keep the full records of one's units' members (sensitive fields included);
    # read the aggregate statutory reports (no individual sensitive field).
    MEMBERS_MANAGE = "members.manage"
    MEMBERS_REPORTS = "members.reports"


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(
        {
            Action.ORGS_VIEW,
            Action.ORGS_MANAGE,
            Action.ACCOUNTS_VIEW,
            Action.ACCOUNTS_MANAGE,
            Action.SIGNING_MANAGE,
        }
    ),
    Role.UNIT_ADMIN: frozenset(
        {
            Action.ORGS_VIEW,
            Action.ORGS_MANAGE,
            Action.ACCOUNTS_VIEW,
            Action.ACCOUNTS_MANAGE,
            Action.SIGNING_MANAGE,
        }
    ),
    Role.RECORDS_CLERK: frozenset(
        {
            Action.ORGS_VIEW,
            Action.DOCUMENTS_VIEW,
            Action.DOCUMENTS_CAPTURE,
            Action.REGISTERS_VIEW,
            Action.REGISTERS_MANAGE,
            Action.OFFICE_WORK,
            Action.OFFICE_CLERK,
        }
    ),
    Role.LEADER: frozenset(
        {
            Action.ORGS_VIEW,
            Action.ACCOUNTS_VIEW,
            Action.DOCUMENTS_VIEW,
            Action.REGISTERS_VIEW,
            Action.OFFICE_WORK,
            Action.OFFICE_INSTRUCT,
            Action.MEETINGS_ORGANIZE,
            Action.MEMBERS_REPORTS,
        }
    ),
    Role.SPECIALIST: frozenset(
        {Action.ORGS_VIEW, Action.DOCUMENTS_VIEW, Action.DOCUMENTS_CAPTURE, Action.OFFICE_WORK}
    ),
    Role.MEETING_SECRETARY: frozenset(
        {Action.ORGS_VIEW, Action.DOCUMENTS_VIEW, Action.MEETINGS_ORGANIZE}
    ),
    Role.MEMBER_RECORDS_OFFICER: frozenset(
        {
            Action.ORGS_VIEW,
            Action.ACCOUNTS_VIEW,
            Action.DOCUMENTS_VIEW,
            Action.MEMBERS_MANAGE,
            Action.MEMBERS_REPORTS,
        }
    ),
    # Separation of duties: auditors read the log and the tree, and change nothing.
    Role.AUDITOR: frozenset({Action.ORGS_VIEW, Action.AUDIT_VIEW}),
}

# Roles whose holders must use a second factor (TOTP or a security key).
MFA_REQUIRED_ROLES = frozenset(
    {Role.SYSTEM_ADMIN, Role.UNIT_ADMIN, Role.LEADER, Role.RECORDS_CLERK, Role.AUDITOR}
)

# Who may grant which role: system administrators any; unit administrators the working roles
# inside their subtree, never administrator or auditor roles (no self-escalation).
_GRANTABLE_BY_UNIT_ADMIN = frozenset(
    {
        Role.RECORDS_CLERK,
        Role.LEADER,
        Role.SPECIALIST,
        Role.MEETING_SECRETARY,
        Role.MEMBER_RECORDS_OFFICER,
    }
)


def _is_active_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def active_grants(user: Any) -> list[RoleGrant]:
    """The user's grants in force today, cached on the user object for the request."""
    if not _is_active_user(user):
        return []
    cached = getattr(user, "_secretariat_grants", None)
    if cached is None:
        today = clock.today()
        cached = list(
            RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .select_related("unit")
        )
        user._secretariat_grants = cached
    return cached


def forget(user: Any) -> None:
    """Drop the cached grants (after a grant or revocation in the same request)."""
    if hasattr(user, "_secretariat_grants"):
        del user._secretariat_grants


def roles_of(user: Any) -> set[str]:
    return {g.role for g in active_grants(user)}


def _grants_for(user: Any, action: str) -> Iterable[RoleGrant]:
    return (g for g in active_grants(user) if action in ROLE_ACTIONS.get(g.role, frozenset()))


def _covers(grant: RoleGrant, unit: Unit) -> bool:
    if grant.include_subtree:
        return unit.path.startswith(grant.unit.path)
    return unit.pk == grant.unit_id


def _position_unit_ids(user: Any) -> list[Any]:
    return list(user.positions.filter(ended_on__isnull=True).values_list("unit_id", flat=True))


def can(user: Any, action: str, unit: Unit | None = None) -> bool:
    """True when one of the user's grants gives `action` on `unit` (or anywhere, if None)."""
    grants = list(_grants_for(user, action))
    if unit is None:
        return bool(grants) or (action == Action.ORGS_VIEW and _is_active_user(user))
    if any(_covers(g, unit) for g in grants):
        return True
    # Everyone sees the units they hold a position in (an ordinary member sees their cell).
    return (
        action == Action.ORGS_VIEW and _is_active_user(user) and unit.pk in _position_unit_ids(user)
    )


def require(user: Any, action: str, unit: Unit | None = None) -> None:
    if not can(user, action, unit):
        raise PermissionDenied(_("You do not have permission to do this here."))


def unit_scope(user: Any, action: str) -> Q:
    """A filter on Unit selecting exactly the units where the user may do `action`."""
    condition = Q(pk__in=[])
    for grant in _grants_for(user, action):
        if grant.include_subtree:
            condition |= Q(path__startswith=grant.unit.path)
        else:
            condition |= Q(pk=grant.unit_id)
    if action == Action.ORGS_VIEW and _is_active_user(user):
        condition |= Q(pk__in=_position_unit_ids(user))
    return condition


def units_in_scope(user: Any, action: str) -> QuerySet[Unit]:
    return Unit.objects.filter(unit_scope(user, action))


def scoped(
    queryset: QuerySet[Any], user: Any, action: str, unit_field: str = "unit"
) -> QuerySet[Any]:
    """Restrict any queryset whose rows belong to a unit to the user's scope for `action`."""
    return queryset.filter(**{f"{unit_field}__in": units_in_scope(user, action).values("pk")})


def may_grant(user: Any, role: str, unit: Unit) -> bool:
    """May `user` grant `role` on `unit`?"""
    for grant in active_grants(user):
        if not _covers(grant, unit):
            continue
        if grant.role == Role.SYSTEM_ADMIN:
            return True
        if grant.role == Role.UNIT_ADMIN and role in _GRANTABLE_BY_UNIT_ADMIN:
            return True
    return False


def mfa_required(user: Any) -> bool:
    return bool(roles_of(user) & MFA_REQUIRED_ROLES)


def is_system_admin(user: Any) -> bool:
    return Role.SYSTEM_ADMIN in roles_of(user)


__all__ = [
    "MFA_REQUIRED_ROLES",
    "ROLE_ACTIONS",
    "Action",
    "active_grants",
    "can",
    "forget",
    "is_system_admin",
    "may_grant",
    "mfa_required",
    "require",
    "roles_of",
    "scoped",
    "unit_scope",
    "units_in_scope",
]
