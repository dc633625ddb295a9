"""The trust store: which roots validation trusts, which intermediates help build chains, and
the revocation data this node can give without the network (the built-in authority's CRL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext

from . import pki
from .models import AnchorKind, Authority, TrustAnchor


def _load(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(bytes(der))


def trust_roots() -> list[asn1_x509.Certificate]:
    return [
        _load(der)
        for der in TrustAnchor.objects.filter(active=True, kind=AnchorKind.ROOT).values_list(
            "certificate", flat=True
        )
    ]


def intermediates() -> list[asn1_x509.Certificate]:
    return [
        _load(der)
        for der in TrustAnchor.objects.filter(
            active=True, kind=AnchorKind.INTERMEDIATE
        ).values_list("certificate", flat=True)
    ]


def validation_context(
    *,
    extra_roots: Sequence[bytes] = (),
    moment: dt.datetime | None = None,
    allow_fetching: bool = True,
) -> ValidationContext:
    """A pyhanko-certvalidator context trusting exactly the active roots (plus `extra_roots`,
    DER, given by the caller — e.g. `validate_pdf --trust-root`), with the built-in authority's
    current CRL supplied locally so its certificates validate without a running server."""
    crls = [pki.crl_der()] if Authority.objects.filter(active=True).exists() else []
    return ValidationContext(
        trust_roots=[*trust_roots(), *(_load(r) for r in extra_roots)],
        other_certs=intermediates(),
        crls=crls,
        allow_fetching=allow_fetching,
        revocation_mode="soft-fail",
        moment=moment,
    )
