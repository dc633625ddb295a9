"""The trust store kept parsed by the process (`trust.snapshot`): validations share it while
nothing changes, and the next validation follows at once when an anchor is added or switched
off, a certificate is revoked, or rows are changed behind the services' back."""

from __future__ import annotations

from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from django.db import connection
from django.test.utils import CaptureQueriesContext

from secretariat.accounts.models import Role
from secretariat.core import clock
from secretariat.signing import pki, trust
from secretariat.signing.models import Credential, TrustAnchor
from secretariat.signing.tests.validation_pdfs import (
    foreign_authority,
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)
from secretariat.signing.validation import SignatureReport, validate


@pytest.fixture
def node_admin(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("nodeadmin", role=Role.SYSTEM_ADMIN, unit=tree["province"])


@pytest.fixture
def credential(make_user: Any) -> Any:
    return personal_credential(make_user("nguyenvana"))


def _only(pdf: bytes, **options: Any) -> SignatureReport:
    report = validate(pdf, allow_fetching=False, **options)
    assert len(report.signatures) == 1
    return report.signatures[0]


def _verdict(pdf: bytes, **options: Any) -> tuple[str, str | None]:
    signature = _only(pdf, **options)
    return signature.indication, signature.sub_indication


def test_validations_share_the_store_while_nothing_changes(credential: Any) -> None:
    """Once built, a validation reads only the store's version (two statements, no
    certificate) and reuses the parsed store."""
    pdf = sign(plain_pdf(), key_holder(credential))
    assert _verdict(pdf) == ("TOTAL-PASSED", None)
    store = trust.snapshot()
    with CaptureQueriesContext(connection) as queries:
        assert _verdict(pdf) == ("TOTAL-PASSED", None)
    assert len(queries.captured_queries) == 2
    assert not any("certificate" in q["sql"] for q in queries.captured_queries)
    assert trust.snapshot() is store


def test_an_anchor_added_is_trusted_at_the_next_validation(node_admin: Any) -> None:
    foreign = foreign_authority()
    pdf = sign(plain_pdf(), foreign.signer, level="B-B")
    assert _verdict(pdf) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    trust.add_anchors(actor=node_admin, data=foreign.root_pem)
    signature = _only(pdf)
    assert (signature.indication, signature.trusted) == ("TOTAL-PASSED", True)
    assert signature.trust_anchor is not None
    assert signature.trust_anchor["subject"] == "CN=Foreign Root CA,O=Cơ quan khác,C=VN"


def test_an_anchor_switched_off_is_not_trusted_at_the_next_validation(
    credential: Any, node_admin: Any
) -> None:
    pdf = sign(plain_pdf(), key_holder(credential))
    assert _verdict(pdf) == ("TOTAL-PASSED", None)
    anchor = TrustAnchor.objects.get(fingerprint=pki.fingerprint(pki.authority_certificate_der()))
    trust.set_anchor_active(actor=node_admin, anchor=anchor, active=False)
    assert _verdict(pdf) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert not _only(pdf).trusted
    trust.set_anchor_active(actor=node_admin, anchor=anchor, active=True)
    assert _verdict(pdf) == ("TOTAL-PASSED", None)


def test_a_revocation_is_seen_at_the_next_validation(credential: Any) -> None:
    pdf = sign(plain_pdf(), key_holder(credential), level="B-B")
    assert _verdict(pdf) == ("TOTAL-PASSED", None)
    pki.revoke(actor=None, credential=credential, reason="key_compromise")
    signature = _only(pdf)
    assert (signature.indication, signature.sub_indication) == ("INDETERMINATE", "REVOKED_NO_POE")
    assert signature.revocation["status"] == "revoked"
    assert signature.revocation["reason"] == "key_compromise"
    assert signature.revocation["source"] == "local"


def test_rows_changed_without_the_services_are_seen_too(credential: Any, make_user: Any) -> None:
    """`QuerySet.update()` leaves updated_at alone (another process, a repair by hand): the
    version still changes."""
    pdf = sign(plain_pdf(), key_holder(credential), level="B-B")
    assert _verdict(pdf) == ("TOTAL-PASSED", None)
    TrustAnchor.objects.update(active=False)
    assert _verdict(pdf) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    TrustAnchor.objects.update(active=True)
    assert _verdict(pdf) == ("TOTAL-PASSED", None)

    other = personal_credential(make_user("tranthib"), common_name="Trần Thị B")
    second = sign(plain_pdf(), key_holder(other), level="B-B")
    assert _verdict(second) == ("TOTAL-PASSED", None)
    Credential.objects.filter(pk=other.pk).update(revoked_at=clock.now(), active=False)
    assert _verdict(second) == ("INDETERMINATE", "REVOKED_NO_POE")
    assert _verdict(pdf) == ("TOTAL-PASSED", None)


def test_a_root_the_caller_adds_is_not_kept_for_the_next_validation(db: Any) -> None:
    foreign = foreign_authority()
    pdf = sign(plain_pdf(), foreign.signer, level="B-B")
    assert _verdict(pdf, extra_roots=[foreign.root_der]) == ("TOTAL-PASSED", None)
    assert _verdict(pdf) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    context = trust.validation_context(allow_fetching=False)
    root = asn1_x509.Certificate.load(foreign.root_der)
    assert not context.path_builder.trust_manager.is_root(root)


def test_the_crl_is_taken_again_when_the_cache_time_is_over(
    credential: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like `pki.crl_der`, the store keeps the authority's CRL `CRL_CACHE_SECONDS` at most."""
    first = trust.snapshot()
    assert trust.snapshot() is first
    monkeypatch.setattr(pki, "CRL_CACHE_SECONDS", 0)
    again = trust.snapshot()
    assert again is not first
    assert again.crls[0].crl_number_value.native > first.crls[0].crl_number_value.native
    pdf = sign(plain_pdf(), key_holder(credential), level="B-B")
    assert _verdict(pdf) == ("TOTAL-PASSED", None)
