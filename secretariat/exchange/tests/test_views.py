"""The operator's page and the node endpoints as seen through Django's test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from secretariat.audit.models import AuditEvent
from secretariat.documents.services import IncomingFile, document_capture
from secretariat.documents.tests.factories import text_pdf
from secretariat.exchange import envelope, services
from secretariat.exchange.models import InboxPackage, OutboxPackage, OutboxState, Quarantine
from secretariat.exchange.tests.factories import make_federation

PROVINCE = "000.00.00.T68"


@pytest.fixture
def operator(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("operator", role="system_admin", unit=tree["province"])


def _sent(tree: dict[str, Any]) -> OutboxPackage:
    document = document_capture(
        actor=None,
        unit=tree["province"],
        file=IncomingFile("cv.pdf", text_pdf(["Công văn số 7"])),
        metadata={"subject": "Công văn số 7", "number": "7", "notation": "CV/TU"},
    )
    with transaction.atomic():
        (row,) = services.send_document_nondurable(
            actor=None, document=document, unit=tree["province"], to_codes=["G01"]
        )
    return row


def test_operator_sees_the_log_and_sends_again(tree, operator, client_for) -> None:
    make_federation()
    row = _sent(tree)
    OutboxPackage.objects.filter(pk=row.pk).update(state=OutboxState.EXPIRED, attempts=9)
    services.receive_one(b"garbage")
    client = client_for(operator)
    page = client.get(reverse("exchange:log"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "G01" in text
    assert "peer.g01" in text
    assert "not well formed" in text  # the quarantine's reason, in words
    answer = client.post(reverse("exchange:outbox_retry", args=[row.pk]))
    assert answer.status_code == 302
    row.refresh_from_db()
    assert row.state == OutboxState.QUEUED
    assert AuditEvent.objects.filter(action="exchange.package_retried").count() == 1


def test_release_that_still_fails_says_why_and_keeps_it(tree, operator, client_for) -> None:
    make_federation()
    services.receive_one(b"garbage")
    item = Quarantine.objects.get()
    client = client_for(operator)
    answer = client.post(reverse("exchange:quarantine_release", args=[item.pk]), follow=True)
    assert answer.status_code == 200
    assert "still fails" in answer.content.decode()
    item.refresh_from_db()
    assert item.released_at is None
    assert not InboxPackage.objects.exists()


def test_unit_admin_does_not_see_the_node_log(tree, make_user, client_for) -> None:
    admin = make_user("unitadmin", role="unit_admin", unit=tree["commune_a"])
    assert client_for(admin).get(reverse("exchange:log")).status_code == 404


def test_node_endpoints_refuse_requests_outside_the_exchange_listener(tree, client) -> None:
    fed = make_federation()
    plaintext = fed.document(from_org="G01", to_org=PROVINCE)
    package = fed.seal("peer.g01", plaintext=plaintext, from_org="G01", to_org=PROVINCE)
    answer = client.post(
        reverse("exchange_node:packages"),
        data=envelope.pack_batch([package.frame]),
        content_type="application/vnd.secretariat.packages",
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "mtls_required"
    assert not InboxPackage.objects.exists()
    assert client.get(reverse("exchange_node:directory")).status_code == 403


def test_outgoing_page_shows_the_external_recipients_news(tree, make_user, client_for) -> None:
    from secretariat.core import clock
    from secretariat.exchange import edxml
    from secretariat.office.models import ExternalDispatch, OutgoingProcess, OutgoingState

    fed = make_federation()
    clerk = make_user("clerk", role="records_clerk", unit=tree["province"])
    document = document_capture(
        actor=None,
        unit=tree["province"],
        file=IncomingFile("qd.pdf", text_pdf(["Quyết định số 4"])),
        metadata={"subject": "Quyết định số 4", "number": "4", "notation": "QĐ/TU"},
    )
    process = OutgoingProcess.objects.create(
        unit=tree["province"],
        document=document,
        state=OutgoingState.DISPATCHED,
        drafter=clerk,
        signer=clerk,
    )
    with transaction.atomic():
        dispatch = ExternalDispatch.objects.create(process=process, recipient_code="G01")
        (sent,) = services.send_document_nondurable(
            actor=clerk,
            document=document,
            unit=tree["province"],
            to_codes=["G01"],
            dispatch_ids={"G01": dispatch.pk},
        )
    status = edxml.build_status(
        edxml.StatusMessage(
            response_for=edxml.ResponseFor(document_id=sent.edxml_document_id),
            from_=edxml.Organization(organ_id="G01"),
            status_code="04",
            description="Giao Vụ Tổng hợp xử lý",
            timestamp=clock.now(),
        )
    )
    package = fed.seal("peer.g01", plaintext=status, from_org="G01", to_org=PROVINCE, kind="status")
    assert services.receive_one(package.frame).accepted
    page = client_for(clerk).get(reverse("office:outgoing_detail", args=[process.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "News from external recipients" in text
    assert "Assigned" in text
    assert "Giao Vụ Tổng hợp xử lý" in text
    assert "assigned for handling" in text  # the recipients table's state
