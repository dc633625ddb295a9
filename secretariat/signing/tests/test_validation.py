"""Validation of PDF signatures: the ETSI EN 319 102-1 verdict of each signature and the facts
behind it, on PDFs signed with real keys, time stamps and CRLs of the built-in authority."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from secretariat.core import clock
from secretariat.signing import pki, validation
from secretariat.signing.models import Authority
from secretariat.signing.tests.validation_pdfs import (
    SIGNED_TEXT,
    add_page_text,
    foreign_authority,
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)
from secretariat.signing.validation import NotAPdf, validate


@pytest.fixture
def signer_user(make_user: Any) -> Any:
    return make_user("nguyenvana")


@pytest.fixture
def credential(signer_user: Any) -> Any:
    return personal_credential(signer_user)


def _only(report: validation.Report) -> validation.SignatureReport:
    assert len(report.signatures) == 1
    return report.signatures[0]


def test_a_timestamped_signature_passes_with_all_its_facts(credential: Any) -> None:
    report = validate(sign(plain_pdf(), key_holder(credential)), allow_fetching=False)
    signature = _only(report)
    assert report.status == "passed"
    assert (signature.indication, signature.sub_indication) == ("TOTAL-PASSED", None)
    assert signature.intact
    assert signature.trusted
    assert not signature.modified_after_signing
    assert signature.signer == "Nguyễn Văn A"
    assert signature.certificate is not None
    assert signature.certificate["title"] == "Bí thư"
    assert signature.certificate["organization"] == "Tỉnh ủy Lâm Đồng"
    assert signature.certificate["fingerprint_sha256"] == credential.fingerprint
    assert signature.certificate["serial"] == credential.serial
    root = pki.authority_certificate()
    assert signature.chain == [
        "CN=Nguyễn Văn A,title=Bí thư,O=Tỉnh ủy Lâm Đồng,C=VN",
        root.subject.rfc4514_string(),
    ]
    assert signature.trust_anchor is not None
    assert signature.trust_anchor["subject"] == root.subject.rfc4514_string()
    # The built-in authority's CRL, given by this node without any network.
    assert signature.revocation["status"] == "good"
    assert signature.revocation["source"] == "local"
    assert signature.timestamp is not None
    assert "Time-Stamp Authority" in signature.timestamp["tsa"]
    assert signature.timestamp["valid"]
    assert signature.signed_at == {"time": signature.timestamp["time"], "claimed": False}
    assert signature.coverage == "entire_file"
    assert signature.modifications["revisions_after"] == 0
    assert (signature.level, signature.format) == ("B-T", "PAdES")
    assert signature.details["process"] == "LTVM"


def test_a_signature_without_timestamp_has_only_a_claimed_time(credential: Any) -> None:
    signature = _only(validate(sign(plain_pdf(), key_holder(credential), level="B-B")))
    assert signature.indication == "TOTAL-PASSED"
    assert signature.level == "B-B"
    assert signature.timestamp is None
    assert signature.signed_at is not None
    assert signature.signed_at["claimed"] is True
    assert signature.details["process"] == "Basic"


def test_long_term_signatures_carry_their_validation_data(credential: Any) -> None:
    for level in ("B-LT", "B-LTA"):
        pdf = sign(plain_pdf(), key_holder(credential), level=level)
        signature = _only(validate(pdf, allow_fetching=False))
        assert (signature.indication, signature.level) == ("TOTAL-PASSED", level)
        # The CRL travels inside the file (document security store).
        assert signature.revocation == {
            **signature.revocation,
            "status": "good",
            "source": "embedded",
        }
        # Validation data and a document time stamp are not changes to the document.
        assert not signature.modified_after_signing
    assert signature.details["process"] == "LTA"
    assert signature.modifications["level"] == "lta_updates"


def test_changed_bytes_in_the_signed_range_are_a_hash_failure(credential: Any) -> None:
    pdf = sign(plain_pdf(), key_holder(credential))
    at = pdf.index(SIGNED_TEXT)
    tampered = pdf[:at] + b"Quyet dinh so 13" + pdf[at + 16 :]
    assert len(tampered) == len(pdf)
    report = validate(tampered)
    signature = _only(report)
    assert (signature.indication, signature.sub_indication) == ("TOTAL-FAILED", "HASH_FAILURE")
    assert not signature.intact
    assert report.status == "failed"


def test_a_second_signature_is_an_allowed_change(credential: Any, make_user: Any) -> None:
    seal_holder = personal_credential(make_user("vanthu"), common_name="Văn phòng Tỉnh ủy")
    once = sign(plain_pdf(), key_holder(credential), field_name="Personal")
    twice = sign(once, key_holder(seal_holder), field_name="Seal")
    first, second = validate(twice).signatures
    assert [first.field_name, second.field_name] == ["Personal", "Seal"]
    assert first.indication == second.indication == "TOTAL-PASSED"
    assert first.coverage == "entire_revision"
    assert second.coverage == "entire_file"
    assert first.modified_after_signing
    assert not second.modified_after_signing
    assert first.modifications == {
        "revisions_after": 1,
        "level": "form_filling",
        "allowed": True,
        "changed_fields": ["Seal"],
        "detail": "",
    }


def test_content_added_after_signing_fails_the_signature(credential: Any) -> None:
    signed = sign(plain_pdf(), key_holder(credential))
    changed = add_page_text(signed, "DA SUA SAU KHI KY")
    signature = _only(validate(changed))
    # The signed revision itself is untouched…
    assert signature.intact
    assert signature.coverage == "entire_revision"
    # …but the document shown is not the one signed.
    assert signature.modified_after_signing
    assert signature.modifications["revisions_after"] == 1
    assert signature.modifications["level"] == "other"
    assert signature.modifications["allowed"] is False
    assert (signature.indication, signature.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")


def test_a_root_outside_the_trust_store_is_no_certificate_chain_found(db: Any) -> None:
    foreign = foreign_authority()
    pdf = sign(plain_pdf(), foreign.signer, level="B-B")
    signature = _only(validate(pdf, allow_fetching=False))
    assert (signature.indication, signature.sub_indication) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )
    assert signature.intact
    assert not signature.trusted
    assert signature.trust_anchor is None
    # As far as the file's certificates go: the signer's (the foreign root is not in it).
    assert signature.chain[0] == "CN=Trần Thị B,C=VN"
    # Trusted when the caller adds the root (PEM or DER), and only then.
    for root in (foreign.root_pem, foreign.root_der):
        trusted = _only(validate(pdf, extra_roots=[root], allow_fetching=False))
        assert (trusted.indication, trusted.trusted) == ("TOTAL-PASSED", True)
        assert trusted.chain == ["CN=Trần Thị B,C=VN", "CN=Foreign Root CA,O=Cơ quan khác,C=VN"]
        assert trusted.revocation["status"] == "unknown"


def test_a_certificate_revoked_before_signing_fails(credential: Any) -> None:
    pki.revoke(actor=None, credential=credential, reason="key_compromise")
    # Whoever holds the key signs after the revocation; the content time stamp proves when.
    pdf = sign(plain_pdf(), key_holder(credential), level="B-T", content_timestamp=True)
    signature = _only(validate(pdf))
    assert (signature.indication, signature.sub_indication) == ("TOTAL-FAILED", "REVOKED")
    assert signature.revocation["status"] == "revoked"
    assert signature.revocation["reason"] == "key_compromise"
    assert signature.revocation["source"] == "local"
    assert signature.revocation["revoked_at"] is not None


def test_a_revoked_certificate_without_proof_of_time_is_indeterminate(credential: Any) -> None:
    pdf = sign(plain_pdf(), key_holder(credential), level="B-B")
    pki.revoke(actor=None, credential=credential)
    signature = _only(validate(pdf))
    assert (signature.indication, signature.sub_indication) == ("INDETERMINATE", "REVOKED_NO_POE")
    assert signature.revocation["status"] == "revoked"


def test_a_signature_timestamped_before_the_revocation_still_passes(credential: Any) -> None:
    pdf = sign(plain_pdf(), key_holder(credential), level="B-T")
    # CRLs give revocation times to the second: revoke in a later second than the time stamp.
    time.sleep(1.1)
    pki.revoke(actor=None, credential=credential, reason="superseded")
    signature = _only(validate(pdf))
    assert signature.indication == "TOTAL-PASSED"
    assert signature.revocation["status"] == "revoked"
    assert signature.revocation["revoked_at"] > signature.timestamp["time"]  # type: ignore[index]


def test_expired_certificate_with_and_without_timestamp(signer_user: Any) -> None:
    """A certificate valid for a few seconds signs twice, with and without a time stamp; once it
    has expired, only the time-stamped signature proves it was made while valid."""
    import datetime as dt

    from secretariat.core import clock

    lifetime = dt.timedelta(seconds=6)
    expiring = personal_credential(
        signer_user, not_before=clock.now() - dt.timedelta(days=1) + lifetime, valid_days=1
    )
    with_timestamp = sign(plain_pdf(), key_holder(expiring), level="B-T")
    without = sign(plain_pdf(), key_holder(expiring), level="B-B")
    assert clock.now() < expiring.not_after, "signing took longer than the certificate lived"
    time.sleep(max(0.0, (expiring.not_after - clock.now()).total_seconds()) + 1.5)

    stamped = _only(validate(with_timestamp))
    assert (stamped.indication, stamped.sub_indication) == ("TOTAL-PASSED", None)
    assert stamped.signed_at is not None
    assert not stamped.signed_at["claimed"]

    unstamped = _only(validate(without))
    assert (unstamped.indication, unstamped.sub_indication) == (
        "INDETERMINATE",
        "OUT_OF_BOUNDS_NO_POE",
    )
    assert unstamped.trusted  # it does chain to the root; it is the time that is missing


def test_what_is_not_a_pdf_is_refused_clearly(db: Any) -> None:
    for data in (b"", b"hello world", b"PK\x03\x04 a zip", b"%PDF-1.7\n garbage \x00\xff"):
        with pytest.raises(NotAPdf) as refused:
            validate(data)
        assert refused.value.status == 400
        assert str(refused.value.message)


def test_an_unsigned_pdf_gives_an_empty_report(db: Any) -> None:
    report = validate(plain_pdf())
    assert report.signatures == []
    assert report.status == "unsigned"
    assert report.to_dict()["count"] == 0


def test_a_broken_signature_is_a_format_failure_not_an_error(credential: Any) -> None:
    pdf = sign(plain_pdf(), key_holder(credential))
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    # The CMS replaced by bytes that are not DER (same length: the byte range still fits).
    broken = pdf[:start] + b"ff" * ((end - start) // 2) + pdf[end:]
    signature = _only(validate(broken))
    assert (signature.indication, signature.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert not signature.intact
    assert signature.message


def test_an_unsupported_signature_format_is_reported(credential: Any) -> None:
    pdf = sign(plain_pdf(), key_holder(credential))
    legacy = pdf.replace(b"/ETSI.CAdES.detached", b"/adbe.pkcs7.sha1\x20\x20\x20\x20")
    signature = _only(validate(legacy))
    assert (signature.indication, signature.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert signature.format == "adbe.pkcs7.sha1"


def test_the_report_is_json_and_comes_back_from_its_dict(credential: Any) -> None:
    report = validate(sign(plain_pdf(), key_holder(credential)))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["status"] == "passed"
    assert data["count"] == 1
    again = validation.Report.from_dict(data)
    assert again == report
    assert again.etsi_xml() == report.etsi_xml()


def test_validation_changes_nothing_in_the_database(credential: Any) -> None:
    """Validation reads the trust store and the authority's CRL; it writes no row."""
    from django.apps import apps

    pdf = sign(plain_pdf(), key_holder(credential))
    validate(pdf)  # the CRL of this minute is signed (and numbered) once
    counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    authority = Authority.objects.get()
    validate(pdf)
    assert {m._meta.label: m._default_manager.count() for m in apps.get_models()} == counts
    assert Authority.objects.get().crl_number == authority.crl_number
    assert clock.now()


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_signatures_made_here_validate_at_their_level(credential: Any, level: str) -> None:
    """What the signing service produces (pades.sign_pdf, visible stamp) passes, at the level
    asked for."""
    from secretariat.signing import keys, pades
    from secretariat.signing.appearance import Stamp

    stamp = Stamp(signer_name="Nguyễn Văn A", title="Bí thư", unit="Tỉnh ủy Lâm Đồng")
    with keys.open_signer(credential) as signer:
        pdf = pades.sign_pdf(plain_pdf(), signer=signer, level=level, stamp=stamp)
    signature = _only(validate(pdf, allow_fetching=False))
    assert (signature.indication, signature.level) == ("TOTAL-PASSED", level)
    assert not signature.modified_after_signing
