"""The demo's signing certificates (secretariat/demo/signing.py): who gets one, idempotence,
and that they sign."""

from __future__ import annotations

import io
from typing import Any

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from reportlab.pdfgen import canvas

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.demo.province import NAMED_ACCOUNTS
from secretariat.demo.signing import seed_signing
from secretariat.signing import keys, pki, trust
from secretariat.signing.models import Credential, CredentialPurpose, KeyBackend


def _world(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """The named accounts (roles as in the demo), one more leader, a specialist, and a clerk
    of commune A besides the province office's."""
    for account in NAMED_ACCOUNTS:
        make_user(
            account.username,
            role=account.role,
            unit=tree["office"],
            position=(tree["office"], account.title),
        )
    return {
        "leader_b": make_user("leaderb", role=Role.LEADER, unit=tree["commune_b"]),
        "specialist": make_user("specialist", role=Role.SPECIALIST, unit=tree["commune_a"]),
        "clerk_a": make_user("clerka", role=Role.RECORDS_CLERK, unit=tree["commune_a"]),
    }


def test_seed_signing_gives_people_and_units_their_certificates(
    tree: dict[str, Any], make_user: Any
) -> None:
    extra = _world(tree, make_user)
    out = io.StringIO()
    seed_signing(stdout=out)
    personal = Credential.objects.filter(purpose=CredentialPurpose.PERSONAL)
    holders = set(personal.values_list("user__username", flat=True))
    assert holders == {a.username for a in NAMED_ACCOUNTS} | {"leaderb"}
    assert extra["specialist"].username not in holders
    seals = set(
        Credential.objects.filter(purpose=CredentialPurpose.SEAL).values_list("unit", flat=True)
    )
    assert seals == {tree["office"].pk, tree["commune_a"].pk}
    assert all(c.backend == KeyBackend.PKCS12 for c in Credential.objects.all())
    assert "(10 new, 10 images)" in out.getvalue()
    # Each drawn: a signature for people, the seal for units.
    assert not Credential.objects.filter(image__isnull=True, purpose__in=["personal", "seal"])

    # Idempotent: a rerun issues nothing and records nothing.
    events = AuditEvent.objects.count()
    lines: list[str] = []
    seed_signing(stdout=lines.append)
    assert Credential.objects.count() == 10
    assert AuditEvent.objects.count() == events
    assert lines == ["signing certificates: 8 people, 2 seals (0 new, 0 images)"]


def test_the_demo_leader_signs_and_the_signature_validates(
    tree: dict[str, Any], make_user: Any
) -> None:
    _world(tree, make_user)
    seed_signing()
    leader = Credential.objects.get(user__username="leader")
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, "Giấy mời")
    page.showPage()
    page.save()
    with keys.open_signer(leader) as signer:
        signed = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(out.getvalue())),
            signers.PdfSignatureMetadata(
                field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES
            ),
            signer=signer,
        ).getvalue()
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = validate_pdf_signature(signature, trust.validation_context(allow_fetching=False))
    assert status.bottom_line
    assert "Common Name: Leader" in status.signing_cert.subject.human_friendly


def test_a_revoked_demo_certificate_is_replaced_on_rerun(
    tree: dict[str, Any], make_user: Any
) -> None:
    _world(tree, make_user)
    seed_signing()
    first = Credential.objects.get(user__username="clerk")
    pki.revoke(actor=None, credential=first, reason="superseded")
    seed_signing()
    current = pki.current_credential(purpose=CredentialPurpose.PERSONAL, user=first.user)
    assert current is not None
    assert current != first
