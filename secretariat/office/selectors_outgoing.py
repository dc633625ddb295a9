"""Read queries of outgoing documents. Each takes the acting user and applies the scope:
the drafting unit's processes are seen with `office.work` on that unit; a unit that received a
document (an internal recipient) sees that document's header and recall, never the drafting
unit's review circuit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.models import RoleGrant, User
from secretariat.accounts.policy import ROLE_ACTIONS, Action
from secretariat.core import clock
from secretariat.core.errors import NotFound
from secretariat.orgs.models import Unit

from .models import OutgoingDelivery, OutgoingProcess, OutgoingState, ReviewDecision, ReviewStep


def holders(action: str, units: Iterable[Unit]) -> QuerySet[User]:
    """Active users whose grants in force give `action` on at least one of `units` (a grant on
    the unit itself, or with its subtree on an ancestor)."""
    roles = [role for role, actions in ROLE_ACTIONS.items() if action in actions]
    today = clock.today()
    covering = Q(pk__in=[])
    for unit in units:
        ancestors = [unit.path[:i] for i in range(Unit.steplen, len(unit.path), Unit.steplen)]
        covering |= Q(unit=unit) | Q(include_subtree=True, unit__path__in=ancestors)
    grants = (
        RoleGrant.objects.filter(role__in=roles, revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .filter(covering)
    )
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id")).order_by(
        "full_name", "username"
    )


def drafting_units(*, user: Any) -> QuerySet[Unit]:
    """Active units where `user` may draft: office work and the right to capture the file."""
    work = policy.units_in_scope(user, Action.OFFICE_WORK)
    capture = policy.units_in_scope(user, Action.DOCUMENTS_CAPTURE)
    return work.filter(active=True, pk__in=capture.values("pk")).order_by("path")


def outgoing_visible_to(*, user: Any, state: str | None = None) -> QuerySet[OutgoingProcess]:
    """The outgoing processes of the units where `user` does office work, newest first."""
    queryset = policy.scoped(
        OutgoingProcess.objects.select_related(
            "document", "document__doc_type", "unit", "drafter", "signer"
        ),
        user,
        Action.OFFICE_WORK,
    )
    if state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-id")


def outgoing_get(*, user: Any, process_id: Any) -> OutgoingProcess:
    """A process of a unit where `user` does office work. NotFound when it does not exist or
    is outside the scope: the answer must not tell which."""
    process = outgoing_visible_to(user=user).filter(pk=process_id).first()
    if process is None:
        raise NotFound(_("No such outgoing document."))
    return process


def outgoing_received_get(*, user: Any, process_id: Any) -> OutgoingProcess:
    """A process delivered to a unit where `user` does office work (recipients see the
    document they received and its recall, Art. 18)."""
    units = policy.units_in_scope(user, Action.OFFICE_WORK).values("pk")
    process = (
        OutgoingProcess.objects.select_related("document", "document__doc_type", "unit")
        .filter(pk=process_id, deliveries__unit__in=units)
        .distinct()
        .first()
    )
    if process is None:
        raise NotFound(_("No such outgoing document."))
    return process


def recalls_to_confirm(*, user: Any) -> QuerySet[OutgoingDelivery]:
    """Recalled documents delivered to units where `user` is the clerk, not yet confirmed."""
    return policy.scoped(
        OutgoingDelivery.objects.select_related("process__document", "process__unit", "unit"),
        user,
        Action.OFFICE_CLERK,
    ).filter(process__state=OutgoingState.RECALLED, recall_confirmed_at__isnull=True)


def review_circuit(*, process: OutgoingProcess) -> list[ReviewStep]:
    """Every review step of every round, in order (the caller has checked the scope)."""
    return list(process.reviews.select_related("reviewer").order_by("round", "order"))


def current_round(process: OutgoingProcess) -> int | None:
    last = process.reviews.order_by("-round").values_list("round", flat=True).first()
    return int(last) if last is not None else None


def current_step(process: OutgoingProcess) -> ReviewStep | None:
    """The step whose reviewer is to speak now, or None (no circuit, or everyone has spoken)."""
    if process.state != OutgoingState.IN_REVIEW:
        return None
    round_ = current_round(process)
    if round_ is None:
        return None
    return (
        process.reviews.select_related("reviewer")
        .filter(round=round_, decision=ReviewDecision.PENDING)
        .order_by("order")
        .first()
    )


def deliveries(*, process: OutgoingProcess) -> list[OutgoingDelivery]:
    return list(process.deliveries.select_related("unit", "recall_confirmed_by").order_by("id"))


def corrections(*, process: OutgoingProcess) -> list[OutgoingProcess]:
    """The replacements and errata of `process` (Art. 18), oldest first."""
    return list(process.corrections.select_related("document").order_by("id"))


def available_actions(*, user: Any, process: OutgoingProcess) -> set[str]:
    """The actions `user` may take on `process` now, to offer them on the page (the services
    decide; this only avoids showing buttons that would be refused)."""
    unit = process.unit
    state = process.state
    actions: set[str] = set()
    is_drafter = user.pk == process.drafter_id and policy.can(user, Action.DOCUMENTS_CAPTURE, unit)
    is_signer = user.pk == process.signer_id and policy.can(user, Action.OFFICE_INSTRUCT, unit)
    clerk = policy.can(user, Action.OFFICE_CLERK, unit)
    if is_drafter and state in (OutgoingState.DRAFT, OutgoingState.RETURNED):
        actions |= {"version", "reviewers", "submit"}
    step = current_step(process)
    if step is not None and step.reviewer_id == user.pk:
        actions.add("review")
    if is_signer and state == OutgoingState.IN_REVIEW and step is None:
        actions.add("approve")
    if is_signer and state == OutgoingState.APPROVED:
        actions.add("sign")
    if clerk and state == OutgoingState.SIGNED:
        actions |= {"number", "return_signature"}
    if clerk and state == OutgoingState.NUMBERED:
        actions.add("seal")
    if clerk and state == OutgoingState.SEALED:
        actions.add("dispatch")
    drafts = policy.can(user, Action.OFFICE_WORK, unit) and policy.can(
        user, Action.DOCUMENTS_CAPTURE, unit
    )
    if drafts and state in (OutgoingState.DISPATCHED, OutgoingState.RECALLED):
        actions.add("replace")
    if drafts and state == OutgoingState.DISPATCHED:
        actions.add("errata")
    if state == OutgoingState.DISPATCHED and policy.can(user, Action.OFFICE_INSTRUCT, unit):
        actions.add("recall")
    return actions


def awaiting_seal(*, user: Any) -> QuerySet[OutgoingProcess]:
    """Numbered documents of the units where `user` keeps the seal (records clerk), oldest
    first: the batch the clerk seals after one second-factor confirmation."""
    units = policy.units_in_scope(user, Action.OFFICE_CLERK)
    return (
        OutgoingProcess.objects.filter(unit__in=units, state=OutgoingState.NUMBERED)
        .select_related("document", "unit")
        .order_by("updated_at")
    )
