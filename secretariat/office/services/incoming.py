"""Incoming documents (văn bản đến), Decree 30/2020/NĐ-CP Art. 20–24: receive → register →
present to the leader → the leader's instruction (ý kiến chỉ đạo) → handling and follow-up →
done, or returned to the sender (Art. 21.2), then filed (Art. 28–31).

The process is created by the registration itself (`on_registered`, the documents app's
registration hook): every incoming registration — the registers' pages, the `ingest` command, an
internal delivery (`incoming_receive`) — starts a process in state REGISTERED, in the same
transaction, so a registered incoming document always has its process and an unregistered one
creates no duty (Art. 22).

Each transition locks the process row (after the node's write lock, `core.locks.for_update`),
checks the state *under the lock* (never check-then-act), writes, and appends an audit event in
the same transaction. The public functions are durable (views, API); the `*_nondurable` variants
run inside a caller's transaction (another office service composing them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.documents import registers
from secretariat.documents import services as document_services
from secretariat.documents.models import (
    Document,
    RegisterEntry,
    RegisterKind,
)
from secretariat.orgs.models import Unit

from .. import hooks, workdays
from ..models import CaseFile, IncomingProcess, IncomingState, Instruction, OutgoingProcess
from . import casefiles
from .notifications import notify

P = ParamSpec("P")
R = TypeVar("R")

# The longest deadline a leader may give, in working days (about a year and a half).
MAX_WORKING_DAYS = 400

# States in which the document still waits for someone (the overdue dashboard, Art. 24).
OPEN_STATES = frozenset(
    {
        IncomingState.REGISTERED,
        IncomingState.PRESENTED,
        IncomingState.INSTRUCTED,
        IncomingState.IN_PROGRESS,
    }
)

# Readable names of the audit actions recorded here (for `office/audit_actions.py`).
AUDIT_LABELS: dict[str, str | Promise] = {
    "office.incoming_registered": _("Incoming document registered for processing"),
    "office.incoming_recalled": _("Incoming document recalled by its sender"),
    "office.incoming_received": _("Document delivered to an internal unit"),
    "office.incoming_presented": _("Incoming document presented to the leader"),
    "office.incoming_instructed": _("Leader's instruction given"),
    "office.incoming_noted": _("Progress noted"),
    "office.incoming_completed": _("Incoming document handled"),
    "office.incoming_returned": _("Incoming document returned to the sender"),
    "office.incoming_filed": _("Incoming document filed"),
}


def _durable(function: Callable[P, R]) -> Callable[P, R]:
    """The durable entry point of a `*_nondurable` service (views, API, commands)."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(durable=True):
            return function(*args, **kwargs)

    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__.removesuffix("_nondurable")
    return wrapper


def _snapshot(process: IncomingProcess) -> dict[str, Any]:
    return {
        "state": process.state,
        "presented_to": str(process.presented_to_id) if process.presented_to_id else None,
        "due_on": process.due_on.isoformat() if process.due_on else None,
        "result_document": str(process.result_document_id) if process.result_document_id else None,
    }


def _link(process: IncomingProcess) -> str:
    return reverse("office:incoming_detail", args=[process.pk])


def _lock(process: IncomingProcess) -> IncomingProcess:
    """The process row, locked; its document and unit read (not locked) with it."""
    locked = for_update(IncomingProcess.objects, of=("self",)).select_related("document", "unit")
    return locked.get(pk=process.pk)


def _require_state(
    process: IncomingProcess, allowed: Iterable[str], message: str | Promise
) -> None:
    """`message` names the refused step and has a `%(state)s` placeholder for the state."""
    if process.state not in set(allowed):
        raise Conflict(message % {"state": IncomingState(process.state).label})


def _record(
    *,
    actor: Any | None,
    action: str,
    process: IncomingProcess,
    before: dict[str, Any] | None,
    data: dict[str, Any] | None = None,
) -> None:
    audit.record(
        actor=actor,
        action=action,
        unit=process.unit,
        obj=process,
        before=before,
        after=_snapshot(process),
        data={"state": process.state, **(data or {})},
    )


def _tell_observers(actor: Any, process: IncomingProcess, event: str, note: str) -> None:
    """Higher layers answer the sender (the exchange's status messages), in this transaction."""
    for observer in hooks.incoming_observers():
        observer.on_incoming(actor=actor, process=process, event=event, note=note)


def _required_text(value: str, field: str, message: str | Promise) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(message, field_errors={field: [message]})
    return text


# --- Registration hook ------------------------------------------------------------------------


class IncomingRegistrationHook:
    """Starts the processing of every document registered in an incoming register (documents'
    `RegistrationHook`, installed by `OfficeConfig.ready()`)."""

    def on_registered(
        self, *, actor: Any | None, document: Document, entry: RegisterEntry, kind: str
    ) -> None:
        if (
            kind != RegisterKind.OUTGOING
            and OutgoingProcess.objects.filter(document=document).exists()
        ):
            # A draft of this unit is numbered in the outgoing register by its own circuit.
            raise Conflict(
                _("This is an outgoing draft: it is numbered when signed, not registered here.")
            )
        if kind != RegisterKind.INCOMING:
            return
        process = IncomingProcess.objects.create(
            document=document,
            entry=entry,
            unit=document.unit,
            state=IncomingState.REGISTERED,
            # The sender's deadline written on the document, until the leader sets one.
            due_on=document.due_on,
        )
        _record(
            actor=actor,
            action="office.incoming_registered",
            process=process,
            before=None,
            data={"number": entry.number, "notation": entry.notation},
        )


registration_hook = IncomingRegistrationHook()


# --- Internal delivery ------------------------------------------------------------------------


def incoming_receive(*, actor: Any | None, document: Document, unit: Unit) -> IncomingProcess:
    """Deliver `document` to the internal unit `unit`: it is registered in that unit's incoming
    register (Art. 22), which starts its processing; returns the process.

    Non-durable: the outgoing dispatch calls it once per internal recipient inside its own
    transaction. `actor` is the clerk dispatching (OFFICE_CLERK on the sending unit) or on the
    receiving unit, or None for the system. A document of another unit is delivered as the
    receiving unit's own document sharing the same stored files."""
    if actor is not None and not (
        policy.can(actor, Action.OFFICE_CLERK, document.unit)
        or policy.can(actor, Action.OFFICE_CLERK, unit)
    ):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if not unit.active:
        raise ValidationFailed(
            _("The unit %(code)s is no longer active.") % {"code": unit.code},
            field_errors={"unit": [_("This unit is no longer active.")]},
        )
    with transaction.atomic():
        received = document
        if document.unit_id != unit.pk:
            received = document_services.document_copy_to_unit(
                actor=actor, document=document, unit=unit
            )
        # The system registers a delivery on arrival (Art. 21: electronic documents are received
        # through the system); the dispatching clerk keeps no register of the receiving unit.
        registrar = (
            actor
            if actor is not None and policy.can(actor, Action.REGISTERS_MANAGE, unit)
            else None
        )
        entry = registers.register_document(
            actor=registrar, document=received, kind=RegisterKind.INCOMING
        )
        process = IncomingProcess.objects.select_related("document", "unit").get(entry=entry)
        audit.record(
            actor=actor,
            action="office.incoming_received",
            unit=unit,
            obj=process,
            after=_snapshot(process),
            data={
                "from_unit": document.unit.code,
                "source_document": str(document.pk),
                "number": entry.number,
            },
        )
    return process


# --- Transitions ------------------------------------------------------------------------------


def incoming_present_nondurable(
    *, actor: Any, process: IncomingProcess, leader: Any
) -> IncomingProcess:
    """The clerk presents the registered document to a leader (Art. 20, 23), who is notified.
    Presenting again (to another leader) is allowed until the leader has instructed."""
    policy.require(actor, Action.OFFICE_CLERK, process.unit)
    if not policy.can(leader, Action.OFFICE_INSTRUCT, process.unit):
        message = _("%(name)s cannot give instructions for this unit.") % {"name": leader}
        raise ValidationFailed(message, field_errors={"leader": [message]})
    locked = _lock(process)
    _require_state(
        locked,
        {IncomingState.REGISTERED, IncomingState.PRESENTED},
        _("The document cannot be presented: it is “%(state)s”."),
    )
    before = _snapshot(locked)
    locked.state = IncomingState.PRESENTED
    locked.presented_to = leader
    locked.save(update_fields=["state", "presented_to", "updated_at"])
    _record(
        actor=actor,
        action="office.incoming_presented",
        process=locked,
        before=before,
        data={"leader": leader.username},
    )
    notify(
        user=leader,
        message=_("Incoming document to instruct: %(subject)s")
        % {"subject": registers.display_subject(locked.document)},
        link=_link(locked),
    )
    return locked


def _units_below(unit: Unit) -> Any:
    return Unit.objects.filter(path__startswith=unit.path, active=True)


def incoming_instruct_nondurable(
    *,
    actor: Any,
    process: IncomingProcess,
    text: str,
    lead_unit: Unit,
    coordinating_units: Sequence[Unit] = (),
    assignees: Sequence[Any] = (),
    working_days: int,
) -> Instruction:
    """The leader's instruction (Art. 23): the text, the lead unit, the co-ordinating units, the
    people named to handle it and the deadline in working days (weekends and holidays are not
    counted). One task per assignee is created, tied to the instruction. State INSTRUCTED."""
    from .tasks import task_create

    policy.require(actor, Action.OFFICE_INSTRUCT, process.unit)
    errors: dict[str, list[str | Promise]] = {}
    clean_text = (text or "").strip()
    if not clean_text:
        errors["text"] = [_("Write the instruction.")]
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_WORKING_DAYS:
        errors["working_days"] = [
            _("Give a deadline of 1 to %(max)d working days.") % {"max": MAX_WORKING_DAYS}
        ]
    # The lead and co-ordinating units are the unit itself or units below it: a leader
    # assigns work inside their organization.
    allowed_units = set(_units_below(process.unit).values_list("pk", flat=True))
    if lead_unit.pk not in allowed_units:
        errors["lead_unit"] = [_("Choose the unit or one of its units.")]
    if any(u.pk not in allowed_units for u in coordinating_units):
        errors["coordinating_units"] = [_("Choose the unit or one of its units.")]
    if not assignees:
        errors["assignees"] = [_("Name at least one person to handle the document (Art. 24).")]
    for person in assignees:
        if not policy.can(person, Action.OFFICE_WORK, lead_unit):
            errors.setdefault("assignees", []).append(
                _("%(name)s does not work in the lead unit.") % {"name": person}
            )
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)

    locked = _lock(process)
    _require_state(
        locked,
        {IncomingState.PRESENTED},
        _(
            "No instruction can be given: the document is “%(state)s”; it must first be presented to the leader."
        ),
    )
    due_on = workdays.add_working_days(clock.today(), working_days)
    instruction = Instruction.objects.create(
        process=locked,
        leader=actor,
        text=clean_text,
        lead_unit=lead_unit,
        working_days=working_days,
        due_on=due_on,
    )
    instruction.coordinating_units.set(list(coordinating_units))
    instruction.assignees.set(list(assignees))
    # The incoming register's "receiving unit or person" column (Appendix IV).
    registers.entry_record_handling(
        actor=actor, entry=locked.entry, unit=lead_unit, people=assignees
    )
    before = _snapshot(locked)
    locked.state = IncomingState.INSTRUCTED
    locked.due_on = due_on
    locked.save(update_fields=["state", "due_on", "updated_at"])
    _record(
        actor=actor,
        action="office.incoming_instructed",
        process=locked,
        before=before,
        data={
            "lead_unit": lead_unit.code,
            "coordinating_units": [u.code for u in coordinating_units],
            "assignees": [p.username for p in assignees],
            "working_days": working_days,
            "due_on": due_on.isoformat(),
        },
    )
    subject = registers.display_subject(locked.document)
    for person in assignees:
        task_create(
            actor=actor,
            unit=lead_unit,
            title=str(_("Handle: %(subject)s") % {"subject": subject})[:300],
            assignee=person,
            description=clean_text,
            due_on=due_on,
            source_document=locked.document,
            instruction=instruction,
        )
    _tell_observers(actor, locked, "instructed", clean_text)
    return instruction


def incoming_note_nondurable(*, actor: Any, process: IncomingProcess, text: str) -> IncomingProcess:
    """A progress note on a document being handled (follow-up, Art. 24); the first note moves
    an instructed document to IN_PROGRESS. The note itself is the audit event's detail."""
    policy.require(actor, Action.OFFICE_WORK, process.unit)
    note = _required_text(text, "text", _("Write the note."))[:2000]
    locked = _lock(process)
    _require_state(
        locked,
        {IncomingState.INSTRUCTED, IncomingState.IN_PROGRESS},
        _(
            "Progress can be noted only once the leader has instructed; the document is “%(state)s”."
        ),
    )
    before = _snapshot(locked)
    if locked.state == IncomingState.INSTRUCTED:
        locked.state = IncomingState.IN_PROGRESS
        locked.save(update_fields=["state", "updated_at"])
        _tell_observers(actor, locked, "in_progress", note)
    _record(
        actor=actor,
        action="office.incoming_noted",
        process=locked,
        before=before,
        data={"note": note},
    )
    return locked


def may_complete(actor: Any, process: IncomingProcess) -> bool:
    if policy.can(actor, Action.OFFICE_CLERK, process.unit) or policy.can(
        actor, Action.OFFICE_INSTRUCT, process.unit
    ):
        return True
    # A person the leader named to handle it (Art. 24).
    return (
        policy.can(actor, Action.OFFICE_WORK, process.unit)
        and Instruction.objects.filter(process=process, assignees=actor).exists()
    )


def incoming_complete_nondurable(
    *,
    actor: Any,
    process: IncomingProcess,
    result_note: str,
    result_document: Document | None = None,
) -> IncomingProcess:
    """The document has been handled: DONE with the result (a note, and optionally the reply
    or report document of the same unit). The tasks of the instruction are *not* closed here:
    each assignee closes their own (a task may outlive the document's handling)."""
    if not may_complete(actor, process):
        raise PermissionDenied(_("You do not have permission to do this here."))
    note = _required_text(result_note, "result_note", _("Say how the document was handled."))
    if result_document is not None and result_document.unit_id != process.unit_id:
        message = _("The result document must belong to the same unit.")
        raise ValidationFailed(message, field_errors={"result_document": [message]})
    locked = _lock(process)
    _require_state(
        locked,
        {IncomingState.INSTRUCTED, IncomingState.IN_PROGRESS},
        _("The document cannot be marked handled: it is “%(state)s”."),
    )
    before = _snapshot(locked)
    locked.state = IncomingState.DONE
    locked.result_note = note
    locked.result_document = result_document
    locked.closed_at = clock.now()
    locked.save(
        update_fields=["state", "result_note", "result_document", "closed_at", "updated_at"]
    )
    _record(actor=actor, action="office.incoming_completed", process=locked, before=before)
    _tell_observers(actor, locked, "completed", locked.result_note)
    return locked


def incoming_return_nondurable(
    *, actor: Any, process: IncomingProcess, reason: str
) -> IncomingProcess:
    """Return an invalid or misaddressed document to its sender with the reason (Art. 21.2).
    Only before the leader has instructed. The document and its register entry stay: the
    register is a record of what arrived (Art. 22), never rewritten."""
    policy.require(actor, Action.OFFICE_CLERK, process.unit)
    clean_reason = _required_text(reason, "reason", _("Give the reason for returning it."))
    locked = _lock(process)
    _require_state(
        locked,
        {IncomingState.REGISTERED, IncomingState.PRESENTED},
        _("The document can be returned only before the leader instructs; it is “%(state)s”."),
    )
    before = _snapshot(locked)
    locked.state = IncomingState.RETURNED
    locked.returned_reason = clean_reason
    locked.closed_at = clock.now()
    locked.save(update_fields=["state", "returned_reason", "closed_at", "updated_at"])
    _record(
        actor=actor,
        action="office.incoming_returned",
        process=locked,
        before=before,
        data={"reason": clean_reason[:500]},
    )
    _tell_observers(actor, locked, "returned", clean_reason)
    return locked


def incoming_recalled_nondurable(
    *, actor: Any, process: IncomingProcess, sender_notation: str
) -> IncomingProcess:
    """Close the processing of a document its sender recalled, once this unit's clerk confirmed
    the deletion (Art. 18): whatever state it reached, it leaves the unit's work lists. The
    register entry stays (Art. 22: the register records what arrived)."""
    policy.require(actor, Action.OFFICE_CLERK, process.unit)
    locked = _lock(process)
    if locked.state == IncomingState.RECALLED:
        return locked
    before = _snapshot(locked)
    locked.state = IncomingState.RECALLED
    locked.closed_at = clock.now()
    locked.save(update_fields=["state", "closed_at", "updated_at"])
    _record(
        actor=actor,
        action="office.incoming_recalled",
        process=locked,
        before=before,
        data={"sender_notation": sender_notation},
    )
    return locked


def incoming_file_nondurable(
    *, actor: Any, process: IncomingProcess, case_file: CaseFile
) -> IncomingProcess:
    """File a handled document — and its result document, if any — in an open case file of the
    same unit (Art. 28–31). State FILED."""
    policy.require(actor, Action.OFFICE_CLERK, process.unit)
    locked = _lock(process)
    _require_state(
        locked,
        {IncomingState.DONE},
        _("Only a handled document can be filed; this one is “%(state)s”."),
    )
    casefiles.case_file_add_document_nondurable(
        actor=actor, case_file=case_file, document=locked.document
    )
    if locked.result_document_id is not None:
        result = Document.objects.get(pk=locked.result_document_id)
        if not case_file.documents.filter(pk=result.pk).exists():
            casefiles.case_file_add_document_nondurable(
                actor=actor, case_file=case_file, document=result
            )
    before = _snapshot(locked)
    locked.state = IncomingState.FILED
    locked.save(update_fields=["state", "updated_at"])
    _record(
        actor=actor,
        action="office.incoming_filed",
        process=locked,
        before=before,
        data={"case_file": case_file.code},
    )
    return locked


incoming_present = _durable(incoming_present_nondurable)
incoming_instruct = _durable(incoming_instruct_nondurable)
incoming_note = _durable(incoming_note_nondurable)
incoming_complete = _durable(incoming_complete_nondurable)
incoming_return = _durable(incoming_return_nondurable)
incoming_file = _durable(incoming_file_nondurable)


def is_overdue(process: IncomingProcess, today: dt.date | None = None) -> bool:
    """Past its deadline and still waiting (Art. 24: the follow-up's overdue list)."""
    return (
        process.state in OPEN_STATES
        and process.due_on is not None
        and process.due_on < (today or clock.today())
    )
