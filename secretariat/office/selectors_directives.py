"""Read queries of directives. Each takes the acting user and applies the scope.

Two ways to belong to a directive:
- *seeing* it follows the ordinary scope (`office.work` on a unit, subtree grants included): the
  sending unit's people, and the people of any receiving unit in their scope;
- *acting for* a receiving unit (reading, acknowledging, reporting) needs a role granted on that
  very unit. A grant over a subtree is not enough: otherwise the province leader who sent the
  directive — whose grant covers every commune and cell — could acknowledge in their place, and
  the matrix would track nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.models import Role, RoleGrant, User
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.core.errors import NotFound
from secretariat.orgs.models import Unit

from .models import Directive, DirectiveRecipient

# Who answers for a receiving unit: its leaders and its records clerks (văn thư).
ANSWERING_ROLES = frozenset({Role.LEADER, Role.RECORDS_CLERK})


def acts_for(*, user: Any, unit: Unit, action: str) -> bool:
    """True when one of the user's grants in force gives `action` on `unit` itself."""
    return any(
        grant.unit_id == unit.pk and action in policy.ROLE_ACTIONS.get(grant.role, frozenset())
        for grant in policy.active_grants(user)
    )


def may_answer_for(*, user: Any, unit: Unit) -> bool:
    """May the user acknowledge and report for `unit` (a leader or clerk of that unit)?"""
    return acts_for(user=user, unit=unit, action=Action.OFFICE_INSTRUCT) or acts_for(
        user=user, unit=unit, action=Action.OFFICE_CLERK
    )


def people_of(*, units: Iterable[Unit], roles: Iterable[str]) -> QuerySet[User]:
    """Active users holding one of `roles` granted on one of `units` itself, today."""
    today = clock.today()
    grants = RoleGrant.objects.filter(
        user=OuterRef("pk"),
        unit__in=[u.pk for u in units],
        role__in=list(roles),
        revoked_at__isnull=True,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    return User.objects.filter(Exists(grants), is_active=True).order_by("username")


def _scope_ids(user: Any) -> QuerySet[Any]:
    return policy.units_in_scope(user, Action.OFFICE_WORK).values("pk")


def directives_visible_to(*, user: Any) -> QuerySet[Directive]:
    """Directives sent by a unit in the user's scope or received by one, newest first."""
    scope = _scope_ids(user)
    received = DirectiveRecipient.objects.filter(directive=OuterRef("pk"), unit__in=scope)
    return (
        Directive.objects.filter(Q(unit__in=scope) | Exists(received))
        .select_related("unit", "target", "author")
        .order_by("-id")
    )


def directives_sent(*, user: Any, limit: int = 100) -> list[Directive]:
    """Directives sent by the units in the user's scope, newest first."""
    queryset = policy.scoped(Directive.objects.all(), user, Action.OFFICE_WORK)
    return list(queryset.select_related("unit", "target", "author").order_by("-id")[:limit])


def recipients_received(*, user: Any, limit: int = 100) -> list[DirectiveRecipient]:
    """What the units in the user's scope received, newest first (one row per unit)."""
    queryset = policy.scoped(DirectiveRecipient.objects.all(), user, Action.OFFICE_WORK)
    return list(
        queryset.select_related("directive", "directive__unit", "unit").order_by(
            "-directive_id", "unit__path"
        )[:limit]
    )


def _parse(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def directive_get(*, user: Any, directive_id: Any) -> Directive:
    """The directive if the user may see it; NotFound otherwise (existence is not revealed)."""
    pk = _parse(directive_id)
    directive = directives_visible_to(user=user).filter(pk=pk).first() if pk else None
    if directive is None:
        raise NotFound(_("No such directive."))
    return directive


def directive_visible(*, user_id: Any, directive_id: Any) -> bool:
    """For long-lived connections: reloads the user, so a deactivated account or a revoked
    grant takes effect at once instead of at the next sign-in."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    pk = _parse(directive_id)
    if user is None or pk is None:
        return False
    return directives_visible_to(user=user).filter(pk=pk).exists()


def recipient_get(*, user: Any, recipient_id: Any) -> DirectiveRecipient:
    """A receiving unit's row if that unit is in the user's scope; NotFound otherwise."""
    pk = _parse(recipient_id)
    queryset = policy.scoped(DirectiveRecipient.objects.all(), user, Action.OFFICE_WORK)
    recipient = (
        queryset.select_related("directive", "directive__unit", "unit").filter(pk=pk).first()
        if pk
        else None
    )
    if recipient is None:
        raise NotFound(_("No such directive."))
    return recipient


def is_sender_side(*, user: Any, directive: Directive) -> bool:
    """The sending unit's people follow every receiving unit; others only their own."""
    return policy.can(user, Action.OFFICE_WORK, directive.unit)


def own_recipients(*, user: Any, directive: Directive) -> list[DirectiveRecipient]:
    """The receiving rows the user acts for (the units where a role is granted on the unit)."""
    unit_ids = {
        g.unit_id
        for g in policy.active_grants(user)
        if Action.OFFICE_WORK in policy.ROLE_ACTIONS.get(g.role, frozenset())
    }
    rows = directive.recipients.filter(unit_id__in=unit_ids).select_related("unit")
    return list(rows.order_by("unit__path"))


def sending_units(*, user: Any) -> QuerySet[Unit]:
    """Active units the user may send directives from (and target: the service checks that the
    target lies in the sending unit's subtree), in tree order."""
    return policy.units_in_scope(user, Action.OFFICE_INSTRUCT).filter(active=True).order_by("path")


@dataclass(frozen=True)
class MatrixCounts:
    total: int
    read: int
    acknowledged: int
    reported: int
    escalated: int


@dataclass(frozen=True)
class Matrix:
    """The acknowledgement matrix as one reader may see it."""

    directive: Directive
    rows: list[DirectiveRecipient]
    counts: MatrixCounts
    complete: bool  # every receiving unit (sender side) or only the reader's own units


def directive_matrix(*, user: Any, directive: Directive) -> Matrix:
    """Rows in tree order with their times; the sending side sees every receiving unit, a
    receiving side only the units in its scope. Two queries whatever the number of units."""
    rows_qs = directive.recipients.select_related("unit", "read_by", "acknowledged_by")
    complete = is_sender_side(user=user, directive=directive)
    if not complete:
        rows_qs = policy.scoped(rows_qs, user, Action.OFFICE_WORK)
    rows = list(rows_qs.order_by("unit__path"))
    counts = MatrixCounts(
        total=len(rows),
        read=sum(1 for r in rows if r.read_at),
        acknowledged=sum(1 for r in rows if r.acknowledged_at),
        reported=sum(1 for r in rows if r.reported_at),
        escalated=sum(1 for r in rows if r.escalated_at),
    )
    return Matrix(directive=directive, rows=rows, counts=counts, complete=complete)
