"""What the member services share: permission checks, row locks, the derived columns, audit
snapshots. Internal to `services/`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.orgs.models import Unit

from .. import lifecycle
from ..models import Member, MemberEvent

FieldErrors = dict[str, list[str | Promise]]


def invalid(errors: FieldErrors, message: str | Promise | None = None) -> ValidationFailed:
    """A ValidationFailed with `errors`: its message is the one problem when there is one
    (clearest), else `message` (a summary; the form shows each field's problems)."""
    problems = [m for messages in errors.values() for m in messages]
    summary = problems[0] if len(problems) == 1 or message is None else message
    return ValidationFailed(summary, field_errors=errors)


def require_manage(actor: Any | None, *units: Unit | None) -> None:
    """`members.manage` on every unit given (None = the system, always allowed)."""
    if actor is None:
        return
    for unit in units:
        if unit is not None and not policy.can(actor, Action.MEMBERS_MANAGE, unit):
            raise PermissionDenied(_("You do not have permission to do this here."))


def require_node_wide(actor: Any | None) -> None:
    """`members.manage` on a root of the tree: the node-wide dues configuration."""
    if actor is None:
        return
    roots = Unit.objects.get_root_nodes()
    if not any(policy.can(actor, Action.MEMBERS_MANAGE, root) for root in roots):
        raise PermissionDenied(_("Only a records officer of the whole node may change this."))


def lock_member(member: Member | Any) -> Member:
    """The member's row, locked (after the node's write lock: core.locks), freshly read."""
    pk = member.pk if isinstance(member, Member) else member
    locked: Member = for_update(Member.objects, of=("self",)).select_related("unit").get(pk=pk)
    return locked


def facts(member: Member) -> list[lifecycle.EventFact]:
    """The member's stored events as the derivation reads them."""
    return [
        lifecycle.EventFact(
            kind=e.kind,
            effective_on=e.effective_on,
            sequence=e.sequence,
            to_unit_id=e.to_unit_id,
            from_unit_id=e.from_unit_id,
            external_destination=e.external_destination,
            confirmed=e.confirmed_at is not None,
            ref=e.pk,
        )
        for e in MemberEvent.objects.filter(member=member).order_by("effective_on", "sequence")
    ]


def derive(member: Member, events: list[lifecycle.EventFact]) -> lifecycle.Standing:
    """Replay `events` from the unit the record was opened in (raises ValidationFailed)."""
    return lifecycle.derive(
        events, initial_unit_id=member.registered_unit_id, birth_date=member.birth_date
    )


DERIVED_FIELDS = (
    "unit",
    "status",
    "status_since",
    "exempted",
    "temporary_unit",
    "temporary_external",
    "pending_transfer",
    "admitting_unit",
    "first_admitted_on",
    "admitted_on",
    "probation_ends_on",
    "official_on",
    "ended_on",
    "party_age_from",
)


def apply_standing(member: Member, standing: lifecycle.Standing) -> list[str]:
    """Copy the derived standing into the member's cached columns; the names of those changed."""
    values: dict[str, Any] = {
        "unit_id": standing.unit_id,
        "status": standing.status,
        "status_since": standing.status_since,
        "exempted": standing.exempted,
        "temporary_unit_id": standing.temporary_unit_id,
        "temporary_external": standing.temporary_external,
        "pending_transfer_id": standing.pending_transfer.ref if standing.pending_transfer else None,
        "admitting_unit_id": standing.admitting_unit_id,
        "first_admitted_on": standing.first_admitted_on,
        "admitted_on": standing.admitted_on,
        "probation_ends_on": standing.probation_ends_on,
        "official_on": standing.official_on,
        "ended_on": standing.ended_on,
        "party_age_from": standing.party_age_from,
    }
    changed = []
    for attname, value in values.items():
        if getattr(member, attname) != value:
            setattr(member, attname, value)
            changed.append(attname.removesuffix("_id"))
    if "unit" in changed:
        # The cached object would still be the old unit.
        member.unit = Unit.objects.get(pk=member.unit_id)
    return changed


def _iso(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def snapshot(member: Member) -> dict[str, Any]:
    """The member as the audit log digests it: no sensitive value, only which ones are set."""
    from ..sealing import SENSITIVE_FIELDS, column
    from .profile import PROFILE_FIELDS

    data: dict[str, Any] = {name: _iso(getattr(member, name)) for name in PROFILE_FIELDS}
    data.update({name: _iso(getattr(member, name)) for name in DERIVED_FIELDS if name != "unit"})
    data["unit"] = str(member.unit_id)
    data["pending_transfer"] = str(member.pending_transfer_id or "")
    data["temporary_unit"] = str(member.temporary_unit_id or "")
    data["admitting_unit"] = str(member.admitting_unit_id or "")
    data["sensitive_set"] = sorted(n for n in SENSITIVE_FIELDS if getattr(member, column(n)))
    data["user"] = str(member.user_id or "")
    return data


def record(
    actor: Any | None,
    action: str,
    member: Member,
    *,
    before: Any = None,
    obj: Any = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One audit event about `member`, in the caller's transaction. Its data never holds a
    personal detail beyond the member's id."""
    audit.record(
        actor=actor,
        action=action,
        unit=member.unit,
        obj=obj if obj is not None else member,
        before=before,
        after=snapshot(member),
        data={"member": str(member.pk), **(data or {})},
    )
