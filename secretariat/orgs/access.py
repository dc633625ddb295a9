"""Permission checks of the tree, delegated to the registered access policy (see `hooks`).

`actor=None` is the system itself (management commands, migrations of data): it may do anything.
Everything a person does goes through the policy.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.core.errors import PermissionDenied

from .hooks import ORGS_MANAGE, ORGS_VIEW, access_policy
from .models import Unit


def can_view(user: Any | None, unit: Unit) -> bool:
    return user is None or access_policy().can(user, ORGS_VIEW, unit)


def can_manage(user: Any | None, unit: Unit) -> bool:
    return user is None or access_policy().can(user, ORGS_MANAGE, unit)


def can_manage_somewhere(user: Any | None) -> bool:
    return user is None or access_policy().can(user, ORGS_MANAGE, None)


def is_system(user: Any | None) -> bool:
    """The system or a system administrator: the only ones who may create or move root units."""
    return user is None or access_policy().is_system_admin(user)


def require_manage(user: Any | None, unit: Unit) -> None:
    if not can_manage(user, unit):
        raise PermissionDenied(_("You may not manage the unit %(code)s.") % {"code": unit.code})


def require_system(user: Any | None) -> None:
    if not is_system(user):
        raise PermissionDenied(_("Only a system administrator may create or move a root unit."))


def viewable(user: Any | None) -> QuerySet[Unit]:
    if user is None:
        return Unit.objects.all()
    return Unit.objects.filter(access_policy().unit_scope(user, ORGS_VIEW))


def manageable(user: Any | None) -> QuerySet[Unit]:
    if user is None:
        return Unit.objects.all()
    return Unit.objects.filter(access_policy().unit_scope(user, ORGS_MANAGE))
