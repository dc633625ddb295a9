"""The check of a PDF's digital signatures as it enters (Decree 30 Art. 21.2: authenticity and
integrity of incoming electronic documents), kept with the version: the signing app's
validation report (`signing.validation`) in its JSON form, and as an ETSI XML report."""

from __future__ import annotations

import logging
from typing import Any

from secretariat.signing import validation

log = logging.getLogger(__name__)


def check_signatures(pdf: bytes) -> dict[str, Any]:
    """The validation report of `pdf` as JSON: `status` (passed, failed, indeterminate,
    unsigned), `count`, and one dict per signature (`validation.SignatureReport`).

    Never raises: a file the validator cannot read at all gives a `failed` report with one
    FORMAT_FAILURE entry (a document must never be lost because its signature is broken)."""
    try:
        return validation.validate(pdf).to_dict()
    except Exception as error:  # NotAPdf, or anything a hostile file provokes
        log.info("signatures of a captured PDF unreadable: %s", error)
        broken = validation.SignatureReport(
            field_name="",
            signer="",
            indication=validation.TOTAL_FAILED,
            sub_indication=validation.FORMAT_FAILURE,
            intact=False,
            trusted=False,
            modified_after_signing=False,
            message=str(getattr(error, "message", error))[:300],
        )
        return validation.Report(
            signatures=[broken] if b"/ByteRange" in pdf else [],
            validated_at="",
            document_sha256="",
        ).to_dict()


def signed_report(check: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored check that describes signatures, or None (unsigned, or written by the field
    counter that came before validation: `{"signatures": <count>}`)."""
    if check and isinstance(check.get("signatures"), list) and check["signatures"]:
        return check
    return None


def report_xml(check: dict[str, Any] | None) -> str:
    """The ETSI TS 119 102-2 XML of a stored check; empty when the version has no signature
    (the standard's report describes at least one)."""
    report = signed_report(check)
    if report is None:
        return ""
    try:
        return validation.Report.from_dict(report).etsi_xml().decode("utf-8")
    except Exception as error:  # a report written by an older version of the check
        log.info("no XML report for a stored signature check: %s", error)
        return ""
