"""Registers (sổ đăng ký) and official numbering: the only code that gives numbers.

Rules (Decree 30/2020/NĐ-CP):

* Art. 15: numbers run per register from 01 on 1 January to 31 December; number and notation are
  unique in the year; **confidential documents have a separate series** (`secret=True`); numbers
  of electronic documents are given by the system.
* Art. 22: incoming documents get a sequential incoming number (số đến) in the year; the
  document keeps the sender's number and notation.
* Art. 14: an outgoing document is given its number and date, then registered.

A register is one unit's book for one year, kind (incoming, outgoing, internal) and series
(normal or secret). Numbers are gap-free and race-free: the register row is locked
(`SELECT … FOR UPDATE` on PostgreSQL; on SQLite every write transaction is IMMEDIATE, see
settings, so writers are already serialized) and `last_number` is raised in the same transaction
as the entry insert — a failed registration rolls both back, so no number is lost.

Lock order, to stay free of deadlocks: document → register → audit chain (the audit log's own
lock is taken by the first `audit.record` of a transaction). Callers that compose
`register_document` into a larger transaction should call it before their own audited writes.

Notation (số, ký hiệu) from the register's `notation_pattern` — placeholders `{number}`,
`{type}`, `{unit}`, `{year}`:

* Party form (HD 36-HD/VPTW, [unverified]) `{number}-{type}/{unit}` → `125-QĐ/TU`, default for
  every unit of this platform (all are Party bodies). `{type}` is the type's Party abbreviation.
* State form (Decree 30, Appendix I) `{number}/{type}-{unit}` → `12/QĐ-UBND`; with the year
  `{number}/{year}/{type}-{unit}` → `05/2026/NQ-HĐND`. `{type}` is the State abbreviation.
* The form is read from the pattern: a hyphen right after `{number}` means the Party form.
* A type without abbreviation in the form used (Công văn in the State form; Thư công) drops
  `{type}` together with the separator after it: `{number}/{type}-{unit}` → `12/UBND`.
  (The drafting unit's suffix in `12/UBND-VP` is not modelled in the notation.)
* Numbers below 10 are written with a leading zero (`05`), as Decree 30 Appendix I asks.

Columns of the printed register (Appendix IV) that are not the document's own metadata are kept
on the entry, as the names of the time: the drafting unit and the keeper of the file copy are
written when an outgoing document is registered (`_drafting_columns`); the office writes the date
sent when it dispatches (`entry_record_sent`) and the receiving unit or person when the leader
instructs (`entry_record_handling`). The office calls these; they never call the office.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.models import Position
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.orgs.models import Unit

from . import hooks
from .models import (
    Confidentiality,
    Document,
    DocumentType,
    Register,
    RegisterEntry,
    RegisterKind,
    Urgency,
)

FieldErrors = dict[str, list[str | Promise]]

PARTY_PATTERN = "{number}-{type}/{unit}"
STATE_PATTERN = "{number}/{type}-{unit}"
STATE_PATTERN_WITH_YEAR = "{number}/{year}/{type}-{unit}"
PLACEHOLDERS = frozenset({"number", "type", "unit", "year"})

# Stored in place of a subject the clerk withholds; shown translated (`display_subject`).
WITHHELD_SUBJECT = "(confidential)"

# Kinds whose registration gives the document its own number and notation (Art. 14); incoming
# documents keep the sender's (Art. 22).
ISSUING_KINDS = frozenset({RegisterKind.OUTGOING, RegisterKind.INTERNAL})

# The register's name is the legal name of the book, in Vietnamese whatever the UI language.
_REGISTER_NAMES = {
    (RegisterKind.INCOMING, False): "Sổ đăng ký văn bản đến",
    (RegisterKind.OUTGOING, False): "Sổ đăng ký văn bản đi",
    (RegisterKind.INTERNAL, False): "Sổ đăng ký văn bản nội bộ",
    (RegisterKind.INCOMING, True): "Sổ đăng ký văn bản mật đến",
    (RegisterKind.OUTGOING, True): "Sổ đăng ký văn bản mật đi",
    (RegisterKind.INTERNAL, True): "Sổ đăng ký văn bản mật nội bộ",
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# --- Notation ---------------------------------------------------------------------------------


def default_notation_pattern(unit: Unit) -> str:
    """The pattern a new register of `unit` starts with. Every unit of this platform is a Party
    body (committee, cell, board, office), so the Party form; a register may be changed to the
    State form by an administrator."""
    return PARTY_PATTERN


def is_party_pattern(pattern: str) -> bool:
    """The Party form writes a hyphen after the number (`125-QĐ/TU`), the State form a slash."""
    return "{number}-" in pattern


def pattern_errors(pattern: str) -> list[str | Promise]:
    """Problems of a notation pattern; empty when it can be used."""
    names = set(_PLACEHOLDER.findall(pattern))
    problems: list[str | Promise] = []
    if "number" not in names:
        problems.append(_("The pattern must contain {number}."))
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        problems.append(_("Unknown placeholder(s): %(names)s.") % {"names": ", ".join(unknown)})
    return problems


def format_number(number: int) -> str:
    """`5` → `05`: Decree 30 Appendix I writes numbers below 10 with a leading zero."""
    return f"{number:02d}"


def format_notation(
    *, pattern: str, number: int, doc_type: DocumentType | None, unit: Unit, year: int
) -> str:
    """The number and notation of a document, e.g. `125-QĐ/TU` (rules in the module doc)."""
    if doc_type is None:
        abbreviation = ""
    elif is_party_pattern(pattern):
        abbreviation = doc_type.party_abbreviation
    else:
        abbreviation = doc_type.state_abbreviation
    if not abbreviation:
        # Công văn in the State form is `12/UBND`: the type and its separator disappear.
        pattern = re.sub(r"\{type\}[-/]?", "", pattern, count=1)
    values = {
        "number": format_number(number),
        "type": abbreviation,
        "unit": unit.abbreviation,
        "year": str(year),
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), pattern)


def display_subject(document: Document) -> str:
    """The subject as shown: a withheld confidential subject reads in the user's language."""
    if document.subject == WITHHELD_SUBJECT:
        return str(_("(confidential)"))
    return document.subject


# --- Registers --------------------------------------------------------------------------------


def _register_snapshot(register: Register) -> dict[str, Any]:
    return {
        "unit": str(register.unit_id),
        "year": register.year,
        "kind": register.kind,
        "secret": register.secret,
        "name": register.name,
        "notation_pattern": register.notation_pattern,
    }


def _check_kind(kind: str) -> None:
    if kind not in RegisterKind.values:
        raise ValidationFailed(
            _("Unknown kind of register."),
            field_errors={"kind": [_("Unknown kind of register: “%(kind)s”.") % {"kind": kind}]},
        )


def _get_or_create(*, unit: Unit, year: int, kind: str, secret: bool) -> tuple[Register, bool]:
    """The register, created when missing; race-safe through the unique constraint."""
    lookup = {"unit": unit, "year": year, "kind": kind, "secret": secret}
    existing = Register.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        # A savepoint: losing the race must not break the caller's transaction.
        with transaction.atomic():
            return (
                Register.objects.create(
                    **lookup,
                    name=_REGISTER_NAMES[(RegisterKind(kind), secret)],
                    notation_pattern=default_notation_pattern(unit),
                ),
                True,
            )
    except IntegrityError:
        # Another transaction created it first and has committed (its insert held ours until
        # then): read its row.
        return Register.objects.get(**lookup), False


def _audit_opened(register: Register) -> None:
    audit.record(
        actor=None,
        action="documents.register_opened",
        unit=register.unit,
        obj=register,
        after=_register_snapshot(register),
        data={"name": register.name, "year": register.year, "secret": register.secret},
    )


def register_for(*, unit: Unit, year: int, kind: str, secret: bool = False) -> Register:
    """The unit's register for `year`, `kind` and series, opened (by the system) when missing.

    Unique per (unit, year, kind, secret): the database constraint decides a race, the loser
    reads the winner's row. The caller checks the user's rights on `unit`.
    """
    _check_kind(kind)
    if not 1900 <= year <= 9999:
        raise ValidationFailed(_("Invalid year."), field_errors={"year": [_("Invalid year.")]})
    with transaction.atomic():
        register, created = _get_or_create(unit=unit, year=year, kind=kind, secret=secret)
        if created:
            _audit_opened(register)
    return register


@dataclass(frozen=True)
class _Numbered:
    register: Register
    number: int
    opened: bool


def _take_number(*, unit: Unit, year: int, kind: str, secret: bool) -> _Numbered:
    """Lock the register and raise its counter. Must run inside the registration's transaction:
    the counter and the entry commit or roll back together (no gap, no duplicate)."""
    register, opened = _get_or_create(unit=unit, year=year, kind=kind, secret=secret)
    locked = for_update(Register.objects).get(pk=register.pk)
    number = locked.last_number + 1
    Register.objects.filter(pk=locked.pk).update(last_number=number)
    locked.last_number = number
    return _Numbered(register=locked, number=number, opened=opened)


def _entry_snapshot(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "register": str(entry.register_id),
        "number": entry.number,
        "registered_on": entry.registered_on.isoformat(),
        "document": str(entry.document_id),
        "notation": entry.notation,
    }


def _person_name(user: Any) -> str:
    return str(getattr(user, "full_name", "") or user.username)


def _drafting_columns(document: Document, on: dt.date) -> tuple[str, str]:
    """(drafting unit, keeper of the file copy) of an outgoing document, for the register.

    The drafter is the person who captured the draft; the drafting unit is the unit of their
    post inside the document's unit (a department of the office: the most specific one, the
    primary post first), else the document's unit. The drafter keeps the copy for the work file
    (hồ sơ công việc) while the original stays with the records office (Decree 30 Art. 14, 19
    [unverified])."""
    unit = document.unit
    drafter = document.created_by
    if drafter is None:
        return unit.name, ""
    post = (
        Position.objects.filter(user=drafter, unit__path__startswith=unit.path)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))
        .select_related("unit")
        .order_by("-is_primary", "-unit__depth", "created_at")
        .first()
    )
    return (post.unit.name if post is not None else unit.name), _person_name(drafter)


def _register_locked(
    *, actor: Any | None, document: Document, kind: str, on: dt.date, drafted: bool = True
) -> RegisterEntry:
    """The registration itself; the caller holds a transaction and has locked the document.
    `drafted`: the document was drafted on the platform by its creator (not typed in by the
    clerk), so its creator is the drafter for the register's columns."""
    secret = document.confidentiality != Confidentiality.NORMAL
    # The register lock serializes registrations of the same register; the document lock (taken
    # by the caller) those of the same document in different registers (years, series).
    if RegisterEntry.objects.filter(document=document, register__kind=kind).exists():
        raise Conflict(
            _("This document is already registered in the %(kind)s register.")
            % {"kind": RegisterKind(kind).label}
        )
    issuing = kind in ISSUING_KINDS
    if issuing and document.doc_type_id is None:
        message = _("The document type is needed to give an outgoing number and notation.")
        raise ValidationFailed(message, field_errors={"doc_type": [message]})

    taken = _take_number(unit=document.unit, year=on.year, kind=kind, secret=secret)
    register = taken.register
    before = {"number": document.number, "notation": document.notation}
    if issuing:
        # Art. 14: the register gives the outgoing document its number, notation and date.
        document.number = format_number(taken.number)
        document.notation = format_notation(
            pattern=register.notation_pattern or default_notation_pattern(document.unit),
            number=taken.number,
            doc_type=document.doc_type,
            unit=document.unit,
            year=on.year,
        )
        if document.issued_on is None:
            document.issued_on = on
        document.save(update_fields=["number", "notation", "issued_on", "updated_at"])
        notation = document.notation
    else:
        # Art. 22: the incoming number is the entry's; the sender's notation stays as it is.
        notation = document.notation or document.number
    drafting_unit, copy_keeper = (
        _drafting_columns(document, on) if issuing and drafted else ("", "")
    )
    entry = RegisterEntry.objects.create(
        register=register,
        number=taken.number,
        registered_on=on,
        document=document,
        notation=notation,
        registered_by=actor,
        drafting_unit=drafting_unit,
        copy_keeper=copy_keeper,
    )
    if taken.opened:
        _audit_opened(register)
    audit.record(
        actor=actor,
        action="documents.document_registered",
        unit=document.unit,
        obj=entry,
        before=before,
        after=_entry_snapshot(entry),
        data={
            "register": str(register),
            "kind": kind,
            "secret": secret,
            "number": taken.number,
            "notation": notation,
        },
    )
    return entry


def register_document(
    *, actor: Any | None, document: Document, kind: str, on: dt.date | None = None
) -> RegisterEntry:
    """Register `document` in its unit's `kind` register of the year of `on` (default: today in
    Asia/Ho_Chi_Minh) and return the entry with its number.

    A confidential document goes to the secret series (Art. 15). Outgoing and internal
    registration writes the document's number, notation and date (Art. 14); incoming keeps the
    sender's (Art. 22). A document is registered at most once per kind (`Conflict`).

    Not durable on purpose: the capture pipeline (ingest) registers a document in the same
    transaction that stores it, so both exist or neither does.
    """
    _check_kind(kind)
    if actor is not None:
        policy.require(actor, Action.REGISTERS_MANAGE, document.unit)
    registered_on = on or clock.today()
    with transaction.atomic():
        # Only the document row: the type and unit are read, not locked (and the type's outer
        # join cannot be locked on PostgreSQL).
        locked = for_update(Document.objects, of=("self",)).select_related("unit", "doc_type")
        current = locked.get(pk=document.pk)
        entry = _register_locked(actor=actor, document=current, kind=kind, on=registered_on)
        # Higher layers (the office's incoming processing) act on the registration in its
        # transaction: both exist or neither does (see hooks.py).
        for hook in hooks.registration_hooks():
            hook.on_registered(actor=actor, document=current, entry=entry, kind=kind)
    # The caller's object reflects what was written.
    document.number, document.notation = current.number, current.notation
    document.issued_on = current.issued_on
    return entry


@dataclass(frozen=True)
class ConfidentialMetadata:
    """What the clerk types for a confidential document (it never enters as a file)."""

    confidentiality: str
    issued_on: dt.date | None = None
    issuing_body: str = ""
    # Incoming: the sender's number and notation (required). Outgoing and internal: given by
    # the secret series, so left empty.
    notation: str = ""
    subject: str = ""  # may be withheld: stored as WITHHELD_SUBJECT
    doc_type: DocumentType | None = None
    urgency: str = Urgency.NORMAL
    signer_name: str = ""
    recipients: str = ""
    copies: int | None = None
    due_on: dt.date | None = None


def confidential_errors(*, kind: str, metadata: ConfidentialMetadata) -> FieldErrors:
    """The problems of a confidential entry's input; empty when valid."""
    errors: FieldErrors = {}

    def add(field: str, message: str | Promise) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in RegisterKind.values:
        add("kind", _("Unknown kind of register: “%(kind)s”.") % {"kind": kind})
    if metadata.confidentiality == Confidentiality.NORMAL:
        add(
            "confidentiality",
            _("A normal document is captured as a file, not entered here (Decree 30 Art. 15)."),
        )
    elif metadata.confidentiality not in Confidentiality.values:
        add("confidentiality", _("Unknown confidentiality level."))
    if metadata.urgency not in Urgency.values:
        add("urgency", _("Unknown urgency."))
    if kind == RegisterKind.INCOMING and not metadata.notation.strip():
        add("notation", _("Give the sender's number and notation."))
    if kind in ISSUING_KINDS:
        if metadata.notation.strip():
            add(
                "notation",
                _("The number and notation of an outgoing document are given by the register."),
            )
        if metadata.doc_type is None:
            add(
                "doc_type",
                _("The document type is needed to give an outgoing number and notation."),
            )
    for field, value, limit in (
        ("notation", metadata.notation, 60),
        ("issuing_body", metadata.issuing_body, 255),
        ("signer_name", metadata.signer_name, 150),
    ):
        if len(value) > limit:
            add(field, _("At most %(limit)d characters.") % {"limit": limit})
    if metadata.copies is not None and metadata.copies < 0:
        add("copies", _("Must not be negative."))
    return errors


def register_confidential(
    *, actor: Any | None, unit: Unit, kind: str, metadata: ConfidentialMetadata
) -> RegisterEntry:
    """Enter a confidential document (Mật, Tối mật, Tuyệt mật): a Document without any
    version — only what the clerk types — registered in the unit's separate secret series
    (Art. 15). `Confidentiality.NORMAL` is refused."""
    if actor is not None:
        policy.require(actor, Action.REGISTERS_MANAGE, unit)
    errors = confidential_errors(kind=kind, metadata=metadata)
    if errors:
        raise ValidationFailed(_("The confidential entry was not saved."), field_errors=errors)
    registered_on = clock.today()
    with transaction.atomic(durable=True):
        document = Document.objects.create(
            unit=unit,
            subject=metadata.subject.strip() or WITHHELD_SUBJECT,
            doc_type=metadata.doc_type,
            issuing_body=metadata.issuing_body.strip(),
            notation=metadata.notation.strip(),
            issued_on=metadata.issued_on,
            confidentiality=metadata.confidentiality,
            urgency=metadata.urgency,
            signer_name=metadata.signer_name.strip(),
            recipients=metadata.recipients.strip(),
            copies=metadata.copies,
            due_on=metadata.due_on,
            created_by=actor,
        )
        # Nobody else can see the new document yet: no need to lock it. The clerk types the
        # entry: they are not its drafter, so the drafting columns stay empty.
        return _register_locked(
            actor=actor, document=document, kind=kind, on=registered_on, drafted=False
        )


# --- Columns written after registration (by the office) ----------------------------------------


def _entry_columns(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "drafting_unit": entry.drafting_unit,
        "copy_keeper": entry.copy_keeper,
        "sent_on": entry.sent_on.isoformat() if entry.sent_on else None,
        "handled_by": entry.handled_by,
    }


def entry_record_handling(
    *, actor: Any | None, entry: RegisterEntry, unit: Unit, people: Sequence[Any] = ()
) -> RegisterEntry:
    """Write the incoming register's "receiving unit or person" column: the lead unit and the
    people named by the leader's instruction (Art. 23), e.g. `Văn phòng: Trần Thị Chuyên`.
    A later instruction replaces it.

    Not durable: the office calls it inside the transaction that records the instruction, after
    checking the leader's rights (a leader instructs without managing the register)."""
    if entry.register.kind != RegisterKind.INCOMING:
        raise Conflict(_("Only an incoming register has a receiving unit or person."))
    names = ", ".join(_person_name(person) for person in people)
    text = f"{unit.name}: {names}" if names else unit.name
    with transaction.atomic():
        locked = for_update(RegisterEntry.objects, of=("self",)).get(pk=entry.pk)
        before = _entry_columns(locked)
        locked.handled_by = text[:500]
        locked.save(update_fields=["handled_by", "updated_at"])
        audit.record(
            actor=actor,
            action="documents.entry_handling_recorded",
            unit=entry.register.unit,
            obj=locked,
            before=before,
            after=_entry_columns(locked),
            data={"unit": unit.code, "people": [getattr(p, "username", "") for p in people]},
        )
    entry.handled_by = locked.handled_by
    return locked


def entry_record_sent(
    *, actor: Any | None, entry: RegisterEntry, on: dt.date | None = None
) -> RegisterEntry:
    """Write the outgoing register's "date sent" column (default: today in Asia/Ho_Chi_Minh).
    The first dispatch counts: a date already written is kept (the register is a record of what
    happened, not rewritten).

    Not durable: the office calls it inside the transaction that dispatches the document, after
    checking the clerk's rights."""
    if entry.register.kind not in ISSUING_KINDS:
        raise Conflict(_("Only an outgoing or internal register has a date sent."))
    sent_on = on or clock.today()
    with transaction.atomic():
        locked = for_update(RegisterEntry.objects, of=("self",)).get(pk=entry.pk)
        if locked.sent_on is not None:
            entry.sent_on = locked.sent_on
            return locked
        before = _entry_columns(locked)
        locked.sent_on = sent_on
        locked.save(update_fields=["sent_on", "updated_at"])
        audit.record(
            actor=actor,
            action="documents.entry_sent_recorded",
            unit=entry.register.unit,
            obj=locked,
            before=before,
            after=_entry_columns(locked),
            data={"sent_on": sent_on.isoformat()},
        )
    entry.sent_on = locked.sent_on
    return locked


# --- Reading ----------------------------------------------------------------------------------


def registers_visible_to(*, user: Any, year: int | None = None) -> QuerySet[Register]:
    """The registers of the units where `user` may read registers, newest year first."""
    queryset = policy.scoped(Register.objects.select_related("unit"), user, Action.REGISTERS_VIEW)
    if year is not None:
        queryset = queryset.filter(year=year)
    return queryset.order_by("-year", "unit__path", "kind", "secret")


def register_years(*, user: Any) -> list[int]:
    """The years for which `user` sees at least one register, newest first."""
    return list(
        policy.scoped(Register.objects.all(), user, Action.REGISTERS_VIEW)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def register_get(*, user: Any, register_id: Any) -> Register:
    """One register in `user`'s scope; `NotFound` otherwise (its existence is not revealed)."""
    register = registers_visible_to(user=user).filter(pk=register_id).first()
    if register is None:
        raise NotFound(_("No such register."))
    return register


def register_entries(
    *,
    register: Register,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    before_number: int | None = None,
    limit: int = 50,
) -> tuple[list[RegisterEntry], bool]:
    """Entries newest first, at most `limit`, and whether more follow.

    Keyset pagination on the number (`before_number`), so no page ever counts the register.
    The caller has fetched `register` through `register_get` (scope checked).
    """
    queryset = RegisterEntry.objects.filter(register=register).select_related(
        "document", "document__doc_type", "registered_by"
    )
    if date_from is not None:
        queryset = queryset.filter(registered_on__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(registered_on__lte=date_to)
    if before_number is not None:
        queryset = queryset.filter(number__lt=before_number)
    rows = list(queryset.order_by("-number")[: limit + 1])
    return rows[:limit], len(rows) > limit


def entries_for_export(
    *, register: Register, date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet[RegisterEntry]:
    """Entries in register order (ascending numbers) for printing."""
    queryset = RegisterEntry.objects.filter(register=register).select_related(
        "document", "document__doc_type"
    )
    if date_from is not None:
        queryset = queryset.filter(registered_on__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(registered_on__lte=date_to)
    return queryset.order_by("number")


def confidential_units(*, user: Any) -> QuerySet[Unit]:
    """The units for which `user` may enter confidential documents."""
    return policy.units_in_scope(user, Action.REGISTERS_MANAGE).filter(active=True).order_by("path")
