"""Filters for showing a validation report (`validation.Report.to_dict()`) in plain words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# EN 319 102-1 sub-indications, said so that a clerk understands what is wrong.
REASONS = {
    "HASH_FAILURE": _("the signed content was altered after signing"),
    "SIG_CRYPTO_FAILURE": _("the signature does not match the signer's certificate"),
    "FORMAT_FAILURE": _(
        "the signature cannot be read or does not follow the rules of PDF signatures"
    ),
    "REVOKED": _("the certificate had already been revoked when the document was signed"),
    "NOT_YET_VALID": _("the certificate was not yet valid when the document was signed"),
    "EXPIRED": _("the certificate had expired when the document was signed"),
    "NO_CERTIFICATE_CHAIN_FOUND": _(
        "the certificate was not issued by an authority this system trusts"
    ),
    "REVOKED_NO_POE": _(
        "the certificate has been revoked and nothing proves the signature was made before"
    ),
    "REVOKED_CA_NO_POE": _(
        "the certificate of the issuing authority has been revoked and nothing proves the "
        "signature was made before"
    ),
    "OUT_OF_BOUNDS_NO_POE": _(
        "the certificate is not valid now (expired or not yet valid) and nothing proves the "
        "signature was made while it was"
    ),
    "OUT_OF_BOUNDS_NOT_REVOKED": _(
        "the certificate has expired; it was not revoked, but nothing proves the signature "
        "was made while it was valid"
    ),
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": _("the revocation information is too old or too recent"),
    "TRY_LATER": _(
        "the revocation status of the certificate could not be obtained; try again later"
    ),
    "NO_POE": _("nothing proves when the signature was made"),
    "NO_SIGNING_CERTIFICATE_FOUND": _("the signer's certificate is missing from the signature"),
    "CHAIN_CONSTRAINTS_FAILURE": _("the certificate chain does not meet the validation rules"),
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": _("the certificate chain could not be validated"),
    "SIG_CONSTRAINTS_FAILURE": _(
        "the signature does not meet the validation rules (for instance, the certificate may "
        "not be used to sign documents)"
    ),
    "CRYPTO_CONSTRAINTS_FAILURE": _("the signature uses an algorithm no longer considered secure"),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": _(
        "the signature uses an algorithm no longer considered secure"
    ),
    "TIMESTAMP_ORDER_FAILURE": _("the time stamps of the signature are in the wrong order"),
    "POLICY_PROCESSING_ERROR": _("the signature policy could not be processed"),
    "SIGNATURE_POLICY_NOT_AVAILABLE": _("the signature policy is not available"),
    "SIGNED_DATA_NOT_FOUND": _("the signed data could not be found"),
}


@register.filter
def report_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time of the report as an aware datetime (shown in the user's time zone by
    the `date` filter)."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@register.filter
def signature_reason(signature: dict[str, Any]) -> str:
    """Why a signature did not pass, in plain words."""
    sub = signature.get("sub_indication") or ""
    if sub == "FORMAT_FAILURE":
        if signature.get("coverage") == "partial" and signature.get("intact") is not False:
            return str(_("the signature does not cover the whole document"))
        if (signature.get("modifications") or {}).get("allowed") is False:
            return str(
                _("the document was changed after signing in a way a signature does not allow")
            )
    return str(REASONS.get(sub, _("the signature could not be confirmed")))


@register.filter
def signer_label(signature: dict[str, Any]) -> str:
    """ "Nguyễn Văn A (Bí thư, Tỉnh ủy Lâm Đồng)": the name, title and organization in the
    signer's certificate."""
    certificate = signature.get("certificate") or {}
    name = signature.get("signer") or certificate.get("common_name") or str(_("an unknown signer"))
    extra = [str(certificate[key]) for key in ("title", "organization") if certificate.get(key)]
    return f"{name} ({', '.join(extra)})" if extra else str(name)
