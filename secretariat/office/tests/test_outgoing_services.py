"""Outgoing documents from draft to dispatch, corrections and recall (Decree 30 Art. 13, 14, 18,
32–33), through the real services."""

from __future__ import annotations

from typing import Any

import pytest

from secretariat.accounts.models import Position, Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.documents.models import RegisterEntry
from secretariat.documents.services import IncomingFile
from secretariat.documents.tests.factories import text_pdf
from secretariat.exchange.models import OutboxPackage
from secretariat.office.models import (
    ExternalDispatch,
    IncomingProcess,
    IncomingState,
    Notification,
    OutgoingKind,
    OutgoingProcess,
    OutgoingState,
    ReviewDecision,
)
from secretariat.office.services import outgoing as svc
from secretariat.office.services import outgoing_signatures as sig

pytestmark = pytest.mark.django_db


def pdf(marker: str) -> IncomingFile:
    return IncomingFile(name=f"{marker}.pdf", data=text_pdf([marker, "Dự thảo quyết định"]))


@pytest.fixture
def people(
    tree: dict[str, Any], make_user: Any, give_certificate: Any, totp_code: Any
) -> dict[str, Any]:
    office = tree["office"]
    people = {
        "drafter": make_user("drafter", role=Role.SPECIALIST, unit=office),
        "r1": make_user("reviewer1", role=Role.SPECIALIST, unit=office),
        "r2": make_user("reviewer2", role=Role.LEADER, unit=office),
        "signer": make_user("signer", role=Role.LEADER, unit=office),
        "clerk": make_user("clerk", role=Role.RECORDS_CLERK, unit=office),
        "clerk_a": make_user("clerk_a", role=Role.RECORDS_CLERK, unit=tree["commune_a"]),
        "leader_a": make_user("leader_a", role=Role.LEADER, unit=tree["commune_a"]),
    }
    give_certificate(user=people["signer"])
    give_certificate(unit=office)
    return {**people, "code": totp_code}


def sign(p: dict[str, Any], process: Any) -> Any:
    return sig.outgoing_sign(
        actor=p["signer"], process=process, confirmation=p["code"](p["signer"])
    )


def seal(p: dict[str, Any], process: Any) -> Any:
    return sig.outgoing_seal(actor=p["clerk"], process=process, confirmation=p["code"](p["clerk"]))


def draft(tree: dict[str, Any], p: dict[str, Any], marker: str = "OUT-1", **kw: Any) -> Any:
    return svc.outgoing_draft(
        actor=p["drafter"],
        unit=tree["office"],
        file=pdf(marker),
        metadata={"subject": f"Quyết định {marker}", "doc_type": "quyet_dinh"},
        signer=p["signer"],
        **kw,
    )


def to_sealed(tree: dict[str, Any], p: dict[str, Any], marker: str = "OUT-1") -> Any:
    process = draft(tree, p, marker, reviewers=[p["r1"]])
    svc.outgoing_submit(actor=p["drafter"], process=process)
    svc.outgoing_review(actor=p["r1"], process=process, decision=ReviewDecision.APPROVED)
    svc.outgoing_approve(actor=p["signer"], process=process)
    sign(p, process)
    svc.outgoing_number(actor=p["clerk"], process=process)
    return seal(p, process)


def test_full_path_from_draft_to_dispatch(
    tree: dict[str, Any], people: dict[str, Any], exchange_federation: Any
) -> None:
    """Two reviewers, one returns, a new version, both agree, then approve, sign, number
    (01-QĐ/VPTU), seal, and dispatch to an internal unit and an external code."""
    p = people
    process = draft(tree, p, reviewers=[p["r1"], p["r2"]])
    assert process.state == OutgoingState.DRAFT
    assert process.document.versions.count() == 1

    svc.outgoing_submit(actor=p["drafter"], process=process)
    assert Notification.objects.filter(user=p["r1"], message__contains="awaits your review")
    svc.outgoing_review(actor=p["r1"], process=process, decision=ReviewDecision.APPROVED)
    svc.outgoing_review(
        actor=p["r2"], process=process, decision=ReviewDecision.RETURNED, comment="Sửa điều 2"
    )
    process.refresh_from_db()
    assert process.state == OutgoingState.RETURNED
    note = Notification.objects.get(user=p["drafter"])
    assert "Sửa điều 2" in note.message

    version = svc.outgoing_new_version(actor=p["drafter"], process=process, file=pdf("OUT-1b"))
    assert version.number == 2
    svc.outgoing_submit(actor=p["drafter"], process=process)
    process.refresh_from_db()
    assert process.state == OutgoingState.IN_REVIEW
    # Round 2 goes round the same circuit, from the first reviewer.
    assert list(process.reviews.filter(round=2).values_list("reviewer__username", flat=True)) == [
        "reviewer1",
        "reviewer2",
    ]
    svc.outgoing_review(
        actor=p["r1"], process=process, decision=ReviewDecision.COMMENTED, comment="OK"
    )
    svc.outgoing_review(actor=p["r2"], process=process, decision=ReviewDecision.APPROVED)
    assert Notification.objects.filter(user=p["signer"], message__contains="approval").exists()

    svc.outgoing_approve(actor=p["signer"], process=process)
    Position.objects.create(
        user=p["signer"], unit=p["signer"].role_grants.get().unit, title="Chánh Văn phòng"
    )
    signed = sign(p, process)
    assert signed.state == OutgoingState.SIGNED
    signed.document.refresh_from_db()
    # The signer's name and title are written on the document (Art. 8).
    assert (signed.document.signer_name, signed.document.signer_title) == (
        "Signer",
        "Chánh Văn phòng",
    )
    event = AuditEvent.objects.filter(action="office.outgoing_signed").get()
    assert event.data["validation"] == "passed"
    assert "Signer" in event.data["certificate_subject"]
    # The signature is kept as a new version of the document, validated as it was stored.
    assert signed.document.versions.count() == 3
    assert signed.document.versions.order_by("-number")[0].signature_check["status"] == "passed"
    assert Notification.objects.filter(user=p["clerk"], message__contains="numbered").exists()

    numbered = svc.outgoing_number(actor=p["clerk"], process=process)
    numbered.document.refresh_from_db()
    assert numbered.document.notation == "01-QĐ/VPTU"
    assert numbered.entry is not None
    assert numbered.entry.register.kind == "outgoing"

    sealed = seal(p, process)
    assert sealed.state == OutgoingState.SEALED
    last = sealed.document.versions.order_by("-number")[0]
    assert last.signature_check["status"] == "passed"
    assert len(last.signature_check["signatures"]) == 2

    sent = svc.outgoing_dispatch(
        actor=p["clerk"],
        process=process,
        internal_units=[tree["commune_a"]],
        external_codes=["000.00.00.G01"],
    )
    assert sent.state == OutgoingState.DISPATCHED
    incoming = IncomingProcess.objects.get(unit=tree["commune_a"])
    assert incoming.document.notation == "01-QĐ/VPTU"
    assert sent.deliveries.get().incoming == incoming
    queued = ExternalDispatch.objects.get(process=sent)
    assert (queued.recipient_code, queued.state) == ("000.00.00.G01", "queued")
    # The package for the external recipient was queued in the dispatch's transaction.
    package = OutboxPackage.objects.get(dispatch_id=queued.pk)
    assert (package.to_org, package.to_node, package.business) == (
        "000.00.00.G01",
        "peer.g01",
        "new",
    )
    # The copy is kept: the document stays in the sending unit's outgoing register.
    assert RegisterEntry.objects.filter(
        document=sent.document, register__unit=tree["office"], register__kind="outgoing"
    ).exists()


def test_reviewers_speak_in_order(tree: dict[str, Any], people: dict[str, Any]) -> None:
    p = people
    process = draft(tree, p, reviewers=[p["r1"], p["r2"]])
    svc.outgoing_submit(actor=p["drafter"], process=process)
    with pytest.raises(Conflict, match=r"reviewer1|Reviewer1"):
        svc.outgoing_review(actor=p["r2"], process=process, decision=ReviewDecision.APPROVED)
    with pytest.raises(PermissionDenied):
        svc.outgoing_review(actor=p["clerk"], process=process, decision=ReviewDecision.APPROVED)
    with pytest.raises(Conflict, match="Every reviewer"):
        svc.outgoing_approve(actor=p["signer"], process=process)
    svc.outgoing_review(actor=p["r1"], process=process, decision=ReviewDecision.APPROVED)
    with pytest.raises(Conflict, match="already"):
        svc.outgoing_review(actor=p["r1"], process=process, decision=ReviewDecision.APPROVED)


def test_return_needs_a_comment(tree: dict[str, Any], people: dict[str, Any]) -> None:
    p = people
    process = draft(tree, p, reviewers=[p["r1"]])
    svc.outgoing_submit(actor=p["drafter"], process=process)
    with pytest.raises(ValidationFailed, match="comment"):
        svc.outgoing_review(actor=p["r1"], process=process, decision=ReviewDecision.RETURNED)


def test_seal_before_signature_is_refused(tree: dict[str, Any], people: dict[str, Any]) -> None:
    p = people
    process = draft(tree, p)
    svc.outgoing_submit(actor=p["drafter"], process=process)
    svc.outgoing_approve(actor=p["signer"], process=process)
    with pytest.raises(Conflict, match=r"Art\. 32"):
        sig.outgoing_seal(actor=p["clerk"], process=process, confirmation="000000")
    with pytest.raises(Conflict, match="after it has been signed"):
        svc.outgoing_number(actor=p["clerk"], process=process)
    sign(p, process)
    with pytest.raises(Conflict, match="Number the document"):
        sig.outgoing_seal(actor=p["clerk"], process=process, confirmation="000000")


def test_only_the_chosen_signer_signs(tree: dict[str, Any], people: dict[str, Any]) -> None:
    p = people
    process = draft(tree, p)
    svc.outgoing_submit(actor=p["drafter"], process=process)
    with pytest.raises(PermissionDenied):
        svc.outgoing_approve(actor=p["r2"], process=process)  # a leader, not the signer
    with pytest.raises(Conflict, match="approved"):
        sig.outgoing_sign(actor=p["signer"], process=process, confirmation="000000")


def test_draft_checks_before_storing(tree: dict[str, Any], people: dict[str, Any]) -> None:
    p = people
    with pytest.raises(ValidationFailed, match="authority to sign"):
        svc.outgoing_draft(
            actor=p["drafter"],
            unit=tree["office"],
            file=pdf("X"),
            metadata={"subject": "X", "doc_type": "quyet_dinh"},
            signer=p["r1"],
        )
    with pytest.raises(ValidationFailed, match="register"):
        svc.outgoing_draft(
            actor=p["drafter"],
            unit=tree["office"],
            file=pdf("X"),
            metadata={"subject": "X", "doc_type": "quyet_dinh", "notation": "5-QĐ/VPTU"},
            signer=p["signer"],
        )
    with pytest.raises(PermissionDenied):
        draft(tree, {**p, "drafter": p["leader_a"]})
    assert not OutgoingProcess.objects.exists()
    assert not AuditEvent.objects.filter(action="documents.captured").exists()


def test_new_version_only_while_editable(tree: dict[str, Any], people: dict[str, Any]) -> None:
    p = people
    process = draft(tree, p)
    svc.outgoing_submit(actor=p["drafter"], process=process)
    with pytest.raises(Conflict, match="returned draft"):
        svc.outgoing_new_version(actor=p["drafter"], process=process, file=pdf("late"))
    assert process.document.versions.count() == 1


def test_replacement_and_errata_chains(
    tree: dict[str, Any], people: dict[str, Any], exchange_federation: Any
) -> None:
    p = people
    process = to_sealed(tree, p)
    with pytest.raises(Conflict, match="sent"):
        svc.outgoing_replace(actor=p["drafter"], process=process, file=pdf("R"))
    svc.outgoing_dispatch(
        actor=p["clerk"], process=process, internal_units=[], external_codes=["G01"]
    )
    errata = svc.outgoing_errata(actor=p["drafter"], process=process, file=pdf("E"))
    assert (errata.kind, errata.corrects_id, errata.state) == (
        OutgoingKind.ERRATA,
        process.pk,
        OutgoingState.DRAFT,
    )
    assert errata.document.doc_type_id == "cong_van"
    assert "01-QĐ/VPTU" in errata.document.subject
    replacement = svc.outgoing_replace(actor=p["drafter"], process=process, file=pdf("R"))
    assert replacement.kind == OutgoingKind.REPLACEMENT
    assert replacement.signer == p["signer"]
    # The replacement goes round the same circuit and gets its own number.
    svc.outgoing_submit(actor=p["drafter"], process=replacement)
    svc.outgoing_approve(actor=p["signer"], process=replacement)
    sign(p, replacement)
    numbered = svc.outgoing_number(actor=p["clerk"], process=replacement)
    numbered.document.refresh_from_db()
    assert numbered.document.notation == "02-QĐ/VPTU"
    assert set(process.corrections.values_list("kind", flat=True)) == {"errata", "replacement"}


def test_recall_notifies_recipients_and_they_confirm(
    tree: dict[str, Any], people: dict[str, Any], exchange_federation: Any
) -> None:
    p = people
    process = to_sealed(tree, p)
    svc.outgoing_dispatch(
        actor=p["clerk"],
        process=process,
        internal_units=[tree["commune_a"]],
        external_codes=["G01"],
    )
    with pytest.raises(PermissionDenied):
        svc.outgoing_recall(actor=p["clerk"], process=process, reason="Sai nội dung")
    with pytest.raises(ValidationFailed):
        svc.outgoing_recall(actor=p["signer"], process=process, reason=" ")
    svc.outgoing_recall(actor=p["signer"], process=process, reason="Sai nội dung")
    process.refresh_from_db()
    assert process.state == OutgoingState.RECALLED
    told = Notification.objects.get(user=p["clerk_a"], message__contains="recalled")
    assert "Sai nội dung" in told.message
    # The external recipient's node is told to revoke it (edXML business type "revoke").
    dispatch = ExternalDispatch.objects.get(process=process)
    assert dispatch.state == "recall_requested"
    revoke = OutboxPackage.objects.get(dispatch_id=dispatch.pk, business="revoke")
    assert revoke.to_org == "G01"

    with pytest.raises(PermissionDenied):
        svc.outgoing_recall_confirm(actor=p["clerk"], process=process, unit=tree["commune_a"])
    delivery = svc.outgoing_recall_confirm(
        actor=p["clerk_a"], process=process, unit=tree["commune_a"]
    )
    assert delivery.recall_confirmed_by == p["clerk_a"]
    assert AuditEvent.objects.filter(action="office.outgoing_recall_confirmed").count() == 1
    # The recipient's processing of the recalled document is closed; its register entry stays.
    assert delivery.incoming is not None
    delivery.incoming.refresh_from_db()
    assert delivery.incoming.state == IncomingState.RECALLED
    assert delivery.incoming.closed_at is not None
    assert delivery.incoming.entry_id is not None
    with pytest.raises(Conflict, match="already"):
        svc.outgoing_recall_confirm(actor=p["clerk_a"], process=process, unit=tree["commune_a"])


def test_dispatch_validates_recipients(
    tree: dict[str, Any], people: dict[str, Any], exchange_federation: Any
) -> None:
    p = people
    process = to_sealed(tree, p)
    with pytest.raises(ValidationFailed, match="at least one"):
        svc.outgoing_dispatch(
            actor=p["clerk"], process=process, internal_units=[], external_codes=[]
        )
    with pytest.raises(ValidationFailed, match="agency code"):
        svc.outgoing_dispatch(
            actor=p["clerk"], process=process, internal_units=[], external_codes=["bad code!"]
        )
    with pytest.raises(ValidationFailed, match="not in the exchange directory"):
        svc.outgoing_dispatch(
            actor=p["clerk"], process=process, internal_units=[], external_codes=["000.00.00.X99"]
        )
    assert not OutboxPackage.objects.exists()
    with pytest.raises(ValidationFailed, match="itself"):
        svc.outgoing_dispatch(
            actor=p["clerk"], process=process, internal_units=[tree["office"]], external_codes=[]
        )
    with pytest.raises(PermissionDenied):
        svc.outgoing_dispatch(
            actor=p["clerk_a"], process=process, internal_units=[], external_codes=["G01"]
        )
