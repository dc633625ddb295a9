"""Quorum and majority rules per meeting type and unit (`RuleSet`): set them, clear them,
and read the effective rules of a unit.

A unit's ruleset for a meeting type applies to that unit and every unit below it, unless a
nearer unit has its own (`meetings.rules_for`); without any, `rules_defaults.DEFAULTS`. A meeting
copies its rules when it is created, so changing or clearing a ruleset never changes a meeting
that already exists (nor a past result).

Setting or clearing needs `meetings.organize` on the unit (meeting secretaries and leaders, for
their subtree). Every change is audited with the rules before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core.errors import Conflict, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.orgs.models import Unit

from ..models import Base, MeetingKind, RuleSet, Threshold
from ..rules_defaults import DEFAULTS, FIELDS, Rules

AUDIT_LABELS: dict[str, Promise] = {
    "meetings.ruleset_set": _("Meeting rules set"),
    "meetings.ruleset_cleared": _("Meeting rules cleared"),
}

__all__ = ["AUDIT_LABELS", "Effective", "effective_rules", "ruleset_clear", "ruleset_set"]


@dataclass(frozen=True)
class Effective:
    """The rules of one meeting type at a unit and where they come from: the unit's own
    ruleset (`own`), an ancestor's (`source` is that unit), or the defaults (`source` None)."""

    kind: str
    rules: Rules
    own: RuleSet | None
    source: Unit | None


def _ancestor_paths(unit: Unit) -> list[str]:
    return [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]


def effective_rules(*, unit: Unit) -> list[Effective]:
    """For every meeting type, the rules that a meeting of `unit` created now would copy."""
    rulesets = RuleSet.objects.filter(unit__path__in=_ancestor_paths(unit)).select_related("unit")
    nearest: dict[str, RuleSet] = {}
    for ruleset in sorted(rulesets, key=lambda r: -r.unit.depth):
        nearest.setdefault(ruleset.kind, ruleset)
    found = []
    for kind in MeetingKind.values:
        near = nearest.get(kind)
        if near is None:
            found.append(Effective(kind, DEFAULTS[kind], None, None))
        else:
            rules = Rules(*(getattr(near, name) for name in FIELDS))
            own = near if near.unit_id == unit.pk else None
            found.append(Effective(kind, rules, own, near.unit))
    return found


def _clean(kind: str, values: dict[str, Any]) -> Rules:
    """Every problem at once, by field."""
    problems: dict[str, list[str | Promise]] = {}
    if kind not in MeetingKind.values:
        problems["kind"] = [_("Choose a meeting type.")]
    for name in FIELDS:
        value = values.get(name)
        allowed = Base.values if name.endswith("_base") else Threshold.values
        if value not in allowed:
            problems[name] = [
                _("Choose a base.") if name.endswith("_base") else _("Choose a threshold.")
            ]
    if values.get("quorum_base") == Base.PRESENT:
        # The members present measured against themselves would always make the quorum.
        problems["quorum_base"] = [
            _("The quorum cannot be counted against the members present themselves.")
        ]
    if problems:
        raise ValidationFailed(next(iter(problems.values()))[0], field_errors=problems)
    return Rules(*(str(values[name]) for name in FIELDS))


def _snapshot(ruleset: RuleSet | None) -> dict[str, Any] | None:
    if ruleset is None:
        return None
    return {
        "unit": str(ruleset.unit_id),
        "kind": ruleset.kind,
        **{name: getattr(ruleset, name) for name in FIELDS},
    }


def _lock_unit(unit: Unit) -> Unit:
    # Serializes the changes of one unit's rulesets (and their first creation).
    return for_update(Unit.objects).get(pk=unit.pk)


@transaction.atomic(durable=True)
def ruleset_set(
    *,
    actor: Any,
    unit: Unit,
    kind: str,
    quorum_base: str,
    quorum_threshold: str,
    resolution_base: str,
    resolution_threshold: str,
    election_base: str,
    election_threshold: str,
) -> RuleSet:
    """Give `unit` (and the units below it without their own) these rules for meetings of
    type `kind`. Meetings already created keep the rules they copied."""
    policy.require(actor, Action.MEETINGS_ORGANIZE, unit)
    rules = _clean(
        kind,
        {
            "quorum_base": quorum_base,
            "quorum_threshold": quorum_threshold,
            "resolution_base": resolution_base,
            "resolution_threshold": resolution_threshold,
            "election_base": election_base,
            "election_threshold": election_threshold,
        },
    )
    unit = _lock_unit(unit)
    ruleset = RuleSet.objects.filter(unit=unit, kind=kind).first()
    before = _snapshot(ruleset)
    if ruleset is None:
        ruleset = RuleSet(unit=unit, kind=kind)
    elif Rules(*(getattr(ruleset, name) for name in FIELDS)) == rules:
        return ruleset
    for name in FIELDS:
        setattr(ruleset, name, getattr(rules, name))
    ruleset.save()
    audit.record(
        actor=actor,
        action="meetings.ruleset_set",
        unit=unit,
        obj=ruleset,
        before=before,
        after=_snapshot(ruleset),
        data={"kind": kind, **rules._asdict()},
    )
    return ruleset


@transaction.atomic(durable=True)
def ruleset_clear(*, actor: Any, unit: Unit, kind: str) -> None:
    """Remove `unit`'s own rules for `kind`: it inherits again (nearest ancestor's, else the
    defaults). Meetings already created keep the rules they copied."""
    policy.require(actor, Action.MEETINGS_ORGANIZE, unit)
    if kind not in MeetingKind.values:
        message = _("Choose a meeting type.")
        raise ValidationFailed(message, field_errors={"kind": [message]})
    unit = _lock_unit(unit)
    ruleset = RuleSet.objects.filter(unit=unit, kind=kind).first()
    if ruleset is None:
        raise Conflict(_("This unit has no rules of its own for this meeting type."))
    before = _snapshot(ruleset)
    object_id = str(ruleset.pk)
    ruleset.delete()
    audit.record(
        actor=actor,
        action="meetings.ruleset_cleared",
        unit=unit,
        object_type="meetings.ruleset",
        object_id=object_id,
        before=before,
        after=None,
        data={"kind": kind},
    )
