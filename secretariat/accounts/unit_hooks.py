"""What identity does for the organization tree (see `secretariat.orgs.hooks`).

The tree app is a lower layer and cannot import this one, so it declares the interfaces and we
register their implementations in `AccountsConfig.ready()`:

* the access policy (`policy.can`, `policy.unit_scope`, `policy.is_system_admin`);
* on a merge, the positions in force of the source unit move to the target and its live role
  grants are revoked (moving them would widen their holders' scope), in the merge's transaction;
  ended positions and revoked grants stay where they were, as history of the source unit;
* before a dissolution, the number of positions still in force in the unit.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.locks import for_update
from secretariat.orgs import hooks
from secretariat.orgs.models import Unit

from . import policy
from .models import Position, RoleGrant


class AccountsAccessPolicy:
    def can(self, user: Any, action: str, unit: Unit | None = None) -> bool:
        return policy.can(user, action, unit)

    def unit_scope(self, user: Any, action: str) -> Q:
        return policy.unit_scope(user, action)

    def is_system_admin(self, user: Any) -> bool:
        return policy.is_system_admin(user)


class MovePeopleOnMerge:
    def on_merge(self, *, actor: Any | None, source: Unit, target: Unit) -> None:
        positions = for_update(Position.objects).filter(unit=source, ended_on__isnull=True)
        for position in positions.order_by("pk"):
            position.unit = target
            position.save(update_fields=["unit", "updated_at"])
            audit.record(
                actor=actor,
                action="accounts.position_moved",
                unit=target,
                obj=position,
                data={"from": source.code, "to": target.code, "user_id": str(position.user_id)},
            )
        # Grants are revoked, not moved: a role on the source unit moved to the target would
        # silently widen its holder's scope to everything the target already contains. An
        # administrator grants roles on the merged unit deliberately.
        grants = for_update(RoleGrant.objects).filter(unit=source, revoked_at__isnull=True)
        now = clock.now()
        for grant in grants.order_by("pk"):
            grant.revoked_at = now
            grant.save(update_fields=["revoked_at", "updated_at"])
            audit.record(
                actor=actor,
                action="accounts.grant_revoked_by_merge",
                unit=source,
                obj=grant,
                data={
                    "from": source.code,
                    "to": target.code,
                    "role": grant.role,
                    "user_id": str(grant.user_id),
                },
            )


class ActivePositions:
    def active_members(self, unit: Unit) -> int:
        return Position.objects.filter(unit=unit, ended_on__isnull=True).count()


ACCESS_POLICY = AccountsAccessPolicy()
MERGE_HOOK = MovePeopleOnMerge()
DISSOLVE_CHECK = ActivePositions()


def register() -> None:
    hooks.register_access_policy(ACCESS_POLICY)
    hooks.register_merge_hook(MERGE_HOOK)
    hooks.register_dissolve_check(DISSOLVE_CHECK)
