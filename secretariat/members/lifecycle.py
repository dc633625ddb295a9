"""A member's standing, derived from the ordered list of life-cycle events. Pure: no database.

`derive(events, initial_unit_id=…)` replays the events in order (effective date, then the order
they were recorded in) and returns a `Standing`: the status, the current unit, the flags
(exempted, active elsewhere temporarily, a transfer awaiting confirmation) and the dates the
reports need (admission, end of probation, official membership, end of membership, the date the
Party age counts from). Any event that cannot follow the ones before it raises `ValidationFailed`
with a message that names the event's date and what is wrong. Services call this over the whole
sequence *including* the new event before they write anything, so an invalid history is never
stored; the `Member` columns they then update are a cache of the result (docs/members.md).

Rules (Party Charter Art. 4–5, 8; Quy định 24-QĐ/TW **[unverified details]**):

* admission needs no earlier membership (a second one is a re-admission) and an age of 18;
  probation lasts 12 months; official membership is recognized on or after its end;
* transfers (official, within the committee, temporary, out of the node) concern Party members
  only, one at a time; each waits for the receiving side's confirmation before it takes effect;
* leaving, removal and expulsion end a membership; restoration (phục hồi đảng tịch: the decision
  was annulled) brings back the removed or expelled member as they were, the time outside
  counted; re-admission (kết nạp lại) starts a new 12-month probation and the time outside is
  not counted in the Party age; an expelled member is restored, never re-admitted;
* nothing follows a death.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.core.errors import ValidationFailed

from .choices import (
    CONFIRMED_TRANSFERS,
    INTERNAL_TRANSFERS,
    MEMBER_STATUSES,
    EventKind,
    Status,
)

PROBATION_MONTHS = 12
MINIMUM_ADMISSION_AGE = 18


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, clamped to the end of a shorter month (29/02 + 12 → 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def years_between(start: dt.date, end: dt.date) -> int:
    """Whole years from `start` to `end` (an age, a Party age)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


@dataclass(frozen=True)
class EventFact:
    """What the derivation needs to know of one event. `sequence` orders events of the same
    effective date (the order they were recorded in); `ref` identifies the stored event."""

    kind: str
    effective_on: dt.date
    sequence: int = 0
    to_unit_id: Any = None
    from_unit_id: Any = None
    external_destination: str = ""
    confirmed: bool = False
    ref: Any = None


@dataclass
class Standing:
    """The derived state of a member. `unit_id` is the official unit (where the member is
    counted); `temporary_unit_id` / `temporary_external` say where the member is active for a
    while instead; `pending_transfer` is the transfer awaiting confirmation, if any."""

    unit_id: Any
    status: str = Status.UNRECORDED
    status_since: dt.date | None = None
    exempted: bool = False
    temporary_unit_id: Any = None
    temporary_external: str = ""
    pending_transfer: EventFact | None = None
    admitting_unit_id: Any = None
    first_admitted_on: dt.date | None = None
    admitted_on: dt.date | None = None
    probation_ends_on: dt.date | None = None
    official_on: dt.date | None = None
    ended_on: dt.date | None = None
    # The Party age counts from this date: the first admission, moved later by the time spent
    # outside the Party before a re-admission.
    party_age_from: dt.date | None = None
    # What a restoration or a return from outside the node brings back.
    status_before_exit: str = ""
    last_event_on: dt.date | None = None
    history: list[str] = field(default_factory=list)

    @property
    def is_member(self) -> bool:
        return self.status in MEMBER_STATUSES

    @property
    def is_temporarily_elsewhere(self) -> bool:
        return self.temporary_unit_id is not None or bool(self.temporary_external)


def status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def ordered(events: Iterable[EventFact]) -> list[EventFact]:
    return sorted(events, key=lambda e: (e.effective_on, e.sequence))


def derive(
    events: Iterable[EventFact],
    *,
    initial_unit_id: Any,
    birth_date: dt.date | None = None,
    as_of: dt.date | None = None,
) -> Standing:
    """Replay `events` (in any order: they are sorted here) and return the standing, as of
    `as_of` when given (later events are ignored). Raises `ValidationFailed` at the first event
    that cannot follow the ones before it."""
    standing = Standing(unit_id=initial_unit_id)
    for event in ordered(events):
        if as_of is not None and event.effective_on > as_of:
            break
        _apply(standing, event, birth_date)
        standing.last_event_on = event.effective_on
        standing.history.append(event.kind)
    return standing


def _fail(event: EventFact, problem: str | Promise) -> ValidationFailed:
    message = _("%(date)s — %(kind)s: %(problem)s") % {
        "date": event.effective_on.strftime("%d/%m/%Y"),
        "kind": _kind_label(event.kind),
        "problem": problem,
    }
    return ValidationFailed(message, field_errors={"kind": [message]})


def _kind_label(kind: str) -> str:
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return kind


def _set(s: Standing, status: str, on: dt.date) -> None:
    s.status = status
    s.status_since = on


def _clear_activity(s: Standing) -> None:
    s.exempted = False
    s.temporary_unit_id = None
    s.temporary_external = ""
    s.pending_transfer = None


def _apply(s: Standing, e: EventFact, birth_date: dt.date | None) -> None:
    if e.kind not in EventKind.values:
        raise _fail(e, _("This kind of event is unknown."))
    if s.status == Status.DECEASED:
        raise _fail(e, _("No event can follow the member's death."))
    if birth_date is not None and e.effective_on < birth_date:
        raise _fail(e, _("The event is dated before the member's birth."))
    kind = e.kind
    if kind == EventKind.CANDIDATE:
        _candidate(s, e)
    elif kind == EventKind.ADMISSION:
        _admission(s, e, birth_date)
    elif kind == EventKind.READMISSION:
        _readmission(s, e, birth_date)
    elif kind == EventKind.OFFICIAL:
        _official(s, e)
    elif kind in CONFIRMED_TRANSFERS:
        _transfer(s, e)
    elif kind == EventKind.TEMPORARY_END:
        if not s.is_temporarily_elsewhere:
            raise _fail(e, _("The member is not active elsewhere temporarily."))
        s.temporary_unit_id = None
        s.temporary_external = ""
    elif kind == EventKind.TRANSFER_IN:
        if s.status != Status.TRANSFERRED_OUT:
            raise _fail(e, _("Only a member transferred out of this node can come back in."))
        if e.to_unit_id is None:
            raise _fail(e, _("Choose the receiving unit."))
        _set(s, s.status_before_exit or Status.OFFICIAL, e.effective_on)
        s.unit_id = e.to_unit_id
    elif kind == EventKind.UNIT_REORGANIZED:
        if e.to_unit_id is None:
            raise _fail(e, _("Choose the unit the member now belongs to."))
        s.unit_id = e.to_unit_id
    elif kind in (EventKind.EXEMPTION, EventKind.EXEMPTION_END):
        _exemption(s, e)
    elif kind in (EventKind.LEAVING, EventKind.REMOVAL, EventKind.EXPULSION):
        _exit(s, e)
    elif kind == EventKind.DEATH:
        if s.status not in (Status.CANDIDATE, *MEMBER_STATUSES):
            raise _fail(
                e,
                _("The death of someone who is “%(status)s” is not recorded here.")
                % {"status": status_label(s.status)},
            )
        if s.is_member:
            s.ended_on = e.effective_on
        _clear_activity(s)
        _set(s, Status.DECEASED, e.effective_on)
    elif kind == EventKind.RESTORATION:
        _restoration(s, e)


def _candidate(s: Standing, e: EventFact) -> None:
    if s.status == Status.CANDIDATE:
        raise _fail(e, _("The person is already a candidate."))
    if s.is_member:
        raise _fail(e, _("The person is already a Party member."))
    if s.status not in (Status.UNRECORDED, Status.LEFT, Status.REMOVED):
        raise _fail(
            e,
            _("Someone who is “%(status)s” cannot be introduced as a candidate.")
            % {"status": status_label(s.status)},
        )
    _set(s, Status.CANDIDATE, e.effective_on)
    if e.to_unit_id is not None:
        s.unit_id = e.to_unit_id


def _check_age(e: EventFact, birth_date: dt.date | None) -> None:
    if birth_date is not None and years_between(birth_date, e.effective_on) < MINIMUM_ADMISSION_AGE:
        raise _fail(
            e,
            _("A person is admitted at %(age)d years old at least.")
            % {"age": MINIMUM_ADMISSION_AGE},
        )


def _start_probation(s: Standing, e: EventFact) -> None:
    _set(s, Status.PROBATIONARY, e.effective_on)
    s.admitted_on = e.effective_on
    s.probation_ends_on = add_months(e.effective_on, PROBATION_MONTHS)
    s.official_on = None
    s.ended_on = None
    s.status_before_exit = ""
    if e.to_unit_id is not None:
        s.unit_id = e.to_unit_id
    s.admitting_unit_id = e.to_unit_id if e.to_unit_id is not None else s.unit_id


def _admission(s: Standing, e: EventFact, birth_date: dt.date | None) -> None:
    if s.is_member:
        raise _fail(e, _("The person is already a Party member: a second admission is refused."))
    if s.first_admitted_on is not None:
        raise _fail(e, _("The person was a Party member before: record a re-admission."))
    if s.status not in (Status.UNRECORDED, Status.CANDIDATE):
        raise _fail(
            e,
            _("Someone who is “%(status)s” cannot be admitted.")
            % {"status": status_label(s.status)},
        )
    _check_age(e, birth_date)
    _start_probation(s, e)
    s.first_admitted_on = e.effective_on
    s.party_age_from = e.effective_on


def _readmission(s: Standing, e: EventFact, birth_date: dt.date | None) -> None:
    if s.status == Status.EXPELLED:
        raise _fail(
            e,
            _(
                "An expelled member cannot be re-admitted; if the expulsion was annulled, "
                "record a restoration."
            ),
        )
    came_back = s.status in (Status.LEFT, Status.REMOVED) or (
        s.status == Status.CANDIDATE and s.first_admitted_on is not None
    )
    if not came_back or s.ended_on is None:
        raise _fail(e, _("Only a former member who left or was removed can be re-admitted."))
    _check_age(e, birth_date)
    outside = e.effective_on - s.ended_on
    if s.party_age_from is not None:
        s.party_age_from = s.party_age_from + outside
    _start_probation(s, e)


def _official(s: Standing, e: EventFact) -> None:
    if s.status in (Status.UNRECORDED, Status.CANDIDATE):
        raise _fail(e, _("Official membership cannot be recognized before admission."))
    if s.status == Status.OFFICIAL:
        raise _fail(e, _("The member is already an official member."))
    if s.status != Status.PROBATIONARY:
        raise _fail(
            e,
            _("A member who is “%(status)s” cannot be recognized as an official member.")
            % {"status": status_label(s.status)},
        )
    assert s.probation_ends_on is not None
    if e.effective_on < s.probation_ends_on:
        raise _fail(
            e,
            _("Official membership cannot be recognized before the probation ends on %(date)s.")
            % {"date": s.probation_ends_on.strftime("%d/%m/%Y")},
        )
    _set(s, Status.OFFICIAL, e.effective_on)
    s.official_on = e.effective_on


def _transfer(s: Standing, e: EventFact) -> None:
    if not s.is_member:
        raise _fail(
            e,
            _("A person who is “%(status)s” cannot be transferred.")
            % {"status": status_label(s.status)},
        )
    if s.pending_transfer is not None:
        raise _fail(e, _("Another transfer of this member is still awaiting confirmation."))
    if e.from_unit_id is not None and e.from_unit_id != s.unit_id:
        raise _fail(e, _("The member does not belong to the unit the transfer starts from."))
    if e.kind in INTERNAL_TRANSFERS:
        if e.to_unit_id is None:
            raise _fail(e, _("Choose the receiving unit."))
        if e.to_unit_id == s.unit_id:
            raise _fail(e, _("The member already belongs to the receiving unit."))
    elif e.kind == EventKind.TRANSFER_TEMPORARY:
        if e.to_unit_id is None and not e.external_destination:
            raise _fail(e, _("Give the unit where the member will be active."))
        if s.is_temporarily_elsewhere:
            raise _fail(e, _("The member is already active elsewhere temporarily."))
        if e.to_unit_id is not None and e.to_unit_id == s.unit_id:
            raise _fail(e, _("The member already belongs to the receiving unit."))
    elif e.kind == EventKind.TRANSFER_OUT and (
        not e.external_destination or e.to_unit_id is not None
    ):
        raise _fail(e, _("Give the destination outside this node (and no unit of this node)."))
    if not e.confirmed:
        s.pending_transfer = e
        return
    if e.kind in INTERNAL_TRANSFERS:
        s.unit_id = e.to_unit_id
        s.temporary_unit_id = None
        s.temporary_external = ""
    elif e.kind == EventKind.TRANSFER_TEMPORARY:
        s.temporary_unit_id = e.to_unit_id
        s.temporary_external = e.external_destination if e.to_unit_id is None else ""
    else:
        s.status_before_exit = s.status
        _clear_activity(s)
        _set(s, Status.TRANSFERRED_OUT, e.effective_on)


def _exemption(s: Standing, e: EventFact) -> None:
    if not s.is_member:
        raise _fail(
            e,
            _("A person who is “%(status)s” cannot be exempted from activities.")
            % {"status": status_label(s.status)},
        )
    if e.kind == EventKind.EXEMPTION:
        if s.exempted:
            raise _fail(e, _("The member is already exempted from activities."))
        s.exempted = True
    else:
        if not s.exempted:
            raise _fail(e, _("The member is not exempted from activities."))
        s.exempted = False


_EXIT_STATUS = {
    EventKind.LEAVING: Status.LEFT,
    EventKind.REMOVAL: Status.REMOVED,
    EventKind.EXPULSION: Status.EXPELLED,
}


def _exit(s: Standing, e: EventFact) -> None:
    if not s.is_member:
        raise _fail(
            e,
            _("A person who is “%(status)s” is not a Party member here.")
            % {"status": status_label(s.status)},
        )
    s.status_before_exit = s.status
    _clear_activity(s)
    _set(s, _EXIT_STATUS[EventKind(e.kind)], e.effective_on)
    s.ended_on = e.effective_on


def _restoration(s: Standing, e: EventFact) -> None:
    if s.status not in (Status.REMOVED, Status.EXPELLED):
        raise _fail(
            e,
            _("Only a removed or expelled member can be restored; this person is “%(status)s”.")
            % {"status": status_label(s.status)},
        )
    _set(s, s.status_before_exit or Status.OFFICIAL, e.effective_on)
    s.status_before_exit = ""
    s.ended_on = None
    if e.to_unit_id is not None:
        s.unit_id = e.to_unit_id


def with_event(events: Iterable[EventFact], event: EventFact) -> list[EventFact]:
    """The events plus `event`, ordered."""
    return ordered([*events, event])


def confirmed(event: EventFact) -> EventFact:
    return replace(event, confirmed=True)
