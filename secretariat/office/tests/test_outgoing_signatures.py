"""The signatures of outgoing documents through the real signing app: personal signature with
a second-factor confirmation, the organization seal in batches, a refused signature returning the
draft, and no dispatch of a document whose signatures fail (Decree 30 Art. 5, 13, 16, 32–33)."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.documents import services as documents
from secretariat.documents import storage
from secretariat.documents.services import IncomingFile
from secretariat.documents.tests.factories import text_pdf
from secretariat.office.models import Notification, OutgoingProcess, OutgoingState
from secretariat.office.services import outgoing as svc
from secretariat.office.services import outgoing_signatures as sig
from secretariat.signing import pki
from secretariat.signing.models import CredentialPurpose, KeyBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def p(tree: dict[str, Any], make_user: Any, give_certificate: Any, totp_code: Any) -> Any:
    office = tree["office"]
    people = {
        "drafter": make_user("drafter", role=Role.SPECIALIST, unit=office),
        "signer": make_user("signer", role=Role.LEADER, unit=office),
        "clerk": make_user("clerk", role=Role.RECORDS_CLERK, unit=office),
        "clerk_a": make_user("clerk_a", role=Role.RECORDS_CLERK, unit=tree["commune_a"]),
    }
    people["signer"].full_name = "Nguyễn Thị Hằng"
    people["signer"].save(update_fields=["full_name"])
    give_certificate(user=people["signer"])
    give_certificate(unit=office)
    return {**people, "code": totp_code, "tree": tree}


def approved(p: Any, marker: str = "SIG-1") -> OutgoingProcess:
    process = svc.outgoing_draft(
        actor=p["drafter"],
        unit=p["tree"]["office"],
        file=IncomingFile(name=f"{marker}.pdf", data=text_pdf([marker, "Dự thảo quyết định"])),
        metadata={"subject": f"Quyết định {marker}", "doc_type": "quyet_dinh"},
        signer=p["signer"],
    )
    svc.outgoing_submit(actor=p["drafter"], process=process)
    return svc.outgoing_approve(actor=p["signer"], process=process)


def current_pdf(process: OutgoingProcess) -> bytes:
    version = process.document.versions.order_by("-number")[0]
    return storage.open_plaintext(version.pdf or version.original)


def test_signature_needs_a_valid_second_factor_and_changes_nothing_without(p: Any) -> None:
    process = approved(p)
    before = process.document.versions.count()
    with pytest.raises(Conflict, match="authenticator app"):
        sig.outgoing_sign(actor=p["signer"], process=process, confirmation="123456")
    p["code"](p["signer"])  # enrols the signer's authenticator app
    with pytest.raises(ValidationFailed, match="confirmation code"):
        sig.outgoing_sign(actor=p["signer"], process=process, confirmation="123456")
    process.refresh_from_db()
    assert process.state == OutgoingState.APPROVED
    assert process.document.versions.count() == before
    assert not AuditEvent.objects.filter(action="office.outgoing_signed").exists()
    assert AuditEvent.objects.filter(action="accounts.mfa_failed").exists()


def test_signed_and_sealed_document_validates_with_pdfsig(p: Any, tmp_path: Any) -> None:
    process = approved(p)
    sig.outgoing_sign(actor=p["signer"], process=process, confirmation=p["code"](p["signer"]))
    svc.outgoing_number(actor=p["clerk"], process=process)
    sealed = sig.outgoing_seal(
        actor=p["clerk"], process=process, confirmation=p["code"](p["clerk"])
    )
    assert sealed.state == OutgoingState.SEALED
    path = tmp_path / "sealed.pdf"
    path.write_bytes(current_pdf(sealed))
    out = subprocess.run(
        ["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=False
    ).stdout
    # Two signatures, both intact: the competent person's then the organization's.
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert "Nguyễn Thị Hằng" in out


def test_no_certificate_or_a_token_key_is_refused_with_guidance(p: Any, make_user: Any) -> None:
    process = approved(p)
    credential = sig.personal_credential(p["signer"])
    assert credential is not None
    pki.revoke(actor=None, credential=credential)
    with pytest.raises(Conflict, match="no valid signing certificate"):
        sig.outgoing_sign(actor=p["signer"], process=process, confirmation="000000")
    token_cert = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        user=p["signer"],
        subject=pki.subject_for(common_name="Nguyễn Thị Hằng"),
    )
    token_cert.backend = KeyBackend.WORKSTATION
    token_cert.save(update_fields=["backend"])
    assert sig.signing_mode(p["signer"]) == "agent"
    with pytest.raises(Conflict, match="signing agent"):
        sig.outgoing_sign(actor=p["signer"], process=process, confirmation="000000")


def test_only_the_signer_signs_and_only_clerks_seal(p: Any) -> None:
    process = approved(p)
    with pytest.raises(PermissionDenied):
        sig.outgoing_sign(actor=p["clerk"], process=process, confirmation="000000")
    with pytest.raises(PermissionDenied):
        sig.outgoing_seal_batch(actor=p["clerk_a"], processes=[process], confirmation="000000")


def test_clerk_refuses_a_signature_and_the_draft_returns(p: Any) -> None:
    process = approved(p)
    sig.outgoing_sign(actor=p["signer"], process=process, confirmation=p["code"](p["signer"]))
    with pytest.raises(ValidationFailed):
        sig.outgoing_return_signature(actor=p["clerk"], process=process, reason=" ")
    returned = sig.outgoing_return_signature(
        actor=p["clerk"], process=process, reason="Chữ ký không đúng người có thẩm quyền"
    )
    assert (returned.state, returned.signed_at) == (OutgoingState.RETURNED, None)
    told = Notification.objects.get(user=p["drafter"], message__contains="refused")
    assert "thẩm quyền" in told.message
    assert AuditEvent.objects.filter(action="office.outgoing_signature_returned").exists()
    # The drafter can send a new version round again.
    version = svc.outgoing_new_version(
        actor=p["drafter"],
        process=returned,
        file=IncomingFile(name="v2.pdf", data=text_pdf(["SIG-1 v2", "Dự thảo"])),
    )
    assert version.number == 3


def _store_tampered_version(process: OutgoingProcess) -> None:
    data = bytearray(current_pdf(process))
    # A byte of the page content, inside the signed range, changes after signing.
    index = data.index(b"stream") + 12
    data[index] = ord("A") if data[index] != ord("A") else ord("B")
    with transaction.atomic():
        documents.document_add_signed_version(
            actor=None, document=process.document, pdf=bytes(data), note="tampered"
        )


def test_a_failed_personal_signature_blocks_numbering_and_sealing(p: Any) -> None:
    good, bad = approved(p, "GOOD"), approved(p, "BAD")
    sig.outgoing_sign_batch(
        actor=p["signer"], processes=[good, bad], confirmation=p["code"](p["signer"])
    )
    _store_tampered_version(bad)
    with pytest.raises(Conflict, match="validly signed"):
        svc.outgoing_number(actor=p["clerk"], process=bad)
    svc.outgoing_number(actor=p["clerk"], process=good)
    outcomes = sig.outgoing_seal_batch(
        actor=p["clerk"], processes=[good], confirmation=p["code"](p["clerk"])
    )
    assert [o.error for o in outcomes] == [""]
    good.refresh_from_db()
    assert good.state == OutgoingState.SEALED


def test_a_document_whose_signatures_fail_is_not_sent(p: Any, exchange_federation: Any) -> None:
    process = approved(p)
    sig.outgoing_sign(actor=p["signer"], process=process, confirmation=p["code"](p["signer"]))
    svc.outgoing_number(actor=p["clerk"], process=process)
    sig.outgoing_seal(actor=p["clerk"], process=process, confirmation=p["code"](p["clerk"]))
    _store_tampered_version(process)
    with pytest.raises(Conflict, match="signatures fail"):
        svc.outgoing_dispatch(
            actor=p["clerk"], process=process, internal_units=[], external_codes=["G01"]
        )
    process.refresh_from_db()
    assert process.state == OutgoingState.SEALED


def test_dispatch_deadline_follows_article_16(p: Any) -> None:
    process = approved(p)
    sig.outgoing_sign(actor=p["signer"], process=process, confirmation=p["code"](p["signer"]))
    process.refresh_from_db()
    signed_on = timezone.localdate(process.signed_at)
    deadline = svc.dispatch_deadline(process)
    assert deadline is not None
    assert deadline > signed_on  # normal documents: at the latest the next working day
    process.document.urgency = "hoa_toc"
    assert svc.dispatch_deadline(process) == signed_on  # flash: the same day
    assert process.signed_at is not None
    process.signed_at = process.signed_at - dt.timedelta(days=10)
    assert not svc.dispatch_on_time(process)
