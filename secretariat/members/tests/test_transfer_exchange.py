"""A transfer out of the node through the secure exchange: the introduction letter produced as a
document, sent to the receiving organization in one transaction with the pending event, and the
transfer confirmed by that organization's status ("03 accepted"), not by its arrival.

The statuses come in through the exchange's own status path (`timeline.status_received`, which
calls the observers of `exchange/hooks.py`); `on_exchange_status` is also called directly where
its answer matters."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents.models import Document
from secretariat.exchange import edxml, envelope, timeline
from secretariat.exchange.models import OutboxPackage
from secretariat.exchange.tests.factories import make_federation
from secretariat.members.choices import EventKind, Status
from secretariat.members.models import Member, MemberEvent
from secretariat.members.services.transfer_exchange import (
    on_exchange_status,
    transfer_out_via_exchange,
)
from secretariat.members.tests.factories import official
from secretariat.office.models import Notification

pytestmark = pytest.mark.django_db
G01 = "000.00.00.G01"


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        **tree,
        "officer_a": make_user("officer_a", role="member_records_officer", unit=tree["commune_a"]),
        "officer_b": make_user("officer_b", role="member_records_officer", unit=tree["commune_b"]),
    }


@pytest.fixture
def fed(tree: dict[str, Any]) -> Any:
    return make_federation()


def _send(people: dict[str, Any], member: Member, **extra: Any) -> MemberEvent:
    return transfer_out_via_exchange(
        actor=people["officer_a"],
        member=member,
        to_code=extra.pop("to_code", G01),
        effective_on=clock.today(),
        destination="Văn phòng Trung ương Đảng",
        decision_number="123-QĐ/ĐU",
        **extra,
    )


def _letter_text(fed: Any, event: MemberEvent) -> str:
    sent = OutboxPackage.objects.get(pk=event.exchange_package)
    opened = edxml.parse(
        envelope.open_(
            envelope.parse(bytes(sent.content.frame)), fed.peers["peer.g01"].encryption_key
        )
    )
    assert isinstance(opened, edxml.DocumentMessage)
    pdf = opened.attachments[0].data
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode("utf-8").split())


def _status(event: MemberEvent, code: str) -> None:
    """A status message from the receiving organization, recorded as the exchange records it."""
    with transaction.atomic():
        timeline.status_received(
            sent=OutboxPackage.objects.get(pk=event.exchange_package),
            code=code,
            description="",
            staff="Văn thư VPTW",
            at=clock.now(),
        )


def test_the_letter_is_sent_and_the_transfer_waits_for_acceptance(
    people: dict[str, Any], fed: Any
) -> None:
    member = official(people["cell_a"], full_name="Đỗ Văn Chuyển", card_number="68123456")
    event = _send(people, member)
    member.refresh_from_db()
    assert (event.kind, event.external_code, event.confirmed_at) == (
        EventKind.TRANSFER_OUT,
        G01,
        None,
    )
    assert member.pending_transfer_id == event.pk
    assert member.status == Status.OFFICIAL
    letter = event.introduction_letter
    assert letter is not None
    assert letter.unit == people["cell_a"]
    assert "Đỗ Văn Chuyển" in letter.subject
    text = _letter_text(fed, event)
    for expected in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "GIẤY GIỚI THIỆU SINH HOẠT ĐẢNG",
        "Kính gửi: Văn phòng Trung ương Đảng",
        "Đỗ Văn Chuyển",
        "68123456",
        "đảng viên chính thức",
        "123-QĐ/ĐU",
    ):
        assert expected in text, expected
    sent = AuditEvent.objects.get(action="members.transfer_sent")
    assert sent.data["package"] == event.exchange_package
    assert sent.data["document"] == str(letter.pk)

    # Arrival is not acceptance; both come through the exchange's status path.
    _status(event, "01")
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL
    assert not AuditEvent.objects.filter(action="members.transfer_confirmed").exists()
    _status(event, "03")
    member.refresh_from_db()
    assert member.status == Status.TRANSFERRED_OUT
    assert member.pending_transfer_id is None
    confirmed = AuditEvent.objects.get(action="members.transfer_confirmed")
    assert confirmed.data["exchange_status"] == "03"
    # Later news changes nothing.
    assert on_exchange_status(package_id=event.exchange_package, code="06") is False


def test_a_returned_letter_tells_the_officers_and_stays_pending(
    people: dict[str, Any], fed: Any
) -> None:
    member = official(people["cell_a"])
    event = _send(people, member)
    assert (
        on_exchange_status(package_id=event.exchange_package, code="02", description="Sai") is False
    )
    member.refresh_from_db()
    assert member.pending_transfer_id == event.pk
    [message] = Notification.objects.filter(user=people["officer_a"]).values_list(
        "message", flat=True
    )
    assert "returned the introduction letter" in message
    assert AuditEvent.objects.filter(action="members.transfer_returned").count() == 1


def test_unreachable_code_or_wrong_officer_writes_nothing(people: dict[str, Any], fed: Any) -> None:
    member = official(people["cell_a"])
    documents = Document.objects.count()
    audit = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match="not in the exchange directory") as caught:
        _send(people, member, to_code="999.99.99.X99")
    assert "external_code" in caught.value.field_errors
    with pytest.raises(ValidationFailed, match="receiving organization's electronic code"):
        _send(people, member, to_code=" ")
    with pytest.raises(PermissionDenied):
        transfer_out_via_exchange(
            actor=people["officer_b"],
            member=member,
            to_code=G01,
            effective_on=clock.today(),
            decision_number="1-QĐ/ĐU",
        )
    # A member who cannot be transferred: the derivation refuses, nothing is sent.
    gone = official(people["cell_a"], full_name="Đã chuyển")
    _send(people, gone)
    with pytest.raises(ValidationFailed):
        _send(people, Member.objects.get(pk=gone.pk))
    assert MemberEvent.objects.filter(member=member, kind=EventKind.TRANSFER_OUT).count() == 0
    assert Document.objects.count() == documents + 1
    assert OutboxPackage.objects.count() == 1
    assert AuditEvent.objects.filter(action="members.transfer_sent").count() == 1
    assert AuditEvent.objects.count() > audit


def test_the_event_page_sends_through_the_exchange(
    people: dict[str, Any], fed: Any, client_for: Any
) -> None:
    member = official(people["cell_a"])
    client = client_for(people["officer_a"])
    url = reverse("members:event", args=[member.pk])
    data = {
        "kind": EventKind.TRANSFER_OUT,
        "effective_on": clock.today().isoformat(),
        "external_destination": "Văn phòng Trung ương Đảng",
        "decision_number": "45-QĐ/ĐU",
    }
    refused = client.post(url, {**data, "external_code": "999.99.99.X99"})
    assert refused.status_code == 400
    assert "not in the exchange directory" in refused.content.decode()
    unnumbered = client.post(url, {**data, "external_code": G01, "decision_number": ""})
    assert unnumbered.status_code == 400
    assert "Enter the decision number" in unnumbered.content.decode()
    assert client.post(url, {**data, "external_code": G01}).status_code == 302
    page = client.get(reverse("members:member", args=[member.pk])).content.decode()
    assert 'id="pending-exchange"' in page
    assert G01 in page
    event = MemberEvent.objects.get(member=member, kind=EventKind.TRANSFER_OUT)
    assert event.exchange_package
    assert event.introduction_letter_id is not None
