"""The inbox and the outbox in one process: packages sealed by a peer whose keys the test holds
go through the real checks (`services.receive_one`); what this node sends is opened with the
peer's key. Transport and several processes: test_nodes.py."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.test import override_settings

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import ValidationFailed
from secretariat.documents import registers
from secretariat.documents.models import Document
from secretariat.documents.services import IncomingFile, document_capture
from secretariat.documents.tests.factories import text_pdf
from secretariat.exchange import edxml, envelope, identity, integration, services, timeline
from secretariat.exchange.models import (
    InboxPackage,
    InboxState,
    OutboxPackage,
    OutboxState,
    PackageKind,
    Quarantine,
    StatusEvent,
)
from secretariat.exchange.tests.factories import Peer, make_federation
from secretariat.office.models import Notification

PROVINCE = "000.00.00.T68"
G01 = "000.00.00.G01"


@pytest.fixture
def fed(tree):
    return make_federation()


def _receipt(answer: services.Answer) -> envelope.Receipt:
    receipt = envelope.parse_receipt(answer.receipt)
    envelope.verify_receipt(receipt, identity.keys.node_public_key())
    return receipt


def _incoming(fed, **kwargs):
    plaintext = fed.document(from_org=G01, to_org=PROVINCE, **kwargs)
    return fed.seal("peer.g01", plaintext=plaintext, from_org=G01, to_org=PROVINCE)


def test_received_document_becomes_an_incoming_document_and_is_answered(fed, tree):
    package = _incoming(fed)
    answer = services.receive_one(package.frame)
    receipt = _receipt(answer)
    assert receipt.accepted
    assert receipt.package_id == package.header.id
    assert receipt.digest == package.digest
    row = InboxPackage.objects.get(package_id=package.header.id)
    assert row.state == InboxState.ACCEPTED
    assert row.document is None
    assert "hội nghị".encode() not in bytes(row.content_sealed or b"")  # sealed at rest

    services.import_package(package_id=package.header.id)
    row.refresh_from_db()
    assert row.state == InboxState.IMPORTED
    document = row.document
    assert document is not None
    assert document.unit == tree["province"]
    assert document.subject.startswith("Về việc tổ chức hội nghị")
    assert (document.number, document.notation) == ("12", "CV-VPTW")
    assert document.issuing_body == f"Cơ quan {G01}"
    assert document.signer_name == "Nguyễn Văn An"
    assert document.urgency == "khan"
    assert not document.entries.exists()  # waits for the clerk to register it
    assert document.versions.get().signature_check is not None
    # "01 received" goes back to the sender, encrypted to the peer.
    status = OutboxPackage.objects.get(kind=PackageKind.STATUS)
    assert (status.to_org, status.status_code, status.to_node) == (G01, "01", "peer.g01")
    opened = envelope.open_(
        envelope.parse(bytes(status.content.frame)), fed.peers["peer.g01"].encryption_key
    )
    message = edxml.parse(opened)
    assert isinstance(message, edxml.StatusMessage)
    assert message.response_for.document_id == row.edxml_document_id
    # Importing again changes nothing.
    services.import_package(package_id=package.header.id)
    assert Document.objects.filter(unit=tree["province"]).count() == 1


def test_a_package_delivered_twice_gets_the_same_receipt_and_one_document(fed):
    package = _incoming(fed)
    first = services.receive_one(package.frame)
    second = services.receive_one(package.frame)
    assert first.receipt == second.receipt
    assert InboxPackage.objects.count() == 1
    services.import_package(package_id=package.header.id)
    services.import_package(package_id=package.header.id)
    assert InboxPackage.objects.get().document is not None
    assert Document.objects.count() == 1


def _refused(fed, frame: bytes, reason: str) -> None:
    answer = services.receive_one(frame)
    receipt = _receipt(answer)
    assert not answer.accepted
    assert not receipt.accepted
    assert receipt.reason == reason
    assert Quarantine.objects.filter(reason=reason).exists()
    assert not InboxPackage.objects.exists()
    assert not Document.objects.exists()


def test_tampered_ciphertext_is_quarantined(fed):
    frame = bytearray(_incoming(fed).frame)
    frame[-3] ^= 0xFF
    _refused(fed, bytes(frame), "tampered")


def test_forged_sender_signature_is_quarantined(fed):
    impostor = Peer("peer.g01", (G01,))  # same node id, other keys
    package = envelope.seal(
        plaintext=fed.document(from_org=G01, to_org=PROVINCE),
        kind="document",
        from_node="peer.g01",
        from_org=G01,
        to_node=fed.me.node_id,
        to_org=PROVINCE,
        signing_key=impostor.signing_key,
        recipient_key=identity.encryption_key(fed.me).public_key(),
        created_at=clock.now(),
    )
    _refused(fed, package.frame, "bad_signature")


def test_unknown_organization_and_unknown_node_are_quarantined(fed):
    plaintext = fed.document(from_org="000.00.00.X99", to_org=PROVINCE)
    package = fed.seal("peer.g01", plaintext=plaintext, from_org="000.00.00.X99", to_org=PROVINCE)
    _refused(fed, package.frame, "unknown_organization")
    stranger = Peer("peer.x", ("000.00.00.X99",))
    fed.peers["peer.x"] = stranger
    package = fed.seal("peer.x", plaintext=plaintext, from_org="000.00.00.X99", to_org=PROVINCE)
    _refused(fed, package.frame, "unknown_sender")


def test_old_package_is_refused_as_a_replay(fed):
    plaintext = fed.document(from_org=G01, to_org=PROVINCE)
    old = clock.now() - dt.timedelta(days=30)
    package = fed.seal(
        "peer.g01", plaintext=plaintext, from_org=G01, to_org=PROVINCE, created_at=old
    )
    _refused(fed, package.frame, "expired")


def test_package_for_another_node_or_organization_is_refused(fed):
    plaintext = fed.document(from_org=G01, to_org=PROVINCE)
    other = fed.seal(
        "peer.g01", plaintext=plaintext, from_org=G01, to_org=PROVINCE, to_node="peer.elsewhere"
    )
    _refused(fed, other.frame, "not_addressed")
    Quarantine.objects.all().delete()
    nobody = fed.seal("peer.g01", plaintext=plaintext, from_org=G01, to_org="000.09.09.T68")
    _refused(fed, nobody.frame, "unknown_recipient")


def test_package_encrypted_to_another_key_is_refused(fed):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    plaintext = fed.document(from_org=G01, to_org=PROVINCE)
    package = fed.seal(
        "peer.g01",
        plaintext=plaintext,
        from_org=G01,
        to_org=PROVINCE,
        recipient_key=X25519PrivateKey.generate().public_key(),
    )
    _refused(fed, package.frame, "cannot_decrypt")


def test_malformed_edxml_is_refused(fed):
    package = fed.seal("peer.g01", plaintext=b"<not-edxml/>", from_org=G01, to_org=PROVINCE)
    _refused(fed, package.frame, "malformed_edxml")
    Quarantine.objects.all().delete()
    _refused(fed, b"garbage that is no package", "malformed")


def test_oversized_package_is_refused_and_not_kept(fed):
    package = _incoming(fed)
    with override_settings(EXCHANGE_MAX_PACKAGE_BYTES=len(package.frame) - 1):
        _refused(fed, package.frame, "too_large")
    assert bytes(Quarantine.objects.get().frame) == b""


def test_revoked_sender_certificate_is_refused(tree):
    fed = make_federation(revoke=["peer.g01"])
    _refused(fed, _incoming(fed).frame, "sender_certificate_revoked")


def test_expired_sender_certificate_is_refused(tree):
    fed = make_federation(expired=["peer.g01"])
    _refused(fed, _incoming(fed).frame, "sender_certificate_expired")


def test_sending_to_a_node_whose_certificate_expired_is_refused_before_anything_is_written(
    tree,
) -> None:
    make_federation(expired=["peer.g01"])
    assert "expired" in services.check_recipients([G01])[G01]
    document = document_capture(
        actor=None,
        unit=tree["province"],
        file=IncomingFile("cv.pdf", text_pdf(["Công văn"])),
        metadata={"subject": "Công văn", "number": "9", "notation": "CV/TU"},
    )
    with pytest.raises(ValidationFailed, match="expired"), transaction.atomic():
        services.send_document_nondurable(
            actor=None, document=document, unit=tree["province"], to_codes=[G01]
        )
    assert not OutboxPackage.objects.exists()


def test_status_messages_build_the_senders_timeline(fed, tree):
    from django.db import transaction

    from secretariat.documents.services import IncomingFile, document_capture
    from secretariat.documents.tests.factories import text_pdf

    document = document_capture(
        actor=None,
        unit=tree["province"],
        file=IncomingFile("cv.pdf", text_pdf(["Công văn gửi Văn phòng Trung ương"])),
        metadata={"subject": "Công văn", "number": "5", "notation": "CV/TU"},
    )
    with transaction.atomic():
        (sent,) = services.send_document_nondurable(
            actor=None, document=document, unit=tree["province"], to_codes=[G01]
        )
    opened = edxml.parse(
        envelope.open_(
            envelope.parse(bytes(sent.content.frame)), fed.peers["peer.g01"].encryption_key
        )
    )
    assert isinstance(opened, edxml.DocumentMessage)
    assert opened.code.notation == "CV/TU"
    assert opened.attachments[0].data.startswith(b"%PDF")
    for code in ("01", "03", "06"):
        status = edxml.build_status(
            edxml.StatusMessage(
                response_for=edxml.ResponseFor(
                    document_id=sent.edxml_document_id, organ_id=PROVINCE
                ),
                from_=edxml.Organization(organ_id=G01),
                status_code=code,
                timestamp=clock.now(),
                description=f"bước {code}",
            )
        )
        package = fed.seal(
            "peer.g01", plaintext=status, from_org=G01, to_org=PROVINCE, kind="status"
        )
        assert services.receive_one(package.frame).accepted
    assert list(StatusEvent.objects.filter(sent=sent).values_list("code", flat=True)) == [
        "01",
        "03",
        "06",
    ]
    # A status about a document this node never sent is refused.
    stray = edxml.build_status(
        edxml.StatusMessage(
            response_for=edxml.ResponseFor(document_id="nothing,here"),
            from_=edxml.Organization(organ_id=G01),
            status_code="01",
            timestamp=clock.now(),
        )
    )
    package = fed.seal("peer.g01", plaintext=stray, from_org=G01, to_org=PROVINCE, kind="status")
    assert services.receive_one(package.frame).accepted is False


def test_registration_and_processing_steps_are_answered(fed, tree, make_user):
    clerk = make_user("clerk", role="records_clerk", unit=tree["province"])
    package = _incoming(fed)
    services.receive_one(package.frame)
    row = services.import_package(package_id=package.header.id)
    assert row is not None
    assert row.document is not None
    told = Notification.objects.get(user=clerk)
    assert "through the exchange" in told.message
    assert told.link.endswith(f"/documents/{row.document.pk}/")
    registers.register_document(actor=clerk, document=row.document, kind="incoming")
    codes = list(
        OutboxPackage.objects.filter(kind=PackageKind.STATUS)
        .order_by("created_at")
        .values_list("status_code", flat=True)
    )
    assert codes == ["01", "03"]
    accepted = OutboxPackage.objects.get(kind=PackageKind.STATUS, status_code="03")
    opened = envelope.open_(
        envelope.parse(bytes(accepted.content.frame)), fed.peers["peer.g01"].encryption_key
    )
    message = edxml.parse(opened)
    assert isinstance(message, edxml.StatusMessage)
    assert message.staff.staff == "Clerk"  # the official who registered it


def test_revocation_marks_the_earlier_document(fed, tree):
    first = _incoming(fed, document_id=f"{G01},doc-1")
    services.receive_one(first.frame)
    services.import_package(package_id=first.header.id)
    revoke = _incoming(
        fed, document_id=f"{G01},doc-1", business="revoke", replaced=[f"{G01},doc-1"]
    )
    services.receive_one(revoke.frame)
    services.import_package(package_id=revoke.header.id)
    earlier = InboxPackage.objects.get(package_id=first.header.id)
    assert earlier.revoked
    assert earlier.superseded_by is not None
    assert earlier.superseded_by.package_id == uuid.UUID(revoke.header.id)
    assert Document.objects.count() == 1  # a revocation brings no new document


def test_relay_forwards_what_it_cannot_read(tree):
    a = Peer("peer.a", ("000.00.00.A01",))
    b = Peer("peer.b", ("000.00.00.B01",), via="node.local")
    make_federation(peers=[a, b])
    package = envelope.seal(
        plaintext=b"secret edXML for B",
        kind="document",
        from_node="peer.a",
        from_org="000.00.00.A01",
        to_node="peer.b",
        to_org="000.00.00.B01",
        signing_key=a.signing_key,
        recipient_key=b.encryption_key.public_key(),
        created_at=clock.now(),
    )
    assert services.receive_one(package.frame).accepted
    assert InboxPackage.objects.get().state == InboxState.RELAYED
    forwarded = OutboxPackage.objects.get(relayed=True)
    assert forwarded.next_hop == "peer.b"
    parsed = envelope.parse(bytes(forwarded.content.frame))
    assert [hop.node for hop in parsed.trace] == ["node.local"]
    assert envelope.open_(parsed, b.encryption_key) == b"secret edXML for B"
    assert not Document.objects.exists()


def test_release_from_quarantine_after_the_cause_is_mended(fed, tree, make_user):
    admin = make_user("root", role="system_admin", unit=tree["province"])
    package = _incoming(fed)
    with override_settings(EXCHANGE_MAX_AGE_HOURS=0):
        assert not services.receive_one(package.frame).accepted
    item = Quarantine.objects.get()
    services.quarantine_release(actor=admin, item=item)
    item.refresh_from_db()
    assert item.released_at is not None
    assert InboxPackage.objects.filter(package_id=package.header.id).exists()


def test_office_dispatch_state_follows_the_news_and_never_goes_back(fed, tree, make_user) -> None:
    from secretariat.office.models import ExternalDispatch, OutgoingProcess, OutgoingState

    clerk = make_user("clerk", role="records_clerk", unit=tree["province"])
    document = document_capture(
        actor=None,
        unit=tree["province"],
        file=IncomingFile("qd.pdf", text_pdf(["Quyết định số 3"])),
        metadata={"subject": "Quyết định", "number": "3", "notation": "QĐ/TU"},
    )
    process = OutgoingProcess.objects.create(
        unit=tree["province"], document=document, state=OutgoingState.SEALED, drafter=clerk
    )
    # A sealed process whose signatures are checked is out of scope here: dispatch directly.
    with transaction.atomic():
        dispatch = ExternalDispatch.objects.create(process=process, recipient_code=G01)
        (sent,) = services.send_document_nondurable(
            actor=clerk,
            document=document,
            unit=tree["province"],
            to_codes=[G01],
            dispatch_ids={G01: dispatch.pk},
        )
    status = edxml.build_status(
        edxml.StatusMessage(
            response_for=edxml.ResponseFor(document_id=sent.edxml_document_id),
            from_=edxml.Organization(organ_id=G01),
            status_code="03",
            timestamp=clock.now(),
        )
    )
    package = fed.seal("peer.g01", plaintext=status, from_org=G01, to_org=PROVINCE, kind="status")
    assert services.receive_one(package.frame).accepted
    dispatch.refresh_from_db()
    assert dispatch.state == "accepted"
    # The delivery's receipt arrives after the recipient's news: the state stays.
    with transaction.atomic():
        timeline.delivery_recorded(sent=sent, accepted=True, detail="", at=clock.now())
    dispatch.refresh_from_db()
    assert dispatch.state == "accepted"
    steps = integration.SENDER.timeline(process)
    assert [step.code for step in steps] == ["03", "delivered"]
    assert steps[0].label == str(edxml.STATUS_LABELS["03"])


def test_replacement_brings_the_new_document_and_marks_the_earlier_one(fed, tree) -> None:
    first = _incoming(fed, document_id=f"{G01},doc-7")
    services.receive_one(first.frame)
    services.import_package(package_id=first.header.id)
    replacement = _incoming(
        fed,
        document_id=f"{G01},doc-8",
        business="replace",
        replaced=[f"{G01},doc-7"],
        subject="Về việc tổ chức hội nghị (thay thế)",
    )
    services.receive_one(replacement.frame)
    services.import_package(package_id=replacement.header.id)
    earlier = InboxPackage.objects.get(package_id=first.header.id)
    newer = InboxPackage.objects.get(package_id=replacement.header.id)
    assert earlier.superseded_by == newer
    assert not earlier.revoked
    assert newer.document is not None
    assert newer.document.subject.endswith("(thay thế)")
    assert Document.objects.count() == 2  # the replaced one stays: the register keeps it


def test_a_batch_is_recorded_together_with_one_audit_event_naming_every_package(fed):
    packages = [_incoming(fed, document_id=f"{G01},{n}") for n in range(3)]
    answers = services.receive([package.frame for package in packages])
    receipts = [_receipt(answer) for answer in answers]
    assert [receipt.package_id for receipt in receipts] == [p.header.id for p in packages]
    assert [receipt.digest for receipt in receipts] == [p.digest for p in packages]
    assert all(receipt.accepted for receipt in receipts)
    rows = {str(row.package_id): row for row in InboxPackage.objects.all()}
    assert set(rows) == {package.header.id for package in packages}
    assert all(
        bytes(row.receipt) == answer.receipt
        for row, answer in zip((rows[p.header.id] for p in packages), answers, strict=True)
    )
    (event,) = AuditEvent.objects.filter(action="exchange.packages_received")
    assert event.data["count"] == 3
    assert [(item["package"], item["digest"]) for item in event.data["packages"]] == [
        (package.header.id, package.digest) for package in packages
    ]
    # The same batch again: the same receipts, nothing written, no new event.
    again = services.receive([package.frame for package in packages])
    assert [answer.receipt for answer in again] == [answer.receipt for answer in answers]
    assert InboxPackage.objects.count() == 3
    assert AuditEvent.objects.filter(action="exchange.packages_received").count() == 1


def test_a_package_twice_in_one_batch_is_stored_once_beside_the_others(fed):
    first, second = _incoming(fed), _incoming(fed, document_id=f"{G01},other")
    # Another package under the first one's id: refused as a conflict, the rest kept.
    impostor = envelope.seal(
        plaintext=fed.document(from_org=G01, to_org=PROVINCE, subject="Khác"),
        kind="document",
        from_node="peer.g01",
        from_org=G01,
        to_node=fed.me.node_id,
        to_org=PROVINCE,
        signing_key=fed.peers["peer.g01"].signing_key,
        recipient_key=identity.encryption_key(fed.me).public_key(),
        created_at=clock.now(),
        package_id=first.header.id,
    )
    answers = services.receive([first.frame, second.frame, first.frame, impostor.frame])
    assert [answer.accepted for answer in answers] == [True, True, True, False]
    assert answers[0].receipt == answers[2].receipt
    assert _receipt(answers[3]).reason == "conflict"
    assert InboxPackage.objects.count() == 2
    assert Quarantine.objects.get().reason == "conflict"
    (event,) = AuditEvent.objects.filter(action="exchange.packages_received")
    assert sorted(item["package"] for item in event.data["packages"]) == sorted(
        [first.header.id, second.header.id]
    )


def _queued(fed, tree, count: int) -> list[OutboxPackage]:
    document = document_capture(
        actor=None,
        unit=tree["province"],
        file=IncomingFile("cv.pdf", text_pdf(["Công văn số 9"])),
        metadata={"subject": "Công văn số 9", "number": "9", "notation": "CV/TU"},
    )
    sent = []
    for _ in range(count):
        with transaction.atomic():
            sent += services.send_document_nondurable(
                actor=None, document=document, unit=tree["province"], to_codes=[G01]
            )
    return sent


def _peer_receipt(fed, row: OutboxPackage, *, accepted: bool = True, digest: str = ""):
    return envelope.sign_receipt(
        package_id=str(row.package_id),
        node="peer.g01",
        accepted=accepted,
        reason="" if accepted else "unknown_recipient",
        detail="",
        digest=digest or row.digest,
        at=clock.now(),
        key=fed.peers["peer.g01"].signing_key,
    )


def test_receipts_of_a_batch_settle_it_with_one_audit_event(fed, tree):
    from secretariat.exchange import directory, worker

    sent = _queued(fed, tree, 4)
    claimed = worker._claim(10)
    assert {row.pk for row, _frame in claimed} == {row.pk for row in sent}
    # The frame that travels is the one queued, and the claim holds a lease.
    for row, frame in claimed:
        assert envelope.parse(frame).header.id == str(row.package_id)
    assert worker._claim(10) == []
    rows = [row for row, _frame in claimed]
    receipts = [
        _peer_receipt(fed, rows[0]),
        _peer_receipt(fed, rows[1]),
        _peer_receipt(fed, rows[2], accepted=False),
        _peer_receipt(fed, rows[3], digest="0" * 64),  # not for this package: tried again
    ]
    peer = directory.require_snapshot().nodes["peer.g01"]
    assert worker._settle(peer, rows, receipts) == 3
    states = {row.pk: row for row in OutboxPackage.objects.all()}
    assert [states[row.pk].state for row in rows] == [
        OutboxState.DELIVERED,
        OutboxState.DELIVERED,
        OutboxState.REJECTED,
        OutboxState.QUEUED,
    ]
    assert bytes(states[rows[0].pk].receipt or b"") == receipts[0].to_bytes()
    assert states[rows[3].pk].attempts == 1
    assert "another package" in states[rows[3].pk].last_error
    assert states[rows[3].pk].lease_until is None
    assert sorted(StatusEvent.objects.values_list("code", flat=True)) == [
        "delivered",
        "delivered",
        "rejected",
    ]
    (event,) = AuditEvent.objects.filter(action="exchange.packages_delivered")
    assert event.data["node"] == "peer.g01"
    assert [(item["package"], item["digest"]) for item in event.data["packages"]] == [
        (str(row.package_id), row.digest) for row in rows[:2]
    ]
    refused = AuditEvent.objects.get(action="exchange.package_refused")
    assert refused.data["package"] == str(rows[2].package_id)
    # A receipt that comes again for a settled package changes nothing.
    assert worker._settle(peer, rows[:1], receipts[:1]) == 0
    assert AuditEvent.objects.filter(action="exchange.packages_delivered").count() == 1
