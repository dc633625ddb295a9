"""Services of the organization tree: the only code that changes units.

Every public service takes keyword-only arguments, the acting user first (`actor=None` is the
system itself: management commands and imports run from the shell), and

* checks the actor's rights through the registered access policy (`orgs.access`): managing a unit
  needs `orgs.manage` on it, and root units are created or moved only by a system administrator;
* validates its input and raises `ValidationFailed` with field errors naming what is wrong;
* runs in one durable transaction, locks the rows it changes in primary-key order, appends one
  `UnitEvent` per affected unit (the unit's history) and one audit event per change, so the
  history and the audit log exist exactly when the change does.

Nothing is ever deleted: a merged or dissolved unit stays in the tree, inactive, with `valid_to`
set (and `merged_into` for a merge), so that documents and members keep pointing at the unit they
belonged to at the time.

Rules of the electronic code (edXML OrganId, e.g. `000.00.36.H29`) come from the setting
`ORG_CODE_PATTERN` (environment `SECRETARIAT_ORG_CODE_PATTERN`), read at call time.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, ValidationFailed
from secretariat.core.locks import for_update

from . import access, hooks
from .models import Unit, UnitEvent, UnitEventKind, UnitKind

DEFAULT_CODE_PATTERN = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"

FieldErrors = dict[str, list[str | Promise]]


class _Unset(Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET
"""Marks an argument of `unit_update` that is not to be changed (None means "clear")."""

Unset = Literal[_Unset.UNSET]


def code_pattern() -> re.Pattern[str]:
    """The compiled pattern every unit code must match (read from settings on each call)."""
    return re.compile(getattr(settings, "ORG_CODE_PATTERN", DEFAULT_CODE_PATTERN))


def unit_field_errors(
    *,
    name: str,
    kind: str,
    code: str,
    abbreviation: str,
    name_fr: str = "",
    name_en: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> FieldErrors:
    """The problems of a unit's own fields (not uniqueness, not the tree). Empty when valid."""
    errors: FieldErrors = {}

    def add(field: str, message: str | Promise) -> None:
        errors.setdefault(field, []).append(message)

    if not name:
        add("name", _("The name must not be empty."))
    for field, value in (("name", name), ("name_fr", name_fr), ("name_en", name_en)):
        if len(value) > 255:
            add(field, _("At most 255 characters."))
    if kind not in UnitKind.values:
        add("kind", _("Unknown kind of unit: “%(kind)s”.") % {"kind": kind})
    if not code:
        add("code", _("The electronic code must not be empty."))
    elif len(code) > 32 or not code_pattern().fullmatch(code):
        add(
            "code",
            _("“%(code)s” is not a valid electronic code (expected a code like 000.00.36.H29).")
            % {"code": code},
        )
    if not abbreviation:
        add("abbreviation", _("The notation abbreviation must not be empty."))
    elif len(abbreviation) > 20:
        add("abbreviation", _("At most 20 characters."))
    if valid_from and valid_to and valid_to < valid_from:
        add("valid_to", _("The end of validity is before its start."))
    return errors


def _code_taken(code: str, *, exclude: Unit | None = None) -> bool:
    queryset = Unit.objects.filter(code=code)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.exists()


def parent_of(unit: Unit) -> Unit | None:
    parent: Unit | None = Unit.objects.get_parent(unit, update=True)
    return parent


def snapshot(unit: Unit) -> dict[str, Any]:
    """The state of a unit as the audit log digests it."""
    parent = parent_of(unit)
    return {
        "code": unit.code,
        "name": unit.name,
        "name_fr": unit.name_fr,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "abbreviation": unit.abbreviation,
        "active": unit.active,
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
        "parent_code": parent.code if parent else None,
        "merged_into": unit.merged_into.code if unit.merged_into else None,
    }


def _lock(*units: Unit) -> list[Unit]:
    """Lock the rows in primary-key order (no deadlock between two services) and return fresh
    copies in the order given: paths may have changed since the caller read them."""
    pks = {u.pk for u in units}
    fresh = {u.pk: u for u in for_update(Unit.objects).filter(pk__in=pks).order_by("pk")}
    return [fresh[u.pk] for u in units]


def _event(
    unit: Unit, kind: str, details: dict[str, Any], effective_on: dt.date | None = None
) -> UnitEvent:
    return UnitEvent.objects.create(
        unit=unit, kind=kind, effective_on=effective_on or clock.today(), details=details
    )


def _invalid(errors: FieldErrors) -> ValidationFailed:
    first = next(iter(errors.values()))[0]
    return ValidationFailed(first, field_errors=errors)


# --- internal writers, shared with the import (no permission checks, no own transaction) -----


def insert_unit(*, parent: Unit | None, fields: dict[str, Any]) -> Unit:
    """Add a validated unit under `parent` (a root when None). The caller holds the transaction."""
    unit = Unit(**fields)
    try:
        # A savepoint: on PostgreSQL a failed INSERT would otherwise poison the whole transaction.
        with transaction.atomic():
            if parent is None:
                Unit.objects.add_root(instance=unit)
            else:
                Unit.objects.add_child(parent, instance=unit)
    except IntegrityError as exc:
        # Two requests created the same code at the same time: the unique index decided.
        raise Conflict(
            _("Another unit with the code %(code)s was just created.") % {"code": fields["code"]}
        ) from exc
    return Unit.objects.get(pk=unit.pk)


def move_unit(*, unit: Unit, new_parent: Unit | None) -> Unit:
    """Re-parent `unit` and its subtree (to the roots when `new_parent` is None)."""
    if new_parent is None:
        last_root = Unit.objects.filter(depth=1).order_by("-path").first()
        assert last_root is not None  # the unit itself, at least, is in the tree
        Unit.objects.move(unit, last_root, "last-sibling")
    else:
        Unit.objects.move(unit, new_parent, "last-child")
    return Unit.objects.get(pk=unit.pk)


# --- public services -------------------------------------------------------------------------


@transaction.atomic(durable=True)
def unit_create(
    *,
    actor: Any | None,
    parent: Unit | None,
    name: str,
    kind: str,
    code: str,
    abbreviation: str,
    name_fr: str = "",
    name_en: str = "",
    valid_from: dt.date | None = None,
) -> Unit:
    """Create a unit under `parent` (a root unit only for a system administrator)."""
    if parent is None:
        access.require_system(actor)
    else:
        (parent,) = _lock(parent)
        access.require_manage(actor, parent)
    fields: dict[str, Any] = {
        "name": name.strip(),
        "name_fr": name_fr.strip(),
        "name_en": name_en.strip(),
        "kind": kind,
        "code": code.strip(),
        "abbreviation": abbreviation.strip(),
        "valid_from": valid_from,
    }
    errors = unit_field_errors(**fields)
    if parent is not None and not parent.active:
        errors.setdefault("parent", []).append(
            _("The unit %(code)s is no longer active.") % {"code": parent.code}
        )
    if "code" not in errors and _code_taken(fields["code"]):
        errors.setdefault("code", []).append(
            _("The code %(code)s is already in use.") % {"code": fields["code"]}
        )
    if errors:
        raise _invalid(errors)

    unit = insert_unit(parent=parent, fields=fields)
    parent_code = parent.code if parent else None
    _event(unit, UnitEventKind.CREATED, {"parent_code": parent_code}, valid_from)
    audit.record(
        actor=actor,
        action="orgs.unit_created",
        unit=unit,
        obj=unit,
        after=snapshot(unit),
        data={"code": unit.code, "parent_code": parent_code, "name": unit.name},
    )
    return unit


_UPDATABLE = (
    "name",
    "name_fr",
    "name_en",
    "kind",
    "code",
    "abbreviation",
    "valid_from",
    "valid_to",
)


@transaction.atomic(durable=True)
def unit_update(
    *,
    actor: Any | None,
    unit: Unit,
    name: str | Unset = UNSET,
    name_fr: str | Unset = UNSET,
    name_en: str | Unset = UNSET,
    kind: str | Unset = UNSET,
    code: str | Unset = UNSET,
    abbreviation: str | Unset = UNSET,
    valid_from: dt.date | Unset | None = UNSET,
    valid_to: dt.date | Unset | None = UNSET,
) -> Unit:
    """Change the names, kind, code, abbreviation or validity of a unit; UNSET leaves a field."""
    (unit,) = _lock(unit)
    access.require_manage(actor, unit)
    given: dict[str, Any] = {
        "name": name,
        "name_fr": name_fr,
        "name_en": name_en,
        "kind": kind,
        "code": code,
        "abbreviation": abbreviation,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    new: dict[str, Any] = {}
    for field in _UPDATABLE:
        value = given[field]
        if value is UNSET:
            value = getattr(unit, field)
        elif isinstance(value, str):
            value = value.strip()
        new[field] = value
    errors = unit_field_errors(**new)
    if "code" not in errors and _code_taken(new["code"], exclude=unit):
        errors.setdefault("code", []).append(
            _("The code %(code)s is already in use.") % {"code": new["code"]}
        )
    if errors:
        raise _invalid(errors)

    changes = {f: (getattr(unit, f), new[f]) for f in _UPDATABLE if getattr(unit, f) != new[f]}
    if not changes:
        return unit
    before = snapshot(unit)
    for field, (_old, value) in changes.items():
        setattr(unit, field, value)
    unit.save(update_fields=[*changes, "updated_at"])
    _event(
        unit,
        UnitEventKind.UPDATED,
        {"changes": {f: [_jsonable(old), _jsonable(value)] for f, (old, value) in changes.items()}},
    )
    audit.record(
        actor=actor,
        action="orgs.unit_updated",
        unit=unit,
        obj=unit,
        before=before,
        after=snapshot(unit),
        data={"code": unit.code, "fields": sorted(changes)},
    )
    return unit


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic(durable=True)
def unit_move(*, actor: Any | None, unit: Unit, new_parent: Unit) -> Unit:
    """Move `unit` with its whole subtree under `new_parent`.

    Needs the right to manage both the unit and its new parent. Grants on units of the subtree
    follow it, because scope is computed from the grant's unit's current path.
    """
    old_parent = parent_of(unit)
    locked = _lock(unit, new_parent, *([old_parent] if old_parent else []))
    unit, new_parent = locked[0], locked[1]
    access.require_manage(actor, unit)
    access.require_manage(actor, new_parent)
    errors: FieldErrors = {}
    if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path):
        errors["new_parent"] = [_("A unit cannot be moved into itself or one of its sub-units.")]
    elif old_parent is not None and old_parent.pk == new_parent.pk:
        errors["new_parent"] = [
            _("The unit is already directly under %(code)s.") % {"code": new_parent.code}
        ]
    elif not new_parent.active:
        errors["new_parent"] = [
            _("The unit %(code)s is no longer active.") % {"code": new_parent.code}
        ]
    elif not unit.active:
        errors["unit"] = [_("An inactive unit is kept where it was; it cannot be moved.")]
    if errors:
        raise _invalid(errors)

    before = snapshot(unit)
    unit = move_unit(unit=unit, new_parent=new_parent)
    details = {"from": old_parent.code if old_parent else None, "to": new_parent.code}
    _event(unit, UnitEventKind.MOVED, details)
    audit.record(
        actor=actor,
        action="orgs.unit_moved",
        unit=unit,
        obj=unit,
        before=before,
        after=snapshot(unit),
        data={"code": unit.code, **details},
    )
    return unit


@transaction.atomic(durable=True)
def unit_merge(*, actor: Any | None, source: Unit, target: Unit, effective_on: dt.date) -> Unit:
    """Merge `source` into `target`: the children of `source` move under `target`, the people
    and grants of `source` move to `target` (registered merge hooks), and `source` becomes
    inactive from `effective_on`, with `merged_into=target`. Returns the updated target."""
    source, target = _lock(source, target)
    access.require_manage(actor, source)
    access.require_manage(actor, target)
    errors: FieldErrors = {}
    if source.pk == target.pk:
        errors["target"] = [_("A unit cannot be merged into itself.")]
    elif target.path.startswith(source.path):
        errors["target"] = [_("A unit cannot be merged into one of its own sub-units.")]
    elif not target.active:
        errors["target"] = [_("The unit %(code)s is no longer active.") % {"code": target.code}]
    if not source.active:
        errors.setdefault("source", []).append(_("This unit is no longer active."))
    if source.valid_from and effective_on < source.valid_from:
        errors.setdefault("effective_on", []).append(
            _("The merge cannot take effect before the unit existed.")
        )
    if errors:
        raise _invalid(errors)

    before = snapshot(source)
    moved: list[str] = []
    for child in Unit.objects.filter(path__startswith=source.path, depth=source.depth + 1).order_by(
        "path"
    ):
        child_before = snapshot(child)
        child = move_unit(unit=child, new_parent=Unit.objects.get(pk=target.pk))
        moved.append(child.code)
        details = {"from": source.code, "to": target.code, "reason": "merge"}
        _event(child, UnitEventKind.MOVED, details, effective_on)
        audit.record(
            actor=actor,
            action="orgs.unit_moved",
            unit=child,
            obj=child,
            before=child_before,
            after=snapshot(child),
            data={"code": child.code, **details},
        )

    source = Unit.objects.get(pk=source.pk)
    source.active = False
    source.valid_to = effective_on
    source.merged_into = target
    source.save(update_fields=["active", "valid_to", "merged_into", "updated_at"])
    for hook in hooks.merge_hooks():
        hook.on_merge(actor=actor, source=source, target=target)

    _event(source, UnitEventKind.MERGED, {"into": target.code, "children": moved}, effective_on)
    _event(target, UnitEventKind.ABSORBED, {"from": source.code, "children": moved}, effective_on)
    audit.record(
        actor=actor,
        action="orgs.unit_merged",
        unit=source,
        obj=source,
        before=before,
        after=snapshot(source),
        data={
            "code": source.code,
            "target_code": target.code,
            "children": moved,
            "effective_on": effective_on.isoformat(),
        },
    )
    return Unit.objects.get(pk=target.pk)


def dissolve_obstacles(unit: Unit) -> list[str | Promise]:
    """Why `unit` cannot be dissolved now (empty when it can)."""
    problems: list[str | Promise] = []
    children = Unit.objects.filter(
        path__startswith=unit.path, depth=unit.depth + 1, active=True
    ).count()
    if children:
        problems.append(
            _(
                "The unit still has %(count)d active sub-unit(s): move, merge or dissolve them first."
            )
            % {"count": children}
        )
    members = sum(check.active_members(unit) for check in hooks.dissolve_checks())
    if members:
        problems.append(
            _(
                "%(count)d person(s) still hold a position in the unit: end or move their positions first."
            )
            % {"count": members}
        )
    return problems


@transaction.atomic(durable=True)
def unit_dissolve(*, actor: Any | None, unit: Unit, effective_on: dt.date, reason: str) -> Unit:
    """Dissolve a unit from `effective_on`. Refused while it has active sub-units or people holding
    a position in it. The unit is kept, inactive, for the history."""
    (unit,) = _lock(unit)
    access.require_manage(actor, unit)
    reason = reason.strip()
    errors: FieldErrors = {}
    if not unit.active:
        errors["unit"] = [_("This unit is no longer active.")]
    if not reason:
        errors["reason"] = [_("Give the reason for the dissolution (the decision).")]
    if unit.valid_from and effective_on < unit.valid_from:
        errors["effective_on"] = [_("The dissolution cannot take effect before the unit existed.")]
    if not errors:
        obstacles = dissolve_obstacles(unit)
        if obstacles:
            errors["unit"] = obstacles
    if errors:
        raise _invalid(errors)

    before = snapshot(unit)
    unit.active = False
    unit.valid_to = effective_on
    unit.save(update_fields=["active", "valid_to", "updated_at"])
    _event(unit, UnitEventKind.DISSOLVED, {"reason": reason}, effective_on)
    audit.record(
        actor=actor,
        action="orgs.unit_dissolved",
        unit=unit,
        obj=unit,
        before=before,
        after=snapshot(unit),
        data={"code": unit.code, "reason": reason, "effective_on": effective_on.isoformat()},
    )
    return unit
