"""Outgoing pages and API: what each role sees and may do, and refusals that say why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.documents.services import IncomingFile
from secretariat.documents.tests.factories import text_pdf
from secretariat.office.models import OutgoingProcess, OutgoingState

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any, give_certificate: Any) -> dict[str, Any]:
    office = tree["office"]
    give_certificate(unit=office)
    people = {
        "drafter": make_user("drafter", role=Role.SPECIALIST, unit=office),
        "reviewer": make_user("reviewer", role=Role.SPECIALIST, unit=office),
        "signer": make_user("signer", role=Role.LEADER, unit=office),
        "clerk": make_user("clerk", role=Role.RECORDS_CLERK, unit=office),
        "outsider": make_user("outsider", role=Role.LEADER, unit=tree["commune_b"]),
    }
    give_certificate(user=people["signer"])
    return people


def upload(name: str = "draft.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text_pdf(["Dự thảo", name]), content_type="application/pdf")


def test_the_circuit_through_the_api(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any, totp_code: Any
) -> None:
    p = people
    base = "/api/v1/office/outgoing/"
    created = client_for(p["drafter"]).post(
        base,
        {
            "unit": tree["office"].code,
            "signer": "signer",
            "reviewers": "reviewer",
            "metadata": json.dumps({"subject": "Kế hoạch API", "doc_type": "ke_hoach"}),
            "file": upload(),
        },
    )
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert created.json()["reviews"][0]["reviewer"] == "reviewer"

    def post(user: str, action: str, body: dict[str, Any] | None = None) -> Any:
        return client_for(p[user]).post(
            f"{base}{pid}/{action}", data=json.dumps(body or {}), content_type="application/json"
        )

    early = post("clerk", "seal")
    assert early.status_code == 409
    assert "Art. 32" in early.json()["message"]
    assert post("drafter", "submit").status_code == 200
    assert post("reviewer", "review", {"decision": "approved"}).status_code == 200
    assert post("signer", "approve").status_code == 200
    assert post("signer", "sign", {"confirmation": totp_code(p["signer"])}).status_code == 200
    numbered = post("clerk", "number")
    assert numbered.json()["notation"] == "01-KH/VPTU"
    assert post("clerk", "seal", {"confirmation": totp_code(p["clerk"])}).status_code == 200
    sent = post("clerk", "dispatch", {"internal_units": [tree["commune_a"].code]})
    assert sent.json()["state"] == OutgoingState.DISPATCHED
    assert sent.json()["internal_recipients"] == [tree["commune_a"].code]
    assert client_for(p["outsider"]).get(f"{base}{pid}").status_code == 404


def test_pages_show_the_circuit_and_the_actions_of_each_role(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    p = people
    response = client_for(p["drafter"]).post(
        reverse("office:outgoing_create"),
        {
            "unit": str(tree["office"].pk),
            "subject": "Quyết định trang",
            "doc_type": "quyet_dinh",
            "urgency": "normal",
            "signer": str(p["signer"].pk),
            "reviewers": [str(p["reviewer"].pk)],
            "file": upload(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    process = OutgoingProcess.objects.get()
    detail = reverse("office:outgoing_detail", args=[process.pk])
    page = client_for(p["drafter"]).get(detail).content.decode()
    assert "Submit for review" in page
    assert "Reviewer" in page
    assert "Submit for review" not in client_for(p["signer"]).get(detail).content.decode()
    client_for(p["drafter"]).post(reverse("office:outgoing_submit", args=[process.pk]))
    returned = client_for(p["reviewer"]).post(
        reverse("office:outgoing_review", args=[process.pk]),
        {"decision": "returned", "comment": "Bổ sung căn cứ"},
    )
    assert returned.status_code == 302
    page = client_for(p["drafter"]).get(detail).content.decode()
    assert "Bổ sung căn cứ" in page
    assert "Returned" in page
    # A transition the state does not allow comes back on the page with its reason.
    refused = client_for(p["signer"]).post(reverse("office:outgoing_sign", args=[process.pk]))
    assert refused.status_code == 409
    assert "Only an approved document can be signed" in refused.content.decode()
    listing = client_for(p["clerk"]).get(reverse("office:outgoing") + "?state=returned")
    assert "Quyết định trang" in listing.content.decode()
    assert client_for(p["outsider"]).get(detail).status_code == 404


def test_signing_and_sealing_from_the_pages(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any, totp_code: Any
) -> None:
    from secretariat.office.services import outgoing as svc

    p = people
    processes = []
    for marker in ("Trang ký 1", "Trang ký 2"):
        process = svc.outgoing_draft(
            actor=p["drafter"],
            unit=tree["office"],
            file=IncomingFile(name="d.pdf", data=text_pdf([marker])),
            metadata={"subject": marker, "doc_type": "quyet_dinh"},
            signer=p["signer"],
        )
        svc.outgoing_submit(actor=p["drafter"], process=process)
        svc.outgoing_approve(actor=p["signer"], process=process)
        processes.append(process)
    detail = reverse("office:outgoing_detail", args=[processes[0].pk])
    page = client_for(p["signer"]).get(detail).content.decode()
    assert "Code from your authenticator app" in page
    signer = client_for(p["signer"])
    url = reverse("office:outgoing_sign", args=[processes[0].pk])
    totp_code(p["signer"])  # enrols the signer's authenticator app
    wrong = signer.post(url, {"confirmation": "000000"})
    assert wrong.status_code == 400
    assert "confirmation code is not valid" in wrong.content.decode()
    # django-otp makes the next try wait after a wrong code; the signer waits it out.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=p["signer"]).get().throttle_reset()
    for process in processes:
        done = signer.post(
            reverse("office:outgoing_sign", args=[process.pk]),
            {"confirmation": totp_code(p["signer"])},
        )
        assert done.status_code == 302
        svc.outgoing_number(actor=p["clerk"], process=process)
    clerk = client_for(p["clerk"])
    queue = clerk.get(reverse("office:outgoing_seal_queue")).content.decode()
    assert "Trang ký 1" in queue
    assert "Trang ký 2" in queue
    sealed = clerk.post(
        reverse("office:outgoing_seal_queue"),
        {"processes": [str(x.pk) for x in processes], "confirmation": totp_code(p["clerk"])},
    )
    assert sealed.status_code == 302
    assert {x.state for x in OutgoingProcess.objects.filter(pk__in=[x.pk for x in processes])} == {
        OutgoingState.SEALED
    }
    page = clerk.get(detail).content.decode()
    assert "To be sent by" in page
