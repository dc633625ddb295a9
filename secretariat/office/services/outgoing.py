"""Outgoing documents from draft to dispatch and archive (Decree 30/2020/NĐ-CP Art. 13, 14, 18,
32–33): the only code that changes an `OutgoingProcess`.

The circuit::

    DRAFT ─submit→ IN_REVIEW ─(reviewers in order)→ … ─approve→ APPROVED ─sign→ SIGNED
      ↑   ↖──── RETURNED ←─return─┘                                        │
      └ new version                                              number (Art. 14)
                                                                           ↓
          RECALLED ←recall─ DISPATCHED ←dispatch─ SEALED ←seal (Art. 32–33)─ NUMBERED

Every service takes keyword-only arguments, the acting user first; checks the actor's rights on
the process's unit *before* its state (a refused user learns nothing about the state); writes in
one durable transaction under the process's row lock (`core.locks.for_update`: the node's write
lock first, then the row), appends an audit event in it, and leaves notifications in it. An
invalid transition is a `Conflict` with a message that says what to do instead.

Two steps are composed of transactions that cannot be one: capturing a draft and adding a
version are durable services of the documents app (file checks and conversion must run before
any transaction opens), and signatures run outside the transaction (a token or an HSM must not
hold the write lock). Everything that can refuse is checked before them, and the state is checked
again under the row lock after them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.documents import registers
from secretariat.documents import services as documents
from secretariat.documents.models import DocumentVersion, RegisterKind, Urgency
from secretariat.orgs.models import Unit

from .. import hooks, workdays
from .. import selectors_outgoing as selectors
from ..models import (
    ExternalDispatch,
    ExternalDispatchState,
    OutgoingDelivery,
    OutgoingKind,
    OutgoingProcess,
    OutgoingState,
    ReviewDecision,
    ReviewStep,
)
from .incoming import incoming_recalled_nondurable, incoming_receive
from .notifications import notify

IncomingFile = documents.IncomingFile

# The readable names of the audit actions written here; `office/audit_actions.py` lists them in
# its LABELS.
AUDIT_LABELS: dict[str, Promise] = {
    "office.outgoing_drafted": _("Outgoing draft created"),
    "office.outgoing_version_added": _("New draft version"),
    "office.outgoing_reviewers_set": _("Review circuit set"),
    "office.outgoing_submitted": _("Draft submitted for review"),
    "office.outgoing_reviewed": _("Draft reviewed"),
    "office.outgoing_approved": _("Draft approved"),
    "office.outgoing_signed": _("Outgoing document signed"),
    "office.outgoing_numbered": _("Outgoing document numbered"),
    "office.outgoing_sealed": _("Organization signature applied"),
    "office.outgoing_signature_returned": _("Personal signature refused, draft returned"),
    "office.outgoing_dispatched": _("Outgoing document dispatched"),
    "office.outgoing_recalled": _("Outgoing document recalled"),
    "office.outgoing_recall_confirmed": _("Recall confirmed by a recipient"),
}

EDITABLE_STATES = frozenset({OutgoingState.DRAFT, OutgoingState.RETURNED})
DECISIONS = frozenset({ReviewDecision.APPROVED, ReviewDecision.COMMENTED, ReviewDecision.RETURNED})
# Electronic codes of agencies (QCVN 102:2016, e.g. 000.00.00.T68): letters, digits, dots.
_EXTERNAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,31}$")
# Given by the register when the document is numbered (Art. 14, 15), never by the drafter.
_REGISTER_FIELDS = ("number", "notation", "issued_on")


# --- Helpers ----------------------------------------------------------------------------------


def _link(process: OutgoingProcess) -> str:
    return reverse("office:outgoing_detail", args=[process.pk])


def _snapshot(process: OutgoingProcess) -> dict[str, Any]:
    return {
        "document": str(process.document_id),
        "unit": str(process.unit_id),
        "state": process.state,
        "kind": process.kind,
        "signer": str(process.signer_id) if process.signer_id else None,
        "corrects": str(process.corrects_id) if process.corrects_id else None,
        "entry": str(process.entry_id) if process.entry_id else None,
    }


def _record(
    *,
    actor: Any,
    action: str,
    process: OutgoingProcess,
    before: dict[str, Any] | None,
    data: dict[str, Any] | None = None,
    unit: Unit | None = None,
) -> None:
    audit.record(
        actor=actor,
        action=action,
        unit=unit or process.unit,
        obj=process,
        before=before,
        after=_snapshot(process),
        data={"state": process.state, **(data or {})},
    )


def _lock(process: OutgoingProcess) -> OutgoingProcess:
    """The process, re-read under its row lock (only its own row: `of=self`)."""
    return (
        for_update(OutgoingProcess.objects, of=("self",))
        .select_related("unit", "document")
        .get(pk=process.pk)
    )


def _fresh(process: OutgoingProcess) -> OutgoingProcess:
    """The process as stored now, without a lock: for the checks made before work that must
    run outside the transaction (they are made again under the lock)."""
    return OutgoingProcess.objects.select_related("unit", "document").get(pk=process.pk)


def _state_label(process: OutgoingProcess) -> str:
    return str(OutgoingState(process.state).label).lower()


def _require_state(
    process: OutgoingProcess, states: frozenset[str] | set[str], message: str | Promise
) -> None:
    if process.state not in states:
        raise Conflict(
            _("%(what)s This document is now: %(state)s.")
            % {"what": message, "state": _state_label(process)}
        )


def _require_drafting_rights(actor: Any, unit: Unit) -> None:
    # Drafting is office work that stores a file: both rights on the unit.
    policy.require(actor, Action.OFFICE_WORK, unit)
    policy.require(actor, Action.DOCUMENTS_CAPTURE, unit)


def _require_drafter(actor: Any, process: OutgoingProcess) -> None:
    _require_drafting_rights(actor, process.unit)
    if actor.pk != process.drafter_id:
        raise PermissionDenied(_("Only the drafter of this document may do this."))


def _require_signer(actor: Any, process: OutgoingProcess) -> None:
    # Art. 13: the competent person named for this document signs it, nobody else.
    policy.require(actor, Action.OFFICE_INSTRUCT, process.unit)
    if actor.pk != process.signer_id:
        raise PermissionDenied(_("Only the signer chosen for this document may do this."))


def _name(user: Any) -> str:
    return str(getattr(user, "full_name", "") or user.username)


def _check_signer(signer: Any, unit: Unit) -> None:
    if signer is None or not getattr(signer, "is_active", False):
        message = _("Choose the person who signs the document.")
        raise ValidationFailed(message, field_errors={"signer": [message]})
    if not policy.can(signer, Action.OFFICE_INSTRUCT, unit):
        refusal = _("%(name)s has no authority to sign documents of %(unit)s (Art. 13).") % {
            "name": _name(signer),
            "unit": unit.display_name,
        }
        raise ValidationFailed(refusal, field_errors={"signer": [refusal]})


def _check_reviewers(reviewers: Sequence[Any], *, unit: Unit, drafter: Any, signer: Any) -> None:
    errors: list[str | Promise] = []
    seen: set[Any] = set()
    for reviewer in reviewers:
        if reviewer.pk in seen:
            errors.append(_("%(name)s is listed twice.") % {"name": _name(reviewer)})
        elif reviewer.pk in (drafter.pk, getattr(signer, "pk", None)):
            errors.append(
                _("%(name)s is the drafter or the signer, not a reviewer.")
                % {"name": _name(reviewer)}
            )
        elif not reviewer.is_active or not policy.can(reviewer, Action.OFFICE_WORK, unit):
            errors.append(
                _("%(name)s does not work on documents of %(unit)s.")
                % {"name": _name(reviewer), "unit": unit.display_name}
            )
        seen.add(reviewer.pk)
    if errors:
        raise ValidationFailed(errors[0], field_errors={"reviewers": errors})


def _editable_round(process: OutgoingProcess) -> int:
    """The round the next submission starts: the last one while nobody has spoken in it, else
    a new one (a returned draft is reviewed afresh)."""
    last = selectors.current_round(process)
    if last is None:
        return 1
    spoken = process.reviews.filter(round=last).exclude(decision=ReviewDecision.PENDING).exists()
    return last + 1 if spoken else last


def _create_steps(process: OutgoingProcess, reviewers: Sequence[Any], round_: int) -> None:
    ReviewStep.objects.bulk_create(
        ReviewStep(process=process, order=i, reviewer=r, round=round_)
        for i, r in enumerate(reviewers, start=1)
    )


def notify_clerks(unit: Unit, message: str | Promise, link: str) -> None:
    for clerk in selectors.holders(Action.OFFICE_CLERK, [unit]):
        notify(user=clerk, message=str(message), link=link)


# How far a document sent outside got: news that arrives late (a receipt overtaken by the
# recipient's status message) does not move it back.
_EXTERNAL_PROGRESS: dict[str, int] = {
    ExternalDispatchState.QUEUED: 0,
    ExternalDispatchState.DELIVERED: 1,
    ExternalDispatchState.FAILED: 1,
    ExternalDispatchState.RECEIVED: 2,
    ExternalDispatchState.ACCEPTED: 3,
    ExternalDispatchState.ASSIGNED: 4,
    ExternalDispatchState.PROCESSING: 5,
    ExternalDispatchState.DONE: 6,
    ExternalDispatchState.RETURNED: 6,
}


def external_dispatch_mark_nondurable(*, dispatch_id: Any, state: str) -> None:
    """The exchange's news of a document sent outside: delivered, received, accepted … done
    (its timeline is the exchange's; this is the state the outgoing pages show)."""
    dispatch = for_update(ExternalDispatch.objects).filter(pk=dispatch_id).first()
    if dispatch is None:
        return
    current = _EXTERNAL_PROGRESS.get(dispatch.state)  # None: cancelled, recalled
    new = _EXTERNAL_PROGRESS.get(state)
    if current is None or new is None or new < current:
        return
    dispatch.state = state
    dispatch.save(update_fields=["state", "updated_at"])
    if state in ("delivered", "received"):
        ExternalDispatch.objects.filter(pk=dispatch_id, sent_at__isnull=True).update(
            sent_at=clock.now()
        )


def _clean_draft_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The draft's metadata (Art. 8), checked before anything is stored."""
    given = dict(metadata)
    wrong = [name for name in _REGISTER_FIELDS if given.get(name)]
    if wrong:
        message = _("The number, notation and date are given by the register (Art. 14, 15).")
        raise ValidationFailed(message, field_errors={name: [message] for name in wrong})
    for name in _REGISTER_FIELDS:
        given.pop(name, None)
    clean = documents.clean_metadata(given)
    errors: dict[str, list[str | Promise]] = {}
    if not clean.get("subject"):
        errors["subject"] = [_("The subject (trích yếu) must not be empty.")]
    if clean.get("doc_type") is None:
        errors["doc_type"] = [
            _("The document type is needed to give an outgoing number and notation.")
        ]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)
    return given


def _capture_draft(*, actor: Any, unit: Unit, file: IncomingFile, metadata: dict[str, Any]) -> Any:
    document = documents.document_capture(
        actor=actor, unit=unit, file=file, metadata=metadata, run_ocr="background"
    )
    # The capture fills empty fields with what it reads on the first page; on a draft that is a
    # template's "Số: …" and date, which must not survive until the register gives the real ones.
    filled: dict[str, Any] = {n: "" for n in ("number", "notation") if getattr(document, n)}
    if document.issued_on is not None:
        filled["issued_on"] = ""
    if filled:
        document = documents.document_update_metadata(
            actor=actor, document=document, changes=filled
        )
    return document


def _new_process(
    *,
    actor: Any,
    unit: Unit,
    file: IncomingFile,
    metadata: Mapping[str, Any],
    signer: Any,
    reviewers: Sequence[Any],
    kind: str,
    corrects: OutgoingProcess | None,
) -> OutgoingProcess:
    _require_drafting_rights(actor, unit)
    if not unit.active:
        raise ValidationFailed(
            _("The unit %(code)s is no longer active.") % {"code": unit.code},
            field_errors={"unit": [_("This unit is no longer active.")]},
        )
    clean = _clean_draft_metadata(metadata)
    _check_signer(signer, unit)
    _check_reviewers(reviewers, unit=unit, drafter=actor, signer=signer)
    document = _capture_draft(actor=actor, unit=unit, file=file, metadata=clean)
    with transaction.atomic(durable=True):
        process = OutgoingProcess.objects.create(
            document=document,
            unit=unit,
            drafter=actor,
            signer=signer,
            state=OutgoingState.DRAFT,
            kind=kind,
            corrects=corrects,
        )
        _create_steps(process, reviewers, 1)
        _record(
            actor=actor,
            action="office.outgoing_drafted",
            process=process,
            before=None,
            data={
                "kind": kind,
                "corrects": str(corrects.pk) if corrects else None,
                "reviewers": [r.username for r in reviewers],
                "signer": signer.username,
            },
        )
    return process


# --- Drafting and review ----------------------------------------------------------------------


def outgoing_draft(
    *,
    actor: Any,
    unit: Unit,
    file: IncomingFile,
    metadata: Mapping[str, Any],
    signer: Any,
    reviewers: Sequence[Any] = (),
) -> OutgoingProcess:
    """Start an outgoing document: capture the draft (version 1) through the documents app and
    open its process in DRAFT, with its signer and (optionally) its ordered reviewers."""
    return _new_process(
        actor=actor,
        unit=unit,
        file=file,
        metadata=metadata,
        signer=signer,
        reviewers=reviewers,
        kind=OutgoingKind.NORMAL,
        corrects=None,
    )


def outgoing_new_version(
    *, actor: Any, process: OutgoingProcess, file: IncomingFile
) -> DocumentVersion:
    """A new version of the draft while it is a draft or has been returned; earlier versions
    stay as they were (reviewers' comments refer to them)."""
    _require_drafter(actor, process)
    message = _("A new version can be added only to a draft or a returned draft.")
    _require_state(_fresh(process), EDITABLE_STATES, message)
    version = documents.document_add_version(actor=actor, document=process.document, file=file)
    with transaction.atomic(durable=True):
        locked = _lock(process)
        _require_state(locked, EDITABLE_STATES, message)
        before = _snapshot(locked)
        locked.save(update_fields=["updated_at"])
        _record(
            actor=actor,
            action="office.outgoing_version_added",
            process=locked,
            before=before,
            data={"version": version.number, "sha256": version.original_id},
        )
    return version


@transaction.atomic(durable=True)
def outgoing_set_reviewers(
    *, actor: Any, process: OutgoingProcess, reviewers: Sequence[Any]
) -> list[ReviewStep]:
    """Set the ordered review circuit of the next submission (replacing one not started)."""
    _require_drafter(actor, process)
    locked = _lock(process)
    _require_state(
        locked, EDITABLE_STATES, _("Reviewers can be changed only before the draft is submitted.")
    )
    _check_reviewers(reviewers, unit=locked.unit, drafter=actor, signer=locked.signer)
    round_ = _editable_round(locked)
    before = _snapshot(locked)
    # Steps of a round nobody has spoken in carry no decision: replacing them loses nothing.
    locked.reviews.filter(round=round_, decision=ReviewDecision.PENDING).delete()
    _create_steps(locked, reviewers, round_)
    _record(
        actor=actor,
        action="office.outgoing_reviewers_set",
        process=locked,
        before=before,
        data={"round": round_, "reviewers": [r.username for r in reviewers]},
    )
    return list(locked.reviews.filter(round=round_).order_by("order"))


@transaction.atomic(durable=True)
def outgoing_submit(*, actor: Any, process: OutgoingProcess) -> OutgoingProcess:
    """Send the draft to its first reviewer (or straight to the signer when it has none). A
    returned draft goes round the same circuit again unless the drafter set a new one."""
    _require_drafter(actor, process)
    locked = _lock(process)
    _require_state(locked, EDITABLE_STATES, _("Only a draft or a returned draft can be submitted."))
    round_ = _editable_round(locked)
    if not locked.reviews.filter(round=round_).exists() and round_ > 1:
        previous = locked.reviews.filter(round=round_ - 1).order_by("order")
        _create_steps(locked, [step.reviewer for step in previous], round_)
    before = _snapshot(locked)
    locked.state = OutgoingState.IN_REVIEW
    locked.save(update_fields=["state", "updated_at"])
    first = selectors.current_step(locked)
    subject = locked.document.subject[:120]
    if first is not None:
        notify(
            user=first.reviewer,
            message=str(_("A draft awaits your review: %(subject)s") % {"subject": subject}),
            link=_link(locked),
        )
    elif locked.signer is not None:
        notify(
            user=locked.signer,
            message=str(_("A draft awaits your approval: %(subject)s") % {"subject": subject}),
            link=_link(locked),
        )
    _record(
        actor=actor,
        action="office.outgoing_submitted",
        process=locked,
        before=before,
        data={"round": round_},
    )
    return locked


@transaction.atomic(durable=True)
def outgoing_review(
    *, actor: Any, process: OutgoingProcess, decision: str, comment: str = ""
) -> ReviewStep:
    """The current reviewer's opinion. Reviewers speak in the order the drafter set; a return
    sends the draft back to the drafter with the comment; the last agreement sends it to the
    signer."""
    policy.require(actor, Action.OFFICE_WORK, process.unit)
    comment = comment.strip()
    if decision not in DECISIONS:
        message = _("Choose agree, agree with comments, or return.")
        raise ValidationFailed(message, field_errors={"decision": [message]})
    if decision != ReviewDecision.APPROVED and not comment:
        message = _("Write the comment the drafter will read.")
        raise ValidationFailed(message, field_errors={"comment": [message]})
    locked = _lock(process)
    round_ = selectors.current_round(locked) or 0
    mine = locked.reviews.filter(round=round_, reviewer=actor).first()
    if mine is None:
        raise PermissionDenied(_("You are not a reviewer of this draft."))
    _require_state(locked, {OutgoingState.IN_REVIEW}, _("This draft is not waiting for a review."))
    current = selectors.current_step(locked)
    if current is None or current.pk != mine.pk:
        if mine.decision != ReviewDecision.PENDING:
            raise Conflict(_("You have already given your opinion on this draft."))
        waiting = current.reviewer if current is not None else None
        raise Conflict(
            _("Reviewers speak in the order set by the drafter; %(name)s is to review first.")
            % {"name": _name(waiting) if waiting is not None else "—"}
        )
    before = _snapshot(locked)
    step = for_update(ReviewStep.objects).get(pk=mine.pk)
    step.decision = decision
    step.comment = comment
    step.decided_at = clock.now()
    step.save(update_fields=["decision", "comment", "decided_at", "updated_at"])
    subject = locked.document.subject[:120]
    if decision == ReviewDecision.RETURNED:
        locked.state = OutgoingState.RETURNED
        locked.save(update_fields=["state", "updated_at"])
        notify(
            user=locked.drafter,
            message=str(
                _("%(name)s returned your draft “%(subject)s”: %(comment)s")
                % {"name": _name(actor), "subject": subject, "comment": comment[:200]}
            ),
            link=_link(locked),
        )
    else:
        following = selectors.current_step(locked)
        if following is not None:
            notify(
                user=following.reviewer,
                message=str(_("A draft awaits your review: %(subject)s") % {"subject": subject}),
                link=_link(locked),
            )
        elif locked.signer is not None:
            notify(
                user=locked.signer,
                message=str(_("A draft awaits your approval: %(subject)s") % {"subject": subject}),
                link=_link(locked),
            )
    _record(
        actor=actor,
        action="office.outgoing_reviewed",
        process=locked,
        before=before,
        data={"round": round_, "order": step.order, "decision": decision},
    )
    return step


@transaction.atomic(durable=True)
def outgoing_approve(*, actor: Any, process: OutgoingProcess) -> OutgoingProcess:
    """The signer approves the reviewed draft (Art. 13)."""
    _require_signer(actor, process)
    locked = _lock(process)
    _require_state(locked, {OutgoingState.IN_REVIEW}, _("Only a submitted draft can be approved."))
    if selectors.current_step(locked) is not None:
        raise Conflict(_("Every reviewer must give their opinion before the draft is approved."))
    before = _snapshot(locked)
    locked.state = OutgoingState.APPROVED
    locked.approved_at = clock.now()
    locked.save(update_fields=["state", "approved_at", "updated_at"])
    notify(
        user=locked.drafter,
        message=str(
            _("Your draft was approved: %(subject)s") % {"subject": locked.document.subject[:120]}
        ),
        link=_link(locked),
    )
    _record(actor=actor, action="office.outgoing_approved", process=locked, before=before)
    return locked


# --- Signatures (services/outgoing_signatures.py), number, dispatch ----------------------------

# What a signature validation report says when every signature passed (signing.validation).
PASSED = "passed"


def signature_status(version: DocumentVersion | None) -> str:
    """ "passed", "failed", "indeterminate" or "unsigned": the validation of a version's
    signatures, as kept with the version."""
    if version is None:
        return "unsigned"
    return str((version.signature_check or {}).get("status") or "unsigned")


def require_valid_signatures(process: OutgoingProcess, message: Any) -> None:
    """Refuse to go on with a document whose current version's signatures do not validate."""
    status = signature_status(process.document.versions.order_by("-number").first())
    if status != PASSED:
        raise Conflict(
            _("%(what)s The signatures of the current version: %(status)s.")
            % {"what": message, "status": _STATUS_LABELS.get(status, status)}
        )


_STATUS_LABELS = {
    "failed": _("failed"),
    "indeterminate": _("could not be confirmed"),
    "unsigned": _("none"),
}


@transaction.atomic(durable=True)
def outgoing_number(*, actor: Any, process: OutgoingProcess) -> OutgoingProcess:
    """The clerk gives the signed document its number, notation and date in the unit's
    outgoing register (Art. 14, 15: gap-free, per year, by the system)."""
    policy.require(actor, Action.OFFICE_CLERK, process.unit)
    policy.require(actor, Action.REGISTERS_MANAGE, process.unit)
    locked = _lock(process)
    _require_state(
        locked, {OutgoingState.SIGNED}, _("A document is numbered after it has been signed.")
    )
    require_valid_signatures(
        locked,
        _("Only a validly signed document is numbered: refuse the signature to return the draft."),
    )
    before = _snapshot(locked)
    entry = registers.register_document(
        actor=actor, document=locked.document, kind=RegisterKind.OUTGOING
    )
    locked.entry = entry
    locked.state = OutgoingState.NUMBERED
    locked.save(update_fields=["entry", "state", "updated_at"])
    _record(
        actor=actor,
        action="office.outgoing_numbered",
        process=locked,
        before=before,
        data={"number": entry.number, "notation": entry.notation},
    )
    return locked


def _check_recipients(
    process: OutgoingProcess, internal_units: Sequence[Unit], external_codes: Sequence[str]
) -> list[str]:
    errors: dict[str, list[str | Promise]] = {}
    seen: set[Any] = set()
    for unit in internal_units:
        if unit.pk == process.unit_id:
            errors.setdefault("internal_units", []).append(
                _("A unit does not send a document to itself.")
            )
        elif not unit.active:
            errors.setdefault("internal_units", []).append(
                _("The unit %(code)s is no longer active.") % {"code": unit.code}
            )
        elif unit.pk in seen:
            errors.setdefault("internal_units", []).append(
                _("The unit %(code)s is listed twice.") % {"code": unit.code}
            )
        seen.add(unit.pk)
    codes: list[str] = []
    for raw in external_codes:
        code = raw.strip()
        if not _EXTERNAL_CODE.match(code):
            errors.setdefault("external_codes", []).append(
                _("“%(code)s” is not an electronic agency code.") % {"code": code[:40]}
            )
        elif code not in codes:
            codes.append(code)
    if not internal_units and not codes and not errors:
        message = _("Choose at least one recipient.")
        errors["internal_units"] = [message]
    sender = hooks.external_sender()
    if codes and not errors and sender is not None:
        problems = sender.problems(codes)
        if problems:
            errors["external_codes"] = list(problems.values())
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)
    return codes


@transaction.atomic(durable=True)
def outgoing_dispatch(
    *,
    actor: Any,
    process: OutgoingProcess,
    internal_units: Sequence[Unit],
    external_codes: Sequence[str],
) -> OutgoingProcess:
    """Send the sealed document (Art. 14, 18: on the day of signing). Internal units receive it
    at once: it is registered as an incoming document of each (`incoming_receive`). External
    recipients are queued for the exchange capability. The unit keeps its copy: the document
    stays in its outgoing register."""
    policy.require(actor, Action.OFFICE_CLERK, process.unit)
    codes = _check_recipients(process, internal_units, external_codes)
    locked = _lock(process)
    _require_state(
        locked, {OutgoingState.SEALED}, _("A document is sent once it is signed and sealed.")
    )
    require_valid_signatures(locked, _("A document whose signatures fail is not sent."))
    before = _snapshot(locked)
    if locked.entry is not None:
        # The outgoing register's "date sent" column (Appendix IV).
        registers.entry_record_sent(actor=actor, entry=locked.entry)
    for unit in internal_units:
        # Registered at once in the recipient's incoming register (Art. 21–22), which starts
        # its processing there, in this transaction: sent and received, or neither.
        incoming = incoming_receive(actor=actor, document=locked.document, unit=unit)
        OutgoingDelivery.objects.create(process=locked, unit=unit, incoming=incoming)
    dispatches = ExternalDispatch.objects.bulk_create(
        ExternalDispatch(process=locked, recipient_code=code) for code in codes
    )
    sender = hooks.external_sender()
    if dispatches and sender is not None:
        # Queued for the exchange in this transaction: sent and recorded, or neither.
        sender.dispatch(
            actor=actor,
            process=locked,
            dispatches=dispatches,
            replaces=locked.corrects if locked.kind == OutgoingKind.REPLACEMENT else None,
        )
    locked.internal_recipients.set(internal_units)
    locked.external_recipients = codes
    locked.state = OutgoingState.DISPATCHED
    locked.dispatched_at = clock.now()
    locked.save(update_fields=["external_recipients", "state", "dispatched_at", "updated_at"])
    _record(
        actor=actor,
        action="office.outgoing_dispatched",
        process=locked,
        before=before,
        data={
            "internal": [u.code for u in internal_units],
            "external": codes,
            "on_time": dispatch_on_time(locked),
        },
    )
    return locked


def dispatch_deadline(process: OutgoingProcess) -> dt.date | None:
    """Art. 16: an outgoing document is dispatched the day it is signed, at the latest the next
    working day; urgent ones (Hỏa tốc, Thượng khẩn, Khẩn) the same day."""
    if process.signed_at is None:
        return None
    signed_on = timezone.localdate(process.signed_at)
    if process.document.urgency != Urgency.NORMAL:
        return signed_on
    return workdays.add_working_days(signed_on, 1)


def dispatch_on_time(process: OutgoingProcess) -> bool:
    deadline = dispatch_deadline(process)
    sent = process.dispatched_at or clock.now()
    return deadline is None or timezone.localdate(sent) <= deadline


# --- Corrections and recall (Art. 18) ---------------------------------------------------------


def _correction(
    *,
    actor: Any,
    process: OutgoingProcess,
    file: IncomingFile,
    metadata: Mapping[str, Any] | None,
    signer: Any,
    reviewers: Sequence[Any],
    kind: str,
    states: frozenset[str],
    message: str | Promise,
    defaults: dict[str, Any],
) -> OutgoingProcess:
    _require_drafting_rights(actor, process.unit)
    process = _fresh(process)
    _require_state(process, states, message)
    old = process.document
    given = {
        "subject": old.subject,
        "doc_type": old.doc_type_id,
        "urgency": old.urgency,
        "recipients": old.recipients,
        **defaults,
        **dict(metadata or {}),
    }
    return _new_process(
        actor=actor,
        unit=process.unit,
        file=file,
        metadata=given,
        signer=signer if signer is not None else process.signer,
        reviewers=reviewers,
        kind=kind,
        corrects=process,
    )


def outgoing_replace(
    *,
    actor: Any,
    process: OutgoingProcess,
    file: IncomingFile,
    metadata: Mapping[str, Any] | None = None,
    signer: Any = None,
    reviewers: Sequence[Any] = (),
) -> OutgoingProcess:
    """A content error: a new document replaces the sent one (Art. 18). It is a new outgoing
    process of kind REPLACEMENT that `corrects` the old one and goes round the same circuit
    (review, signature, number, seal, dispatch); the old one is kept, never edited."""
    return _correction(
        actor=actor,
        process=process,
        file=file,
        metadata=metadata,
        signer=signer,
        reviewers=reviewers,
        kind=OutgoingKind.REPLACEMENT,
        states=frozenset({OutgoingState.DISPATCHED, OutgoingState.RECALLED}),
        message=_("Only a sent or recalled document can be replaced."),
        defaults={},
    )


def outgoing_errata(
    *,
    actor: Any,
    process: OutgoingProcess,
    file: IncomingFile,
    metadata: Mapping[str, Any] | None = None,
    signer: Any = None,
    reviewers: Sequence[Any] = (),
) -> OutgoingProcess:
    """A format error: an errata letter (công văn đính chính, Art. 18) that corrects the sent
    document; a new outgoing process of kind ERRATA through the same circuit."""
    notation = process.document.notation or process.document.number
    return _correction(
        actor=actor,
        process=process,
        file=file,
        metadata=metadata,
        signer=signer,
        reviewers=reviewers,
        kind=OutgoingKind.ERRATA,
        states=frozenset({OutgoingState.DISPATCHED}),
        message=_("Only a sent document can be corrected by an errata letter."),
        # The subject is the document's own text, in Vietnamese whatever the UI language.
        defaults={"doc_type": "cong_van", "subject": f"V/v đính chính văn bản số {notation}"},
    )


@transaction.atomic(durable=True)
def outgoing_recall(*, actor: Any, process: OutgoingProcess, reason: str) -> OutgoingProcess:
    """Recall a sent document (Art. 18), a decision of the unit's leader. The clerks of every
    internal recipient are told to delete it and confirm; external sends not yet made are
    cancelled, those made are marked for a recall message by the exchange capability."""
    policy.require(actor, Action.OFFICE_INSTRUCT, process.unit)
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for the recall.")
        raise ValidationFailed(message, field_errors={"reason": [message]})
    locked = _lock(process)
    _require_state(locked, {OutgoingState.DISPATCHED}, _("Only a sent document can be recalled."))
    before = _snapshot(locked)
    locked.state = OutgoingState.RECALLED
    locked.recalled_at = clock.now()
    locked.recall_reason = reason
    locked.save(update_fields=["state", "recalled_at", "recall_reason", "updated_at"])
    sent_out = list(locked.external_dispatches.exclude(state="cancelled"))
    sender = hooks.external_sender()
    if sent_out and sender is not None:
        # The recipients' nodes are told to revoke it (edXML business type "revoke").
        sender.recall(actor=actor, process=locked, dispatches=sent_out, reason=reason)
    locked.external_dispatches.exclude(state="cancelled").update(state="recall_requested")
    units = []
    notation = locked.document.notation or locked.document.subject[:80]
    for delivery in locked.deliveries.select_related("unit"):
        units.append(delivery.unit.code)
        notify_clerks(
            delivery.unit,
            _(
                "Document %(notation)s was recalled by its sender: delete it and confirm. Reason: %(reason)s"
            )
            % {"notation": notation, "reason": reason[:200]},
            _link(locked),
        )
    _record(
        actor=actor,
        action="office.outgoing_recalled",
        process=locked,
        before=before,
        data={"reason": reason[:500], "internal": units},
    )
    return locked


@transaction.atomic(durable=True)
def outgoing_recall_confirm(
    *, actor: Any, process: OutgoingProcess, unit: Unit
) -> OutgoingDelivery:
    """A recipient unit's clerk confirms that the recalled document was deleted there."""
    policy.require(actor, Action.OFFICE_CLERK, unit)
    locked = _lock(process)
    delivery = for_update(OutgoingDelivery.objects).filter(process=locked, unit=unit).first()
    if delivery is None:
        raise NotFound(_("This document was not sent to that unit."))
    _require_state(locked, {OutgoingState.RECALLED}, _("This document has not been recalled."))
    if delivery.recall_confirmed_at is not None:
        raise Conflict(_("The deletion was already confirmed for this unit."))
    delivery.recall_confirmed_at = clock.now()
    delivery.recall_confirmed_by = actor
    delivery.save(update_fields=["recall_confirmed_at", "recall_confirmed_by", "updated_at"])
    if delivery.incoming is not None:
        incoming_recalled_nondurable(
            actor=actor, process=delivery.incoming, sender_notation=locked.document.notation
        )
    notify(
        user=locked.drafter,
        message=str(
            _("%(unit)s confirmed the deletion of the recalled document %(notation)s.")
            % {"unit": unit.display_name, "notation": locked.document.notation}
        ),
        link=_link(locked),
    )
    _record(
        actor=actor,
        action="office.outgoing_recall_confirmed",
        process=locked,
        before=None,
        unit=unit,
        data={"recipient": unit.code},
    )
    return delivery
