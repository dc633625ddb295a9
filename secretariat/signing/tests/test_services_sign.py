"""`services.sign` (and `sign_with_device`), the one way to sign on the server: which
credentials may sign, the audit event, keys in SoftHSM2."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, ValidationFailed
from secretariat.signing import pki, services, tsa
from secretariat.signing.appearance import Stamp
from secretariat.signing.models import Credential, KeyBackend
from secretariat.signing.tests.softhsm import SoftToken
from secretariat.signing.tests.test_pades import (
    assert_independently_valid,
    hsm_credential,
    make_pdf,
    pdfsig,
    personal_credential,
)


def _signed_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="signing.signed").order_by("seq"))


@pytest.fixture
def leader(make_user: Callable[..., Any]) -> Any:
    return make_user("leader")


def test_sign_returns_the_signed_pdf_and_records_it(leader: Any, tmp_path: Path) -> None:
    """The signed PDF validates; the details the office keeps and the audit event name the
    certificate, the level and the digests of what went in and came out."""
    credential = personal_credential(leader)
    pdf = make_pdf()
    signed = services.sign(
        actor=leader,
        credential=credential,
        pdf=pdf,
        level="B-T",
        stamp=Stamp(signer_name="Nguyễn Thị Hằng", title="Bí thư"),
        reason="Ký ban hành",
        location="Đà Lạt",
    )
    assert_independently_valid(signed.pdf, tmp_path, level="B-T")
    assert signed.details == {
        "credential": str(credential.pk),
        "certificate_subject": credential.subject,
        "certificate_serial": credential.serial,
        "level": "B-T",
        "input_sha256": hashlib.sha256(pdf).hexdigest(),
        "output_sha256": hashlib.sha256(signed.pdf).hexdigest(),
        "signed_at": signed.details["signed_at"],
    }
    assert dt.datetime.fromisoformat(signed.details["signed_at"]) <= clock.now()
    (event,) = _signed_events()
    assert event.actor_id == leader.pk
    assert event.object_id == str(credential.pk)
    assert event.object_type == "signing.credential"
    assert event.data == {k: v for k, v in signed.details.items() if k != "credential"}


def test_level_defaults_to_the_setting(leader: Any, settings: Any) -> None:
    settings.SIGNING_LEVEL = "B-LT"
    signed = services.sign(actor=leader, credential=personal_credential(leader), pdf=make_pdf())
    assert signed.details["level"] == "B-LT"
    assert b"/DSS" in signed.pdf


def test_an_unknown_level_is_a_validation_error(leader: Any) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.sign(
            actor=leader, credential=personal_credential(leader), pdf=make_pdf(), level="B-X"
        )
    assert "level" in raised.value.field_errors
    assert _signed_events() == []


def test_a_pdf_that_cannot_be_signed_is_refused_without_a_record(leader: Any) -> None:
    with pytest.raises(ValidationFailed, match="not a PDF"):
        services.sign(actor=leader, credential=personal_credential(leader), pdf=b"hello")
    assert _signed_events() == []


def _revoked(credential: Credential) -> None:
    pki.revoke(actor=None, credential=credential, reason="key_compromise")


def _expired(credential: Credential) -> None:
    Credential.objects.filter(pk=credential.pk).update(
        not_after=clock.now() - dt.timedelta(minutes=1)
    )


def _not_yet_valid(credential: Credential) -> None:
    Credential.objects.filter(pk=credential.pk).update(
        not_before=clock.now() + dt.timedelta(days=1)
    )


def _inactive(credential: Credential) -> None:
    Credential.objects.filter(pk=credential.pk).update(active=False)


def _on_a_workstation(credential: Credential) -> None:
    Credential.objects.filter(pk=credential.pk).update(
        backend=KeyBackend.WORKSTATION, sealed_pkcs12=None
    )


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_revoked, "revoked"),
        (_expired, "expired"),
        (_not_yet_valid, "not valid yet"),
        (_inactive, "no longer active"),
        (_on_a_workstation, "signing agent"),
    ],
)
def test_unusable_credentials_are_refused(
    leader: Any, spoil: Callable[[Credential], None], message: str
) -> None:
    credential = personal_credential(leader)
    spoil(credential)
    credential.refresh_from_db()
    with pytest.raises(Conflict, match=message):
        services.sign(actor=leader, credential=credential, pdf=make_pdf(), level="B-B")
    assert _signed_events() == []


def test_the_time_stamp_authority_key_does_not_sign_documents(leader: Any) -> None:
    with pytest.raises(Conflict, match="time stamps"):
        services.sign(actor=leader, credential=tsa.tsa_credential(), pdf=make_pdf())


# --- Keys in the HSM (SoftHSM2) ------------------------------------------------------------


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LTA"])
def test_an_hsm_key_signs_with_the_time_stamp_key_in_the_same_hsm(
    leader: Any, hsm: dict[str, str], tmp_path: Path, level: str
) -> None:
    """The node's usual set-up: the signer's key and the built-in time-stamp authority's key
    both in the HSM; the time stamp is made while the signer's session is open."""
    credential = hsm_credential(leader, hsm)
    signed = services.sign(actor=leader, credential=credential, pdf=make_pdf(), level=level)
    assert_independently_valid(signed.pdf, tmp_path, level=level)
    assert tsa.tsa_credential().backend == KeyBackend.PKCS11


def test_a_wrong_pin_is_a_validation_error(leader: Any, hsm: dict[str, str]) -> None:
    credential = hsm_credential(leader, hsm)
    with pytest.raises(ValidationFailed, match="PIN") as raised:
        services.sign(
            actor=leader, credential=credential, pdf=make_pdf(), level="B-B", pin="000000"
        )
    assert "pin" in raised.value.field_errors
    assert _signed_events() == []


def test_a_token_key_given_by_its_labels_signs(
    leader: Any, softhsm_token: SoftToken, tmp_path: Path
) -> None:
    """`sign_with_device`: the key and its certificate found on the token by label (the
    operator's token of `sign_pdf --pkcs11-module …`)."""
    signed = services.sign_with_device(
        actor=leader,
        module=softhsm_token.module,
        token_label=softhsm_token.token_label,
        key_label=softhsm_token.key_label,
        pin=softhsm_token.pin,
        pdf=make_pdf(),
        level="B-LT",
    )
    assert_independently_valid(signed.pdf, tmp_path, level="B-LT")
    (event,) = _signed_events()
    assert event.data["token"] == softhsm_token.token_label
    assert event.data["key_label"] == softhsm_token.key_label
    assert event.data["certificate_subject"].startswith("CN=Nguyễn Văn An")
    assert event.object_id == ""


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"pin": "999999"}, ValidationFailed, "PIN"),
        ({"token_label": "absent"}, Conflict, "not present"),
        ({"key_label": "absent"}, Conflict, "not on its token"),
        ({"module": "/nonexistent/libpkcs11.so"}, Conflict, "cannot be loaded"),
    ],
)
def test_token_problems_are_explained(
    leader: Any,
    softhsm_token: SoftToken,
    change: dict[str, str],
    error: type[Exception],
    message: str,
) -> None:
    arguments: dict[str, Any] = {
        "module": softhsm_token.module,
        "token_label": softhsm_token.token_label,
        "key_label": softhsm_token.key_label,
        "pin": softhsm_token.pin,
    } | change
    with pytest.raises(error, match=message):
        services.sign_with_device(actor=leader, pdf=make_pdf(), level="B-B", **arguments)
    assert _signed_events() == []


def test_a_registered_token_certificate_of_someone_else_is_refused(
    leader: Any, make_user: Callable[..., Any], softhsm_token: SoftToken, tmp_path: Path
) -> None:
    """When the token's certificate is registered, it must be the signer's; a revoked one is
    refused like any credential."""
    other = make_user("other")
    row = pki.credential_row(
        pki.load_certificate(softhsm_token.certificate_der),
        purpose="personal",
        backend=KeyBackend.PKCS11,
        user=other,
        issued_here=True,
    )
    row.pkcs11_token_label = softhsm_token.token_label
    row.pkcs11_key_label = softhsm_token.key_label
    row.save()
    arguments: dict[str, Any] = {
        "module": softhsm_token.module,
        "token_label": softhsm_token.token_label,
        "key_label": softhsm_token.key_label,
        "pin": softhsm_token.pin,
        "pdf": make_pdf(),
        "level": "B-B",
    }
    with pytest.raises(Conflict, match="someone else"):
        services.sign_with_device(actor=leader, **arguments)
    signed = services.sign_with_device(actor=other, **arguments)
    assert pdfsig(signed.pdf, tmp_path)[0]["Signature Validation"] == "Signature is Valid."
    assert _signed_events()[0].object_id == str(row.pk)
    Credential.objects.filter(pk=row.pk).update(revoked_at=clock.now(), active=False)
    with pytest.raises(Conflict, match="revoked"):
        services.sign_with_device(actor=other, **arguments)
