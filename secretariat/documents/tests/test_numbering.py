"""Official numbering: notation formats, yearly restart, gap-free counters, one registration per
document and kind, separate secret series (Decree 30/2020/NĐ-CP Art. 14, 15, 22)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.documents import registers
from secretariat.documents.models import (
    Confidentiality,
    Document,
    DocumentType,
    Register,
    RegisterEntry,
)
from secretariat.orgs.models import Unit


def doc(unit: Unit, type_code: str | None = "quyet_dinh", **fields: Any) -> Document:
    doc_type = DocumentType.objects.get(code=type_code) if type_code else None
    fields.setdefault("subject", "Về việc kiện toàn Ban Chỉ đạo chuyển đổi số")
    return Document.objects.create(unit=unit, doc_type=doc_type, **fields)


@pytest.fixture
def clerk(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("van_thu", role="records_clerk", unit=tree["province"])


# --- Notation formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "type_code", "unit_abbreviation", "number", "expected"),
    [
        (registers.PARTY_PATTERN, "quyet_dinh", "TU", 125, "125-QĐ/TU"),
        (registers.PARTY_PATTERN, "nghi_quyet", "ĐU", 3, "03-NQ/ĐU"),
        (registers.PARTY_PATTERN, "quy_dinh", "TU", 12, "12-QĐi/TU"),
        (registers.PARTY_PATTERN, "cong_van", "VPTU", 40, "40-CV/VPTU"),
        (registers.STATE_PATTERN, "quyet_dinh", "UBND", 12, "12/QĐ-UBND"),
        (registers.STATE_PATTERN, "quy_dinh", "UBND", 12, "12/QYĐ-UBND"),
        (registers.STATE_PATTERN_WITH_YEAR, "nghi_quyet", "HĐND", 5, "05/2026/NQ-HĐND"),
        # Công văn has no type abbreviation in the State form: number / issuer.
        (registers.STATE_PATTERN, "cong_van", "UBND", 12, "12/UBND"),
    ],
)
def test_notation_formats(
    db: Any, pattern: str, type_code: str, unit_abbreviation: str, number: int, expected: str
) -> None:
    unit = Unit(name="x", kind="other", code="000.00.00.X00", abbreviation=unit_abbreviation)
    doc_type = DocumentType.objects.get(code=type_code)
    notation = registers.format_notation(
        pattern=pattern, number=number, doc_type=doc_type, unit=unit, year=2026
    )
    assert notation == expected


def test_pattern_errors_name_the_problem() -> None:
    assert registers.pattern_errors(registers.PARTY_PATTERN) == []
    assert registers.pattern_errors("{type}/{unit}")  # no number
    assert any("bogus" in str(p) for p in registers.pattern_errors("{number}-{bogus}"))


# --- Registers ----------------------------------------------------------------------------


def test_register_for_opens_one_register_per_unit_year_kind_and_series(
    tree: dict[str, Any],
) -> None:
    unit = tree["province"]
    first = registers.register_for(unit=unit, year=2026, kind="incoming")
    again = registers.register_for(unit=unit, year=2026, kind="incoming")
    secret = registers.register_for(unit=unit, year=2026, kind="incoming", secret=True)
    assert first.pk == again.pk
    assert secret.pk != first.pk
    assert str(first) == "Sổ đăng ký văn bản đến 2026"
    assert str(secret) == "Sổ đăng ký văn bản mật đến 2026"
    assert first.notation_pattern == registers.PARTY_PATTERN
    assert Register.objects.count() == 2
    opened = AuditEvent.objects.filter(action="documents.register_opened")
    assert opened.count() == 2  # opening is audited once, not on every lookup


def test_register_for_refuses_an_unknown_kind(tree: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        registers.register_for(unit=tree["province"], year=2026, kind="outbound")
    assert "kind" in caught.value.field_errors


# --- Outgoing -----------------------------------------------------------------------------


def test_outgoing_registration_gives_number_notation_and_date(
    tree: dict[str, Any], clerk: Any
) -> None:
    unit = tree["province"]
    on = dt.date(2026, 3, 12)
    first = registers.register_document(actor=clerk, document=doc(unit), kind="outgoing", on=on)
    resolution = doc(unit, "nghi_quyet")
    second = registers.register_document(actor=clerk, document=resolution, kind="outgoing", on=on)
    assert (first.number, first.notation) == (1, "01-QĐ/TU")
    assert (second.number, second.notation) == (2, "02-NQ/TU")
    resolution.refresh_from_db()
    assert (resolution.number, resolution.notation) == ("02", "02-NQ/TU")
    assert resolution.issued_on == on
    assert second.registered_by == clerk
    event = AuditEvent.objects.filter(action="documents.document_registered").latest("seq")
    assert event.actor_id == clerk.pk
    assert event.data["notation"] == "02-NQ/TU"


def test_a_register_may_use_the_state_form(tree: dict[str, Any], clerk: Any) -> None:
    unit = tree["commune_a"]
    register = registers.register_for(unit=unit, year=2026, kind="outgoing")
    Register.objects.filter(pk=register.pk).update(notation_pattern=registers.STATE_PATTERN)
    on = dt.date(2026, 5, 1)
    entry = registers.register_document(actor=clerk, document=doc(unit), kind="outgoing", on=on)
    letter = registers.register_document(
        actor=clerk, document=doc(unit, "cong_van"), kind="outgoing", on=on
    )
    assert entry.notation == "01/QĐ-ĐU"
    assert letter.notation == "02/ĐU"


def test_numbers_restart_on_the_first_of_january(tree: dict[str, Any], clerk: Any) -> None:
    unit = tree["province"]
    for _ in range(3):
        registers.register_document(
            actor=clerk, document=doc(unit), kind="outgoing", on=dt.date(2025, 12, 31)
        )
    new_year = registers.register_document(
        actor=clerk, document=doc(unit), kind="outgoing", on=dt.date(2026, 1, 1)
    )
    assert new_year.number == 1
    assert new_year.notation == "01-QĐ/TU"
    assert new_year.register.year == 2026
    old = Register.objects.get(unit=unit, year=2025, kind="outgoing")
    assert old.last_number == 3
    assert new_year.register_id != old.pk


def test_registration_date_defaults_to_today_in_vietnam(tree: dict[str, Any], clerk: Any) -> None:
    entry = registers.register_document(
        actor=clerk, document=doc(tree["province"]), kind="outgoing"
    )
    assert entry.registered_on == clock.today()
    assert entry.register.year == clock.today().year


def test_a_document_is_registered_once_per_kind(tree: dict[str, Any], clerk: Any) -> None:
    unit = tree["province"]
    document = doc(unit)
    registers.register_document(actor=clerk, document=document, kind="outgoing")
    with pytest.raises(Conflict) as caught:
        registers.register_document(actor=clerk, document=document, kind="outgoing")
    assert "already registered" in str(caught.value.message)
    # Not even in next year's register.
    with pytest.raises(Conflict):
        registers.register_document(
            actor=clerk, document=document, kind="outgoing", on=dt.date(2099, 1, 2)
        )
    assert RegisterEntry.objects.filter(document=document).count() == 1
    assert (
        Register.objects.get(unit=unit, kind="outgoing", year=clock.today().year).last_number == 1
    )


def test_a_refused_registration_uses_no_number(tree: dict[str, Any], clerk: Any) -> None:
    """Gap-free: the counter moves only with an entry."""
    unit = tree["province"]
    on = dt.date(2026, 6, 1)
    registers.register_document(actor=clerk, document=doc(unit), kind="outgoing", on=on)
    with pytest.raises(ValidationFailed) as caught:
        registers.register_document(
            actor=clerk, document=doc(unit, type_code=None), kind="outgoing", on=on
        )
    assert "doc_type" in caught.value.field_errors
    entry = registers.register_document(actor=clerk, document=doc(unit), kind="outgoing", on=on)
    assert entry.number == 2


# --- Incoming -----------------------------------------------------------------------------


def test_incoming_registration_keeps_the_senders_notation(tree: dict[str, Any], clerk: Any) -> None:
    unit = tree["office"]
    received = doc(
        unit, number="45", notation="45/QĐ-UBND", issuing_body="Ủy ban nhân dân tỉnh Lâm Đồng"
    )
    entry = registers.register_document(
        actor=clerk, document=received, kind="incoming", on=dt.date(2026, 2, 3)
    )
    received.refresh_from_db()
    assert entry.number == 1  # the incoming number (số đến), Art. 22
    assert entry.notation == "45/QĐ-UBND"
    assert (received.number, received.notation) == ("45", "45/QĐ-UBND")
    assert entry.register.kind == "incoming"
    # The same document may also be sent on: a different kind.
    out = registers.register_document(
        actor=clerk, document=received, kind="outgoing", on=dt.date(2026, 2, 3)
    )
    assert out.notation == "01-QĐ/VPTU"


# --- Secret series ------------------------------------------------------------------------


def test_confidential_documents_number_in_their_own_series(
    tree: dict[str, Any], clerk: Any
) -> None:
    unit = tree["province"]
    on = dt.date(2026, 4, 1)
    normal = [
        registers.register_document(actor=clerk, document=doc(unit), kind="outgoing", on=on)
        for _ in range(2)
    ]
    secret = registers.register_document(
        actor=clerk,
        document=doc(unit, confidentiality=Confidentiality.SECRET),
        kind="outgoing",
        on=on,
    )
    after = registers.register_document(actor=clerk, document=doc(unit), kind="outgoing", on=on)
    assert [e.number for e in normal] == [1, 2]
    assert secret.number == 1
    assert secret.register.secret
    assert secret.register_id != normal[0].register_id
    assert after.number == 3
    assert after.register_id == normal[0].register_id


# --- Permissions --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "specialist", "unit_admin", "auditor", None])
def test_only_clerks_register(tree: dict[str, Any], make_user: Any, role: str | None) -> None:
    user = make_user("someone", role=role, unit=tree["province"])
    with pytest.raises(PermissionDenied):
        registers.register_document(actor=user, document=doc(tree["province"]), kind="outgoing")
    assert not RegisterEntry.objects.exists()


def test_a_clerk_registers_only_inside_their_subtree(tree: dict[str, Any], make_user: Any) -> None:
    clerk_a = make_user("clerk_a", role="records_clerk", unit=tree["commune_a"])
    registers.register_document(actor=clerk_a, document=doc(tree["cell_a"]), kind="outgoing")
    with pytest.raises(PermissionDenied):
        registers.register_document(actor=clerk_a, document=doc(tree["cell_b"]), kind="outgoing")
    assert RegisterEntry.objects.count() == 1
