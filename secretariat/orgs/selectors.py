"""Read queries of the organization tree. Each takes the acting user and applies the scope;
`user=None` is the system (management commands) and sees everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.core.errors import NotFound

from . import access
from .models import Unit, UnitEvent


def units_visible_to(*, user: Any | None) -> QuerySet[Unit]:
    """The units the user may view, parents before children (ordered by path)."""
    return access.viewable(user).select_related("merged_into").order_by("path")


def units_manageable_by(*, user: Any | None) -> QuerySet[Unit]:
    """The units the user may manage (add to, edit, move, merge, dissolve), ordered by path."""
    return access.manageable(user).order_by("path")


def unit_get(*, user: Any | None, code: str) -> Unit:
    """The unit with this code. NotFound when it does not exist *or* lies outside the user's
    scope: the answer must not tell which, or codes outside one's scope could be probed."""
    unit = units_visible_to(user=user).filter(code=code).first()
    if unit is None:
        raise NotFound(_("No unit with the code %(code)s.") % {"code": code})
    return unit


def unit_history(*, user: Any | None, unit: Unit) -> QuerySet[UnitEvent]:
    """The unit's events, oldest first."""
    if not access.can_view(user, unit):
        raise NotFound(_("No unit with the code %(code)s.") % {"code": unit.code})
    return UnitEvent.objects.filter(unit=unit).order_by("created_at", "id")


def unit_children(*, user: Any | None, unit: Unit) -> QuerySet[Unit]:
    """The direct sub-units of `unit` the user may view."""
    return units_visible_to(user=user).filter(path__startswith=unit.path, depth=unit.depth + 1)


def parent_codes(units: list[Unit]) -> dict[str, str | None]:
    """Map each unit's path to its parent's code, with one query for the parents not in `units`.
    Parent codes are given even for parents outside the user's scope: a subtree exported by a
    unit administrator must say where it hangs to be imported back."""
    steplen = Unit.steplen
    by_path = {u.path: u.code for u in units}
    missing = {u.path[:-steplen] for u in units if u.depth > 1} - by_path.keys()
    if missing:
        by_path.update(Unit.objects.filter(path__in=missing).values_list("path", "code"))
    return {u.path: by_path.get(u.path[:-steplen]) if u.depth > 1 else None for u in units}


@dataclass
class TreeNode:
    unit: Unit
    children: list[TreeNode] = field(default_factory=list)


def unit_tree(*, user: Any | None) -> list[TreeNode]:
    """The visible units as a forest: each unit hangs under its nearest *visible* ancestor, so a
    user who sees a commune and, through a position, a cell elsewhere gets two small trees."""
    roots: list[TreeNode] = []
    # Ordered by path, so the open branch is a stack of the current unit's visible ancestors.
    stack: list[TreeNode] = []
    for unit in units_visible_to(user=user):
        node = TreeNode(unit)
        while stack and not unit.path.startswith(stack[-1].unit.path):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots
