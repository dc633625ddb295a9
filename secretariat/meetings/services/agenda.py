"""Services of the agenda: items with their presenter, planned time and conclusion, and their
order, which may change up to and during the meeting (pushed live to every open room page).

Organizers only (`access.require_organizer`); a closed or cancelled meeting's agenda is frozen.
Positions are 1..n without gaps; a change of order rewrites them inside one transaction (the
unique (meeting, position) constraint is deferred to the commit on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts.models import User
from secretariat.audit import services as audit
from secretariat.core.errors import NotFound, ValidationFailed

from .. import live
from ..access import require_organizer
from ..models import AgendaItem, Meeting
from .meetings import lock_meeting, require_not_finished

AUDIT_LABELS: dict[str, Promise] = {
    "meetings.item_added": _("Agenda item added"),
    "meetings.item_updated": _("Agenda item changed"),
    "meetings.item_removed": _("Agenda item removed"),
    "meetings.agenda_reordered": _("Agenda reordered"),
}

MAX_PLANNED_MINUTES = 24 * 60

__all__ = ["AUDIT_LABELS", "item_add", "item_move", "item_remove", "item_update", "items_reorder"]


def _invalid(field: str, message: str | Promise) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _snapshot(item: AgendaItem) -> dict[str, Any]:
    return {
        "position": item.position,
        "title": item.title,
        "presenter": str(item.presenter_id) if item.presenter_id else None,
        "presenter_name": item.presenter_name,
        "planned_minutes": item.planned_minutes,
        "conclusion": item.conclusion,
    }


def _clean(
    *, title: str, presenter: Any, presenter_name: str, planned_minutes: Any, conclusion: str
) -> dict[str, Any]:
    problems: dict[str, list[str | Promise]] = {}
    title = (title or "").strip()
    if not title:
        problems["title"] = [_("Give the item a title.")]
    elif len(title) > 300:
        problems["title"] = [_("The title is too long (300 characters at most).")]
    presenter_name = (presenter_name or "").strip()
    if len(presenter_name) > 150:
        problems["presenter_name"] = [_("The presenter's name is too long.")]
    if presenter is not None:
        if (
            not isinstance(presenter, User)
            or not User.objects.filter(pk=presenter.pk, is_active=True).exists()
        ):
            problems["presenter"] = [_("The presenter must be an active user.")]
        elif presenter_name:
            problems["presenter_name"] = [_("Choose a presenter or write a name, not both.")]
    if (
        not isinstance(planned_minutes, int)
        or isinstance(planned_minutes, bool)
        or not 1 <= planned_minutes <= MAX_PLANNED_MINUTES
    ):
        problems["planned_minutes"] = [_("Plan between 1 minute and 24 hours.")]
    if problems:
        first = next(iter(problems.values()))[0]
        raise ValidationFailed(first, field_errors=problems)
    return {
        "title": title,
        "presenter": presenter,
        "presenter_name": presenter_name,
        "planned_minutes": planned_minutes,
        "conclusion": (conclusion or "").strip(),
    }


def _audit(actor: Any, action: str, meeting: Meeting, item: AgendaItem, before: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        unit=meeting.unit,
        obj=item,
        before=before,
        after=_snapshot(item),
        data={"meeting": meeting.title[:120], "item": item.title[:120]},
    )


def _items(meeting: Meeting) -> list[AgendaItem]:
    return list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "created_at"))


def _item_of(meeting: Meeting, item_id: Any) -> AgendaItem:
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None:
        raise NotFound(_("No such agenda item."))
    return item


def _renumber(items: Sequence[AgendaItem]) -> None:
    """Positions 1..n in the given order; only the rows that move are written."""
    changed = []
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            changed.append(item)
    if changed:
        # Two steps: the unique (meeting, position) constraint is checked at every statement,
        # so no moment may have two rows at one position.
        offset = max(i.position for i in items) + len(items) + 1
        for item in changed:
            AgendaItem.objects.filter(pk=item.pk).update(position=item.position + offset)
        for item in changed:
            AgendaItem.objects.filter(pk=item.pk).update(position=item.position)


def _order_data(items: Sequence[AgendaItem]) -> dict[str, Any]:
    return {"order": [str(i.pk) for i in items]}


@transaction.atomic(durable=True)
def item_add(
    *,
    actor: Any,
    meeting: Meeting,
    title: str,
    presenter: Any = None,
    presenter_name: str = "",
    planned_minutes: int = 15,
    conclusion: str = "",
) -> AgendaItem:
    """A new item at the end of the agenda."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    clean = _clean(
        title=title,
        presenter=presenter,
        presenter_name=presenter_name,
        planned_minutes=planned_minutes,
        conclusion=conclusion,
    )
    last = AgendaItem.objects.filter(meeting=locked).aggregate(last=Max("position"))["last"] or 0
    item = AgendaItem.objects.create(meeting=locked, position=last + 1, **clean)
    _audit(actor, "meetings.item_added", locked, item, None)
    live.changed(locked, topic="agenda", data=_order_data(_items(locked)))
    return item


@transaction.atomic(durable=True)
def item_update(
    *,
    actor: Any,
    meeting: Meeting,
    item_id: Any,
    title: str,
    presenter: Any = None,
    presenter_name: str = "",
    planned_minutes: int = 15,
    conclusion: str = "",
) -> AgendaItem:
    """Change an item: title, presenter (a user or a name), planned time, conclusion."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    item = _item_of(locked, item_id)
    clean = _clean(
        title=title,
        presenter=presenter,
        presenter_name=presenter_name,
        planned_minutes=planned_minutes,
        conclusion=conclusion,
    )
    before = _snapshot(item)
    for name, value in clean.items():
        setattr(item, name, value)
    item.save()
    _audit(actor, "meetings.item_updated", locked, item, before)
    live.changed(locked, topic="agenda", data={"item": str(item.pk)})
    return item


@transaction.atomic(durable=True)
def item_remove(*, actor: Any, meeting: Meeting, item_id: Any) -> None:
    """Remove an item and its pack documents (the documents stay in the store); the items
    after it move up."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    item = _item_of(locked, item_id)
    before = _snapshot(item)
    audit.record(
        actor=actor,
        action="meetings.item_removed",
        unit=locked.unit,
        obj=item,
        before=before,
        data={"meeting": locked.title[:120], "item": item.title[:120]},
    )
    item.delete()
    items = _items(locked)
    _renumber(items)
    live.changed(locked, topic="agenda", data=_order_data(items))


@transaction.atomic(durable=True)
def item_move(*, actor: Any, meeting: Meeting, item_id: Any, direction: str) -> AgendaItem:
    """Move an item one place up or down (at either end it stays where it is)."""
    if direction not in ("up", "down"):
        raise _invalid("direction", _("Move an item up or down."))
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    item = _item_of(locked, item_id)
    items = _items(locked)
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    before = [str(i.pk) for i in items]
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    _renumber(items)
    _audit_order(actor, locked, before, items)
    return next(i for i in items if i.pk == item.pk)


@transaction.atomic(durable=True)
def items_reorder(*, actor: Any, meeting: Meeting, order: Sequence[Any]) -> list[AgendaItem]:
    """Put the agenda in the given order: the ids of all its items, each once."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    items = _items(locked)
    by_id = {str(i.pk): i for i in items}
    wanted = [str(value) for value in order]
    if sorted(wanted) != sorted(by_id):
        raise _invalid("order", _("The new order must list every item of the agenda once."))
    before = [str(i.pk) for i in items]
    reordered = [by_id[pk] for pk in wanted]
    _renumber(reordered)
    _audit_order(actor, locked, before, reordered)
    return reordered


def _audit_order(
    actor: Any, meeting: Meeting, before: list[str], items: Sequence[AgendaItem]
) -> None:
    audit.record(
        actor=actor,
        action="meetings.agenda_reordered",
        unit=meeting.unit,
        obj=meeting,
        before=before,
        after=[str(i.pk) for i in items],
        data={"title": meeting.title[:120], "items": len(items)},
    )
    live.changed(meeting, topic="agenda", data=_order_data(items))
