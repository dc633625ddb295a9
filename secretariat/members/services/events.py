"""Services of the life cycle: record an event, confirm a transfer, follow a unit merge.

Every change appends or confirms a `MemberEvent`, then replays the member's *whole* sequence
with `lifecycle.derive` before anything is written: an event that cannot follow the others is
refused with the derivation's message, and nothing is half-written. The derived standing is
copied into the member's cached columns and an audit event is appended, all in one transaction
under the member's row lock.

Who may do what (`members.manage`, scoped to the org tree):

* the member's unit records the events; an event that names another unit of the node (the
  admitting or restoring cell, the unit a member comes back to) needs that unit too;
* a transfer to a unit of the node takes effect when an officer of the *receiving* unit confirms
  it; a transfer out of the node (or a temporary one outside it) waits, pending with its
  destination, until the sending unit records the other side's confirmation (the secure
  exchange will carry it once it exists);
* expulsions are discipline decisions (`records.discipline_add`); a cell's reorganization is
  recorded by the merge of units (`MembersFollowMerge`), never typed in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.orgs.models import Unit

from .. import lifecycle
from ..choices import CONFIRMED_TRANSFERS, INTERNAL_TRANSFERS, EventKind, Status
from ..models import Member, MemberEvent
from ._common import (
    FieldErrors,
    apply_standing,
    derive,
    facts,
    invalid,
    lock_member,
    record,
    require_manage,
    snapshot,
)
from .probation_forms import check_recognition_forms

# Kinds recorded by other services, not by `member_event_record`.
_NOT_TYPED_IN = {
    EventKind.EXPULSION: _("An expulsion is recorded as a discipline decision."),
    EventKind.UNIT_REORGANIZED: _("A cell's reorganization is recorded by merging the units."),
}


def rederive(member: Member) -> lifecycle.Standing:
    """Replay the member's stored events and refresh the cached columns (the caller saves)."""
    standing = derive(member, facts(member))
    apply_standing(member, standing)
    return standing


def _grassroots_of(unit: Unit) -> Unit | None:
    parent: Unit | None = Unit.objects.get_parent(unit, update=True)
    return parent


def _check(
    *,
    member: Member,
    kind: str,
    effective_on: dt.date,
    decision_date: dt.date | None,
    to_unit: Unit | None,
    external_destination: str,
    decision_number: str,
    issuing_body: str,
) -> FieldErrors:
    errors: FieldErrors = {}
    today = clock.today()
    if kind not in EventKind.values:
        errors["kind"] = [_("Choose a kind of event.")]
    if effective_on > today:
        errors["effective_on"] = [_("The effective date is in the future.")]
    if decision_date is not None and decision_date > today:
        errors["decision_date"] = [_("The decision date is in the future.")]
    if len(decision_number) > 50:
        errors["decision_number"] = [_("At most %(max)d characters.") % {"max": 50}]
    if len(issuing_body) > 255:
        errors["issuing_body"] = [_("At most %(max)d characters.") % {"max": 255}]
    if len(external_destination) > 255:
        errors["external_destination"] = [_("At most %(max)d characters.") % {"max": 255}]
    if to_unit is not None and not to_unit.active:
        errors["to_unit"] = [_("This unit is no longer active.")]
    if kind == EventKind.TRANSFER_WITHIN and to_unit is not None and not errors.get("to_unit"):
        committee = _grassroots_of(member.unit)
        if committee is None or not to_unit.path.startswith(committee.path):
            errors["to_unit"] = [
                _("A transfer within the committee goes to a unit of the same Party committee.")
            ]
    return errors


def member_event_record_nondurable(
    *,
    actor: Any | None,
    member: Member,
    kind: str,
    effective_on: dt.date,
    decision_number: str = "",
    decision_date: dt.date | None = None,
    issuing_unit: Unit | None = None,
    issuing_body: str = "",
    reason: str = "",
    to_unit: Unit | None = None,
    external_destination: str = "",
    without_forms: bool = False,
    without_forms_reason: str = "",
    _internal: bool = False,
) -> MemberEvent:
    """`member_event_record` inside the caller's transaction (the import, discipline)."""
    member = lock_member(member)
    if kind == EventKind.TRANSFER_IN:
        # The receiving unit brings the member back; it needs no right on the old unit.
        require_manage(actor, to_unit or member.unit)
    elif kind in CONFIRMED_TRANSFERS:
        # The sending unit transfers; the receiving unit confirms (member_transfer_confirm).
        require_manage(actor, member.unit)
    else:
        require_manage(actor, member.unit, to_unit)
    if not _internal and kind in _NOT_TYPED_IN:
        message = _NOT_TYPED_IN[EventKind(kind)]
        raise ValidationFailed(message, field_errors={"kind": [message]})
    decision_number = (decision_number or "").strip()
    issuing_body = (issuing_body or "").strip()
    external_destination = (external_destination or "").strip()
    errors = _check(
        member=member,
        kind=kind,
        effective_on=effective_on,
        decision_date=decision_date,
        to_unit=to_unit,
        external_destination=external_destination,
        decision_number=decision_number,
        issuing_body=issuing_body,
    )
    if errors:
        raise invalid(errors, _("The event cannot be recorded."))
    sequence = member.event_count
    existing = facts(member)
    # Only a transfer waits for a confirmation; every other event is in force once recorded.
    confirmed = kind not in CONFIRMED_TRANSFERS
    from_unit_id = None
    if kind in CONFIRMED_TRANSFERS:
        # Where the member belonged on the transfer's date (an event may be recorded late).
        from_unit_id = lifecycle.derive(
            existing, initial_unit_id=member.registered_unit_id, as_of=effective_on
        ).unit_id
    new_fact = lifecycle.EventFact(
        kind=kind,
        effective_on=effective_on,
        sequence=sequence,
        to_unit_id=to_unit.pk if to_unit is not None else None,
        from_unit_id=from_unit_id,
        external_destination=external_destination,
        confirmed=confirmed,
        ref=None,
    )
    # Validate the whole sequence with the new event before writing anything.
    derive(member, lifecycle.with_event(existing, new_fact))
    # A user recognizing official membership needs the recognition file (the system — history
    # loaded by a job or the demo — does not).
    missing_reason = ""
    if kind == EventKind.OFFICIAL and actor is not None:
        missing_reason = check_recognition_forms(
            member=member, without_forms=without_forms, without_forms_reason=without_forms_reason
        )
    before = snapshot(member)
    event = MemberEvent.objects.create(
        member=member,
        sequence=sequence,
        kind=kind,
        decision_number=decision_number,
        decision_date=decision_date,
        effective_on=effective_on,
        issuing_unit=issuing_unit,
        issuing_body=issuing_body,
        reason=(reason or "").strip(),
        from_unit_id=from_unit_id,
        to_unit=to_unit,
        external_destination=external_destination,
        confirmed_at=clock.now() if confirmed else None,
        confirmed_by=actor if confirmed else None,
        recorded_by=actor,
    )
    member.event_count = sequence + 1
    rederive(member)
    member.save()
    record(
        actor,
        "members.event_recorded",
        member,
        before=before,
        obj=event,
        data={
            "kind": kind,
            "effective_on": effective_on.isoformat(),
            "decision_number": decision_number,
            "to_unit": to_unit.code if to_unit is not None else "",
            "status": member.status,
            **({"without_forms": missing_reason} if missing_reason else {}),
        },
    )
    return event


@transaction.atomic(durable=True)
def member_event_record(
    *,
    actor: Any | None,
    member: Member,
    kind: str,
    effective_on: dt.date,
    decision_number: str = "",
    decision_date: dt.date | None = None,
    issuing_unit: Unit | None = None,
    issuing_body: str = "",
    reason: str = "",
    to_unit: Unit | None = None,
    external_destination: str = "",
    without_forms: bool = False,
    without_forms_reason: str = "",
) -> MemberEvent:
    """Append a life-cycle event (see `choices.EventKind`) after validating the member's whole
    sequence with it; the status and the other derived columns follow. `to_unit` is the
    admitting cell (candidacy, admission, re-admission), the receiving unit (transfers, coming
    back in) or the unit a restored member returns to; `external_destination` a destination
    outside the node (transfer out, temporary activity elsewhere).

    Official membership recorded by a user is refused while the self-review or the helper's
    comment is missing (`probation_forms.missing_forms`), unless `without_forms=True` with a
    `without_forms_reason`, kept in the audit event."""
    return member_event_record_nondurable(
        actor=actor,
        member=member,
        kind=kind,
        effective_on=effective_on,
        decision_number=decision_number,
        decision_date=decision_date,
        issuing_unit=issuing_unit,
        issuing_body=issuing_body,
        reason=reason,
        to_unit=to_unit,
        external_destination=external_destination,
        without_forms=without_forms,
        without_forms_reason=without_forms_reason,
    )


def may_confirm(user: Any | None, event: MemberEvent) -> bool:
    """Whether `user` confirms this transfer: the receiving unit's officer for a unit of the
    node, the sending unit's officer for a destination outside it."""
    if user is None:
        return True
    unit = event.to_unit if event.to_unit_id is not None else event.member.unit
    return policy.can(user, Action.MEMBERS_MANAGE, unit)


@transaction.atomic(durable=True)
def member_transfer_confirm(*, actor: Any | None, event: MemberEvent) -> MemberEvent:
    """Confirm a transfer awaiting confirmation: the member now belongs to the receiving unit
    (an official or internal transfer), is active there temporarily, or has left the node."""
    return member_transfer_confirm_nondurable(actor=actor, event=event)


def member_transfer_confirm_nondurable(
    *, actor: Any | None, event: MemberEvent, data: dict[str, Any] | None = None
) -> MemberEvent:
    """`member_transfer_confirm` inside the caller's transaction (the exchange's status of a
    transfer out of the node); `data` is added to the audit event."""
    member = lock_member(event.member_id)
    event = (
        for_update(MemberEvent.objects, of=("self",))
        .select_related("to_unit", "member")
        .get(pk=event.pk)
    )
    if event.kind not in CONFIRMED_TRANSFERS or member.pending_transfer_id != event.pk:
        raise Conflict(_("This transfer is not awaiting confirmation."))
    event.member = member
    if actor is not None and not may_confirm(actor, event):
        raise PermissionDenied(_("Only the receiving unit confirms this transfer."))
    if event.to_unit is not None and not event.to_unit.active:
        raise ValidationFailed(_("The receiving unit is no longer active."))
    before = snapshot(member)
    event.confirmed_at = clock.now()
    event.confirmed_by = actor
    event.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    rederive(member)
    member.save()
    record(
        actor,
        "members.transfer_confirmed",
        member,
        before=before,
        obj=event,
        data={
            "kind": event.kind,
            "to_unit": event.to_unit.code if event.to_unit is not None else "",
            "external": bool(event.external_destination),
            "status": member.status,
            **(data or {}),
        },
    )
    return event


# --- Unit merges (orgs.hooks.UnitMergeHook) -----------------------------------------------------

# The records that follow their cell into the merged unit: everyone still counted there.
_FOLLOWING_STATUSES = (
    Status.UNRECORDED,
    Status.CANDIDATE,
    Status.PROBATIONARY,
    Status.OFFICIAL,
)


class MembersFollowMerge:
    """When a unit is merged into another, its members (and candidates) move to the target by
    a `UNIT_REORGANIZED` event each, in the merge's transaction. Former members stay with the
    old unit, as its history."""

    def on_merge(self, *, actor: Any | None, source: Unit, target: Unit) -> None:
        ids = list(
            Member.objects.filter(unit=source, status__in=_FOLLOWING_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        today = clock.today()
        for pk in ids:
            member = Member.objects.get(pk=pk)
            member_event_record_nondurable(
                actor=None,
                member=member,
                kind=EventKind.UNIT_REORGANIZED,
                effective_on=today,
                issuing_unit=None,
                reason=f"{source.code} → {target.code}",
                to_unit=target,
                _internal=True,
            )


# The one instance registered with the tree (registering twice must not move twice).
MERGE_HOOK = MembersFollowMerge()

__all__ = [
    "INTERNAL_TRANSFERS",
    "MERGE_HOOK",
    "MembersFollowMerge",
    "may_confirm",
    "member_event_record",
    "member_event_record_nondurable",
    "member_transfer_confirm",
    "member_transfer_confirm_nondurable",
    "rederive",
]
