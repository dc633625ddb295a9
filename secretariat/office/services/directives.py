"""Urgent directives from a unit to its subtree, with acknowledgement tracking: the only writers
of `Directive` and `DirectiveRecipient`.

Every entry point is durable (called from views, the API and the Huey job, never nested), checks
the actor, writes, appends an audit event in the same transaction, leaves notifications (which
exist only if the change does) and, after commit, tells the directive's live matrix.

Lock order: the node's write lock (taken by `core.locks.for_update`), then recipient rows by
primary key — the same order in every service here and in the escalation job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.accounts import policy
from secretariat.accounts.models import Role
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.documents.models import Document
from secretariat.orgs.models import Unit

from .. import live
from .. import selectors_directives as selectors
from ..models import Directive, DirectiveRecipient
from .notifications import notify

# An urgent directive is acknowledged within hours (Decree 30 Art. 24: urgent documents are
# handled immediately); a month is the longest wait that still makes it "urgent".
MAX_ACKNOWLEDGE_HOURS = 720
TITLE_MAX = 300
REPORT_MAX = 20_000


def _link(directive: Directive) -> str:
    return reverse("office:directive", args=[directive.pk])


def _notify_each(users: Iterable[Any], link: str, template: Any, **params: Any) -> None:
    """One notification per person, in the person's own language: the lazy `template` and the
    units among `params` (by their name in that language) are rendered inside the override."""
    for user in users:
        with translation.override(user.language or "vi"):
            values = {k: v.display_name if isinstance(v, Unit) else v for k, v in params.items()}
            notify(user=user, message=str(template) % values, link=link)


def _snapshot(recipient: DirectiveRecipient) -> dict[str, Any]:
    return {
        "unit": str(recipient.unit_id),
        "read_at": recipient.read_at,
        "acknowledged_at": recipient.acknowledged_at,
        "reported_at": recipient.reported_at,
        "escalated_at": recipient.escalated_at,
    }


def _publish_after_commit(directive_id: Any) -> None:
    transaction.on_commit(lambda: live.publish_changed(directive_id=directive_id))


def _lock(recipient: DirectiveRecipient) -> DirectiveRecipient:
    """The recipient row, locked and re-read: decisions are taken on the committed state, never
    on what the caller loaded before (no check-then-act)."""
    return (
        # `of=self`: PostgreSQL would otherwise also lock the joined directive and unit rows.
        for_update(DirectiveRecipient.objects.select_related("directive", "unit"), of=("self",))
        .filter(pk=recipient.pk)
        .get()
    )


# --- Sending ----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def directive_send(
    *,
    actor: Any,
    unit: Unit,
    title: str,
    body: str,
    target: Unit,
    include_subtree: bool,
    acknowledge_within_hours: int,
    report_by: dt.date | None = None,
    document: Document | None = None,
) -> Directive:
    """Send a directive from `unit` (the actor leads it: `office.instruct`) to `target`, which is
    `unit` or lies below it; one receiving row per active unit of the target's subtree (or the
    target alone), received now. The leaders and clerks of each receiving unit are notified."""
    policy.require(actor, Action.OFFICE_INSTRUCT, unit)
    title, body = (title or "").strip(), (body or "").strip()
    problems: dict[str, list[Any]] = {}
    if not title:
        problems["title"] = [gettext_lazy("Give the directive a title.")]
    elif len(title) > TITLE_MAX:
        problems["title"] = [gettext_lazy("The title is too long.")]
    if not body:
        problems["body"] = [gettext_lazy("Write the text of the directive.")]
    if not 1 <= acknowledge_within_hours <= MAX_ACKNOWLEDGE_HOURS:
        problems["acknowledge_within_hours"] = [
            gettext_lazy("Between 1 and %(max)d hours.") % {"max": MAX_ACKNOWLEDGE_HOURS}
        ]
    if report_by is not None and report_by < clock.today():
        problems["report_by"] = [gettext_lazy("The report date is in the past.")]
    if not target.path.startswith(unit.path):
        problems["target"] = [
            gettext_lazy("The target must be the sending unit or one of the units below it.")
        ]
    if not unit.active:
        problems["unit"] = [gettext_lazy("This unit is no longer active.")]
    if document is not None and not policy.can(actor, Action.DOCUMENTS_VIEW, document.unit):
        problems["document"] = [gettext_lazy("You cannot attach this document.")]
    if problems:
        raise ValidationFailed(gettext_lazy("The directive cannot be sent."), field_errors=problems)

    # Dissolved or merged units receive nothing: nobody there would acknowledge.
    receiving = Unit.objects.filter(active=True)
    if include_subtree:
        receiving = receiving.filter(path__startswith=target.path)
    else:
        receiving = receiving.filter(pk=target.pk)
    units = list(receiving.order_by("path"))
    if not units:
        message = gettext_lazy("No active unit would receive this directive.")
        raise ValidationFailed(message, field_errors={"target": [message]})

    now = clock.now()
    directive = Directive.objects.create(
        unit=unit,
        author=actor,
        title=title,
        body=body,
        document=document,
        target=target,
        include_subtree=include_subtree,
        acknowledge_by=now + dt.timedelta(hours=acknowledge_within_hours),
        report_by=report_by,
    )
    DirectiveRecipient.objects.bulk_create(
        [DirectiveRecipient(directive=directive, unit=u, received_at=now) for u in units]
    )
    audit.record(
        actor=actor,
        action="office.directive_sent",
        unit=unit,
        obj=directive,
        after={
            "title": title,
            "body": body,
            "target": str(target.pk),
            "include_subtree": include_subtree,
            "acknowledge_by": directive.acknowledge_by,
            "report_by": report_by,
            "units": [str(u.pk) for u in units],
        },
        data={"title": title[:120], "target": target.code, "recipients": len(units)},
    )
    people = selectors.people_of(units=units, roles=selectors.ANSWERING_ROLES)
    _notify_each(
        people,
        _link(directive),
        gettext_lazy("Urgent directive from %(unit)s: %(title)s"),
        unit=unit,
        title=title,
    )
    return directive


# --- Receiving --------------------------------------------------------------------------------


def _require_of_unit(actor: Any, recipient: DirectiveRecipient, *, answer: bool) -> None:
    allowed = (
        selectors.may_answer_for(user=actor, unit=recipient.unit)
        if answer
        else selectors.acts_for(user=actor, unit=recipient.unit, action=Action.OFFICE_WORK)
    )
    if not allowed:
        raise PermissionDenied(
            _("Only the people of %(unit)s can do this.") % {"unit": recipient.unit.display_name}
        )


@transaction.atomic(durable=True)
def directive_mark_read(*, actor: Any, recipient: DirectiveRecipient) -> DirectiveRecipient:
    """Record the first opening by someone of the receiving unit; later openings change
    nothing and are not audited."""
    _require_of_unit(actor, recipient, answer=False)
    locked = _lock(recipient)
    if locked.read_at is not None:
        return locked
    before = _snapshot(locked)
    locked.read_at = clock.now()
    locked.read_by = actor
    locked.save(update_fields=["read_at", "read_by", "updated_at"])
    audit.record(
        actor=actor,
        action="office.directive_read",
        unit=locked.unit,
        obj=locked,
        before=before,
        after=_snapshot(locked),
        data={"title": locked.directive.title[:120], "unit": locked.unit.code},
    )
    _publish_after_commit(locked.directive_id)
    return locked


@transaction.atomic(durable=True)
def directive_acknowledge(*, actor: Any, recipient: DirectiveRecipient) -> DirectiveRecipient:
    """A leader or clerk of the receiving unit confirms receipt (which also counts as read)."""
    _require_of_unit(actor, recipient, answer=True)
    locked = _lock(recipient)
    if locked.acknowledged_at is not None:
        raise Conflict(_("This directive was already acknowledged."))
    before = _snapshot(locked)
    now = clock.now()
    fields = ["acknowledged_at", "acknowledged_by", "updated_at"]
    if locked.read_at is None:
        locked.read_at, locked.read_by = now, actor
        fields += ["read_at", "read_by"]
    locked.acknowledged_at, locked.acknowledged_by = now, actor
    locked.save(update_fields=fields)
    audit.record(
        actor=actor,
        action="office.directive_acknowledged",
        unit=locked.unit,
        obj=locked,
        before=before,
        after=_snapshot(locked),
        data={
            "title": locked.directive.title[:120],
            "unit": locked.unit.code,
            "late": now > locked.directive.acknowledge_by,
        },
    )
    _publish_after_commit(locked.directive_id)
    return locked


@transaction.atomic(durable=True)
def directive_report(*, actor: Any, recipient: DirectiveRecipient, text: str) -> DirectiveRecipient:
    """A leader or clerk of the receiving unit reports what was done, after acknowledging. The
    sender is told."""
    _require_of_unit(actor, recipient, answer=True)
    text = (text or "").strip()
    if not text:
        message = gettext_lazy("Write the report.")
        raise ValidationFailed(message, field_errors={"text": [message]})
    if len(text) > REPORT_MAX:
        message = gettext_lazy("The report is too long.")
        raise ValidationFailed(message, field_errors={"text": [message]})
    locked = _lock(recipient)
    if locked.acknowledged_at is None:
        raise Conflict(_("Acknowledge the directive before reporting on it."))
    if locked.reported_at is not None:
        raise Conflict(_("This unit has already reported."))
    before = _snapshot(locked)
    locked.reported_at, locked.report = clock.now(), text
    locked.save(update_fields=["reported_at", "report", "updated_at"])
    audit.record(
        actor=actor,
        action="office.directive_reported",
        unit=locked.unit,
        obj=locked,
        before=before,
        after=_snapshot(locked) | {"report": text},
        data={"title": locked.directive.title[:120], "unit": locked.unit.code},
    )
    directive = locked.directive
    _notify_each(
        [directive.author],
        _link(directive),
        gettext_lazy("%(unit)s reported on the directive: %(title)s"),
        unit=locked.unit,
        title=directive.title,
    )
    _publish_after_commit(directive.pk)
    return locked


# --- Escalation -------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def directives_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate, once, every receiving unit that has not acknowledged by the deadline: the
    sender and the leaders of the unit's parent are told. The number of units escalated."""
    now = now or clock.now()
    # Re-selected under the lock: two job runs at once escalate each unit once.
    due = (
        for_update(
            DirectiveRecipient.objects.select_related("directive__author", "unit"), of=("self",)
        )
        .filter(
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            directive__acknowledge_by__lte=now,
        )
        .order_by("pk")
    )
    escalated = 0
    touched: set[Any] = set()
    for recipient in due:
        before = _snapshot(recipient)
        recipient.escalated_at = now
        recipient.save(update_fields=["escalated_at", "updated_at"])
        directive = recipient.directive
        parent: Unit | None = Unit.objects.get_parent(recipient.unit)
        audit.record(
            actor=None,
            action="office.directive_escalated",
            unit=recipient.unit,
            obj=recipient,
            before=before,
            after=_snapshot(recipient),
            data={
                "title": directive.title[:120],
                "unit": recipient.unit.code,
                "parent": parent.code if parent else "",
            },
        )
        told = {directive.author_id: directive.author} if directive.author.is_active else {}
        if parent is not None:
            for leader in selectors.people_of(units=[parent], roles=[Role.LEADER]):
                told.setdefault(leader.pk, leader)
        _notify_each(
            told.values(),
            _link(directive),
            gettext_lazy("%(unit)s has not acknowledged the directive: %(title)s"),
            unit=recipient.unit,
            title=directive.title,
        )
        touched.add(directive.pk)
        escalated += 1
    for directive_id in touched:
        _publish_after_commit(directive_id)
    return escalated
