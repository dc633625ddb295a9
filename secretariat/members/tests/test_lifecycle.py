"""Status derivation over event sequences (pure, no database): every valid path gives the right
status, unit and dates; every invalid one is refused with a message naming the problem."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.core.errors import ValidationFailed
from secretariat.members.choices import EventKind as K
from secretariat.members.choices import Status
from secretariat.members.lifecycle import EventFact, add_months, derive, years_between

D = dt.date
CELL, OTHER, THIRD = "cell", "other-cell", "third-cell"
BIRTH = D(1990, 1, 1)


def ev(kind: str, on: dt.date, **kwargs: Any) -> EventFact:
    kwargs.setdefault("confirmed", True)
    return EventFact(kind=kind, effective_on=on, **kwargs)


def run(*events: EventFact, birth: dt.date | None = BIRTH, as_of: dt.date | None = None) -> Any:
    sequenced = [EventFact(**{**e.__dict__, "sequence": i}) for i, e in enumerate(events)]
    return derive(sequenced, initial_unit_id=CELL, birth_date=birth, as_of=as_of)


ADMIT = ev(K.ADMISSION, D(2020, 3, 1))
OFFICIAL = ev(K.OFFICIAL, D(2021, 3, 1))


def test_no_event_means_unrecorded() -> None:
    standing = run()
    assert standing.status == Status.UNRECORDED
    assert standing.unit_id == CELL


def test_candidate_admission_official() -> None:
    standing = run(ev(K.CANDIDATE, D(2019, 6, 1)), ADMIT)
    assert standing.status == Status.PROBATIONARY
    assert standing.admitted_on == D(2020, 3, 1)
    assert standing.probation_ends_on == D(2021, 3, 1)
    assert standing.party_age_from == D(2020, 3, 1)
    standing = run(ev(K.CANDIDATE, D(2019, 6, 1)), ADMIT, OFFICIAL)
    assert standing.status == Status.OFFICIAL
    assert standing.official_on == D(2021, 3, 1)
    assert standing.status_since == D(2021, 3, 1)


def test_admission_sets_the_admitting_cell() -> None:
    standing = run(ev(K.ADMISSION, D(2020, 3, 1), to_unit_id=OTHER))
    assert standing.unit_id == OTHER
    assert standing.admitting_unit_id == OTHER


def test_probation_of_a_leap_day_ends_on_28_february() -> None:
    assert add_months(D(2020, 2, 29), 12) == D(2021, 2, 28)
    assert run(ev(K.ADMISSION, D(2020, 2, 29))).probation_ends_on == D(2021, 2, 28)


def test_events_are_replayed_in_date_order() -> None:
    standing = run(OFFICIAL, ADMIT)  # recorded late, in the wrong order
    assert standing.status == Status.OFFICIAL


def test_as_of_ignores_later_events() -> None:
    assert run(ADMIT, OFFICIAL, as_of=D(2020, 12, 31)).status == Status.PROBATIONARY


def test_internal_transfer_waits_for_confirmation() -> None:
    pending = ev(K.TRANSFER_OFFICIAL, D(2022, 1, 1), to_unit_id=OTHER, confirmed=False)
    standing = run(ADMIT, OFFICIAL, pending)
    assert standing.unit_id == CELL
    assert standing.pending_transfer is not None
    standing = run(ADMIT, OFFICIAL, ev(K.TRANSFER_OFFICIAL, D(2022, 1, 1), to_unit_id=OTHER))
    assert standing.unit_id == OTHER
    assert standing.pending_transfer is None
    assert standing.status == Status.OFFICIAL


def test_transfer_out_pending_then_confirmed() -> None:
    out = ev(
        K.TRANSFER_OUT, D(2022, 1, 1), external_destination="Tỉnh ủy Khánh Hòa", confirmed=False
    )
    standing = run(ADMIT, OFFICIAL, out)
    assert standing.status == Status.OFFICIAL
    assert standing.pending_transfer is not None
    done = ev(K.TRANSFER_OUT, D(2022, 1, 1), external_destination="Tỉnh ủy Khánh Hòa")
    standing = run(ADMIT, OFFICIAL, done)
    assert standing.status == Status.TRANSFERRED_OUT
    back = ev(K.TRANSFER_IN, D(2023, 1, 1), to_unit_id=THIRD)
    standing = run(ADMIT, OFFICIAL, done, back)
    assert standing.status == Status.OFFICIAL
    assert standing.unit_id == THIRD


def test_temporary_transfer_and_its_end() -> None:
    temporary = ev(K.TRANSFER_TEMPORARY, D(2022, 1, 1), external_destination="Hà Nội")
    standing = run(ADMIT, temporary)
    assert standing.temporary_external == "Hà Nội"
    assert standing.unit_id == CELL
    assert standing.status == Status.PROBATIONARY
    standing = run(ADMIT, temporary, ev(K.TEMPORARY_END, D(2022, 6, 1)))
    assert not standing.is_temporarily_elsewhere


def test_exemption_and_its_end() -> None:
    standing = run(ADMIT, OFFICIAL, ev(K.EXEMPTION, D(2022, 1, 1)))
    assert standing.exempted
    assert standing.status == Status.OFFICIAL  # still counted as an official member
    standing = run(
        ADMIT, OFFICIAL, ev(K.EXEMPTION, D(2022, 1, 1)), ev(K.EXEMPTION_END, D(2023, 1, 1))
    )
    assert not standing.exempted


@pytest.mark.parametrize(
    ("kind", "status"),
    [(K.LEAVING, Status.LEFT), (K.REMOVAL, Status.REMOVED), (K.EXPULSION, Status.EXPELLED)],
)
def test_exits_end_the_membership(kind: str, status: str) -> None:
    standing = run(ADMIT, OFFICIAL, ev(K.EXEMPTION, D(2021, 6, 1)), ev(kind, D(2022, 5, 1)))
    assert standing.status == status
    assert standing.ended_on == D(2022, 5, 1)
    assert not standing.exempted


def test_restoration_brings_back_the_previous_standing_without_a_gap() -> None:
    standing = run(
        ADMIT, OFFICIAL, ev(K.EXPULSION, D(2022, 5, 1)), ev(K.RESTORATION, D(2023, 5, 1))
    )
    assert standing.status == Status.OFFICIAL
    assert standing.ended_on is None
    assert standing.party_age_from == D(2020, 3, 1)


def test_readmission_starts_a_new_probation_and_skips_the_time_outside() -> None:
    standing = run(ADMIT, OFFICIAL, ev(K.LEAVING, D(2022, 3, 1)), ev(K.READMISSION, D(2024, 3, 1)))
    assert standing.status == Status.PROBATIONARY
    assert standing.admitted_on == D(2024, 3, 1)
    assert standing.first_admitted_on == D(2020, 3, 1)
    assert standing.probation_ends_on == D(2025, 3, 1)
    # Two years outside the Party do not count: the Party age starts two years later.
    assert standing.party_age_from == D(2020, 3, 1) + (D(2024, 3, 1) - D(2022, 3, 1))
    # 2 years in, 2 years out, 2 years in again: 4 years of Party age (counted in days).
    assert years_between(standing.party_age_from, D(2026, 3, 2)) == 4
    assert years_between(standing.party_age_from, D(2026, 2, 28)) == 3


def test_death_after_membership() -> None:
    standing = run(ADMIT, OFFICIAL, ev(K.DEATH, D(2024, 1, 1)))
    assert standing.status == Status.DECEASED
    assert standing.ended_on == D(2024, 1, 1)


REMOVED = (ADMIT, OFFICIAL, ev(K.REMOVAL, D(2022, 1, 1)))
EXPELLED = (ADMIT, OFFICIAL, ev(K.EXPULSION, D(2022, 1, 1)))
DEAD = (ADMIT, OFFICIAL, ev(K.DEATH, D(2022, 1, 1)))
TO_OTHER = {"to_unit_id": OTHER}


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ((ev(K.OFFICIAL, D(2021, 3, 1)),), "before admission"),
        ((ev(K.CANDIDATE, D(2019, 1, 1)), ev(K.OFFICIAL, D(2021, 3, 1))), "before admission"),
        ((ADMIT, ev(K.OFFICIAL, D(2021, 2, 28))), "before the probation ends on 01/03/2021"),
        ((ADMIT, OFFICIAL, ev(K.OFFICIAL, D(2021, 6, 1))), "already an official member"),
        ((ADMIT, ev(K.ADMISSION, D(2020, 6, 1))), "second admission"),
        ((*REMOVED, ev(K.ADMISSION, D(2023, 1, 1))), "record a re-admission"),
        ((*REMOVED, ev(K.TRANSFER_OFFICIAL, D(2023, 1, 1), **TO_OTHER)), "cannot be transferred"),
        (
            (*EXPELLED, ev(K.TRANSFER_OUT, D(2023, 1, 1), external_destination="X")),
            "cannot be transferred",
        ),
        ((*DEAD, ev(K.TRANSFER_WITHIN, D(2023, 1, 1), **TO_OTHER)), "death"),
        ((*DEAD, ev(K.RESTORATION, D(2023, 1, 1))), "No event can follow the member's death"),
        ((*DEAD, ev(K.DEATH, D(2023, 1, 1))), "death"),
        ((ADMIT, OFFICIAL, ev(K.RESTORATION, D(2023, 1, 1))), "Only a removed or expelled member"),
        (
            (ADMIT, OFFICIAL, ev(K.LEAVING, D(2022, 1, 1)), ev(K.RESTORATION, D(2023, 1, 1))),
            "Only a removed or expelled member",
        ),
        ((*EXPELLED, ev(K.READMISSION, D(2023, 1, 1))), "cannot be re-admitted"),
        ((ADMIT, ev(K.READMISSION, D(2023, 1, 1))), "Only a former member"),
        ((ev(K.TRANSFER_OFFICIAL, D(2020, 1, 1), **TO_OTHER),), "cannot be transferred"),
        ((ADMIT, ev(K.TRANSFER_OFFICIAL, D(2020, 6, 1))), "Choose the receiving unit"),
        ((ADMIT, ev(K.TRANSFER_OFFICIAL, D(2020, 6, 1), to_unit_id=CELL)), "already belongs"),
        ((ADMIT, ev(K.TRANSFER_OUT, D(2020, 6, 1))), "destination outside this node"),
        (
            (
                ADMIT,
                ev(K.TRANSFER_OFFICIAL, D(2020, 6, 1), to_unit_id=OTHER, confirmed=False),
                ev(K.TRANSFER_WITHIN, D(2020, 7, 1), to_unit_id=THIRD),
            ),
            "still awaiting confirmation",
        ),
        ((ADMIT, ev(K.TEMPORARY_END, D(2020, 6, 1))), "not active elsewhere"),
        ((ADMIT, ev(K.EXEMPTION_END, D(2020, 6, 1))), "not exempted"),
        (
            (ADMIT, ev(K.EXEMPTION, D(2020, 6, 1)), ev(K.EXEMPTION, D(2020, 7, 1))),
            "already exempted",
        ),
        ((ev(K.EXEMPTION, D(2020, 6, 1)),), "cannot be exempted"),
        ((ev(K.LEAVING, D(2020, 6, 1)),), "not a Party member here"),
        ((*REMOVED, ev(K.REMOVAL, D(2023, 1, 1))), "not a Party member here"),
        ((ADMIT, ev(K.TRANSFER_IN, D(2021, 1, 1), **TO_OTHER)), "Only a member transferred out"),
        ((ADMIT, ev(K.CANDIDATE, D(2021, 1, 1))), "already a Party member"),
        ((ev(K.CANDIDATE, D(2019, 1, 1)), ev(K.CANDIDATE, D(2019, 2, 1))), "already a candidate"),
        ((ev(K.ADMISSION, D(2007, 1, 1)),), "18 years old"),
        ((ev(K.ADMISSION, D(1989, 1, 1)),), "before the member's birth"),
    ],
)
def test_invalid_sequences_are_refused(events: tuple[EventFact, ...], message: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        run(*events)
    assert message in str(failure.value)
    # The message names the date of the offending event.
    assert failure.value.field_errors["kind"]
    assert "/" in str(failure.value).split("—")[0]


def test_the_error_names_the_offending_event() -> None:
    with pytest.raises(ValidationFailed) as failure:
        run(*REMOVED, ev(K.TRANSFER_OFFICIAL, D(2023, 4, 5), **TO_OTHER))
    assert str(failure.value).startswith("05/04/2023 — Official transfer of Party activity:")
