"""The trust store: which roots validation trusts, which intermediates help build chains, and
the revocation data this node can give without the network (the built-in authority's CRL).

Administrators with SIGNING_MANAGE on the root of the tree (node-wide) add certificates (one PEM
bundle or one DER file at a time, all or nothing) and switch them on or off; nothing is trusted
implicitly. A self-signed CA certificate is a root, a CA certificate signed by another an
intermediate; a certificate that is not a CA's is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager

from secretariat.accounts import policy
from secretariat.audit.services import record
from secretariat.core import clock
from secretariat.core.errors import NotFound, ValidationFailed
from secretariat.core.locks import for_update, serialize_writes

from . import pki
from .models import AnchorKind, Authority, Credential, TrustAnchor

MAX_BUNDLE_BYTES = 1_000_000
MAX_BUNDLE_CERTIFICATES = 50
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _load(der: bytes | memoryview) -> asn1_x509.Certificate:
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
    current CRL supplied locally so its certificates validate without a running server (the CRL
    is signed again only after a revocation or every few minutes: `pki.crl_der`)."""
    return snapshot().context(extra_roots=extra_roots, moment=moment, allow_fetching=allow_fetching)


# --- The trust store as validation reads it ----------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The active trust store, parsed: roots, intermediates, the built-in authority's CRL and
    certificate. One is shared by every validation of the process until the store changes, so
    that certificates are not read and parsed again (asn1crypto also keeps what it derived from
    them, e.g. the normalized names chains are built on). Nothing here is changed after it is
    built: each validation gets its own `ValidationContext` from `context()`."""

    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...]
    authority: asn1_x509.Certificate | None  # the active built-in authority's certificate
    trust_manager: SimpleTrustManager  # over `roots`

    def context(
        self,
        *,
        extra_roots: Sequence[bytes] = (),
        moment: dt.datetime | None = None,
        allow_fetching: bool = True,
    ) -> ValidationContext:
        """A fresh context on this store, trusting `extra_roots` (DER) too."""
        manager = self.trust_manager
        if extra_roots:
            manager = SimpleTrustManager.build(
                trust_roots=[*self.roots, *(_load(r) for r in extra_roots)]
            )
        return ValidationContext(
            trust_manager=manager,
            other_certs=self.intermediates,
            crls=self.crls,
            allow_fetching=allow_fetching,
            revocation_mode="soft-fail",
            moment=moment,
        )


# (version of the store, monotonic time built, snapshot): one per process.
_snapshot: tuple[tuple[Any, ...], float, Snapshot] | None = None
_snapshot_lock = threading.Lock()


def _version() -> tuple[Any, ...]:
    """What the snapshot depends on, read on every validation: the active anchors as they are
    (a change made with `QuerySet.update()` shows too, which updated_at would miss), the
    active authority and the state of its revocations (as `pki.crl_der` counts them). No
    certificate is read. Two statements written out: through the ORM, building them took
    thirty times as long as running them (1.5 ms against 0.05 ms on SQLite, on every
    validation; see bench/sign.py)."""
    quote = connection.ops.quote_name

    def column(model: type[models.Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)  # a concrete field: a column of the table
        return quote(str(field.column))

    anchors_table = quote(TrustAnchor._meta.db_table)
    authorities_table = quote(Authority._meta.db_table)
    credentials_table = quote(Credential._meta.db_table)
    anchor_id, authority_id = column(TrustAnchor, "id"), column(Authority, "id")
    revoked_at = column(Credential, "revoked_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {anchor_id}, {column(TrustAnchor, 'kind')}, "  # noqa: S608 - names only
            f"{column(TrustAnchor, 'fingerprint')} FROM {anchors_table} "
            f"WHERE {column(TrustAnchor, 'active')} = %s ORDER BY {anchor_id}",
            [True],
        )
        anchors = tuple(
            (_uuid(pk), str(kind), str(digest)) for pk, kind, digest in cursor.fetchall()
        )
        cursor.execute(
            f"SELECT (SELECT {authority_id} FROM {authorities_table} "  # noqa: S608 - names only
            f"WHERE {column(Authority, 'active')} = %s ORDER BY {authority_id} LIMIT 1), "
            f"COUNT(*), MAX({revoked_at}) FROM {credentials_table} "
            f"WHERE {column(Credential, 'issued_here')} = %s AND {revoked_at} IS NOT NULL",
            [True, True],
        )
        authority, revoked, last_revoked = cursor.fetchone()
    return anchors, None if authority is None else (_uuid(authority), revoked, last_revoked)


def _uuid(value: Any) -> uuid.UUID:
    # SQLite gives the 32 hexadecimal digits, PostgreSQL a UUID.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def snapshot() -> Snapshot:
    """The trust store now: built again when an anchor is added, switched off or on, the
    authority changes or one of its certificates is revoked (all seen at once, in every
    process: the version is read on each call), and at least every `pki.CRL_CACHE_SECONDS` so
    that the CRL is as current as `pki.crl_der` gives it."""
    global _snapshot
    version = _version()
    with _snapshot_lock:
        cached = _snapshot
    if (
        cached is not None
        and cached[0] == version
        and time.monotonic() - cached[1] < pki.CRL_CACHE_SECONDS
    ):
        return cached[2]
    built = _build(version)
    with _snapshot_lock:
        _snapshot = (version, time.monotonic(), built)
    return built


def _build(version: tuple[Any, ...]) -> Snapshot:
    anchors, authority = version
    kinds = {pk: kind for pk, kind, _digest in anchors}
    loaded: dict[str, list[asn1_x509.Certificate]] = {
        AnchorKind.ROOT: [],
        AnchorKind.INTERMEDIATE: [],
    }
    rows = TrustAnchor.objects.filter(pk__in=list(kinds)).order_by("kind", "subject", "pk")
    for pk, der in rows.values_list("pk", "certificate"):
        loaded.setdefault(kinds[pk], []).append(_parsed(der))
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    certificate = None
    if authority is not None:
        # The CRL read after the version: at least as current as the revocations it counted.
        crls = (_parsed_crl(pki.crl_der()),)
        row = Authority.objects.filter(pk=authority[0]).values_list("certificate", flat=True)
        certificate = next((_parsed(der) for der in row), None)
    roots = tuple(loaded[AnchorKind.ROOT])
    return Snapshot(
        roots=roots,
        intermediates=tuple(loaded[AnchorKind.INTERMEDIATE]),
        crls=crls,
        authority=certificate,
        trust_manager=SimpleTrustManager.build(trust_roots=roots),
    )


def _parsed(der: bytes | memoryview) -> asn1_x509.Certificate:
    return _parsed_through(_load(der))


def _parsed_crl(der: bytes) -> asn1_crl.CertificateList:
    return _parsed_through(asn1_crl.CertificateList.load(der))


_A = TypeVar("_A", asn1_x509.Certificate, asn1_crl.CertificateList)


def _parsed_through(value: _A) -> _A:
    """`value` with every part parsed now: asn1crypto parses lazily, filling a structure's
    list of parts one by one, which a thread reading the shared object at the same moment
    could see half-filled."""
    with contextlib.suppress(Exception):  # then parsed lazily, as any certificate
        value.native  # noqa: B018
    return value


# --- Reading -----------------------------------------------------------------------------------


def anchors_visible_to(*, user: Any) -> QuerySet[TrustAnchor]:
    """Every anchor, for users who manage signatures somewhere (the store is node-wide and
    public knowledge: its roots are published certificates); nothing for others."""
    if not policy.can(user, policy.Action.SIGNING_MANAGE):
        return TrustAnchor.objects.none()
    return TrustAnchor.objects.select_related("added_by").order_by("kind", "subject")


def anchor_get(*, user: Any, anchor_id: Any) -> TrustAnchor:
    found = anchors_visible_to(user=user).filter(pk=anchor_id).first()
    if found is None:
        raise NotFound(_("No such trust anchor."))
    return found


# --- Changing -----------------------------------------------------------------------------------


def parse_bundle(data: bytes) -> list[x509.Certificate]:
    """The certificates of one PEM bundle (only CERTIFICATE blocks) or one DER certificate.
    ValidationFailed, naming the faulty item, for anything else."""
    data = bytes(data)
    if not data.strip():
        raise ValidationFailed(_("The file is empty."), field_errors={"file": []})
    if len(data) > MAX_BUNDLE_BYTES:
        raise ValidationFailed(_("The file is too large."), field_errors={"file": []})
    if b"-----BEGIN" not in data:
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError as error:
            raise ValidationFailed(
                _("The file is not a certificate (PEM or DER)."), field_errors={"file": []}
            ) from error
    certificates = []
    for number, block in enumerate(_PEM_BLOCK.finditer(data), start=1):
        if block.group(1) != b"CERTIFICATE":
            raise ValidationFailed(
                _("Item %(number)d of the file is not a certificate (%(kind)s).")
                % {"number": number, "kind": block.group(1).decode("ascii", "replace")},
                field_errors={"file": []},
            )
        try:
            certificates.append(x509.load_pem_x509_certificate(block.group(0)))
        except ValueError as error:
            raise ValidationFailed(
                _("Certificate %(number)d of the file cannot be read.") % {"number": number},
                field_errors={"file": []},
            ) from error
    if not certificates:
        raise ValidationFailed(
            _("The file is not a certificate (PEM or DER)."), field_errors={"file": []}
        )
    if len(certificates) > MAX_BUNDLE_CERTIFICATES:
        raise ValidationFailed(
            _("A file may hold at most %(count)d certificates.")
            % {"count": MAX_BUNDLE_CERTIFICATES},
            field_errors={"file": []},
        )
    return certificates


def _kind_of(certificate: x509.Certificate, number: int) -> str:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    name = pki.name_text(certificate.subject)
    if constraints is None or not constraints.ca:
        raise ValidationFailed(
            _(
                "Certificate %(number)d (%(name)s) is not an authority's certificate: only roots "
                "and intermediates go in the trust store."
            )
            % {"number": number, "name": name},
            field_errors={"file": []},
        )
    if certificate.issuer == certificate.subject:
        try:
            certificate.verify_directly_issued_by(certificate)
        except Exception as error:  # a bad self-signature of any kind
            raise ValidationFailed(
                _("Certificate %(number)d (%(name)s) has an invalid self-signature.")
                % {"number": number, "name": name},
                field_errors={"file": []},
            ) from error
        return AnchorKind.ROOT
    return AnchorKind.INTERMEDIATE


def add_anchors(*, actor: Any, data: bytes) -> list[TrustAnchor]:
    """Add every certificate of `data` (one PEM bundle or one DER certificate) to the trust
    store: self-signed CA certificates as roots, other CA certificates as intermediates. All
    or nothing: on any refused certificate (not a CA's, expired, already there, unreadable)
    nothing is stored."""
    pki.require_node_wide(actor)
    certificates = parse_bundle(data)
    now = clock.now()
    prepared = []
    seen: set[str] = set()
    for number, certificate in enumerate(certificates, start=1):
        kind = _kind_of(certificate, number)
        name = pki.name_text(certificate.subject)
        if certificate.not_valid_after_utc <= now:
            raise ValidationFailed(
                _("Certificate %(number)d (%(name)s) has expired.")
                % {"number": number, "name": name},
                field_errors={"file": []},
            )
        der = certificate.public_bytes(serialization.Encoding.DER)
        digest = pki.fingerprint(der)
        if digest in seen:
            raise ValidationFailed(
                _("Certificate %(number)d (%(name)s) appears twice in the file.")
                % {"number": number, "name": name},
                field_errors={"file": []},
            )
        seen.add(digest)
        prepared.append((kind, certificate, der, digest, number, name))
    with transaction.atomic(durable=True):
        serialize_writes()  # so that two uploads of one certificate cannot both pass the check
        existing = set(
            TrustAnchor.objects.filter(fingerprint__in=seen).values_list("fingerprint", flat=True)
        )
        for _kind, _certificate, _der, digest, number, name in prepared:
            if digest in existing:
                raise ValidationFailed(
                    _("Certificate %(number)d (%(name)s) is already in the trust store.")
                    % {"number": number, "name": name},
                    field_errors={"file": []},
                )
        added = []
        for kind, certificate, der, digest, _number, name in prepared:
            anchor = TrustAnchor.objects.create(
                kind=kind,
                certificate=der,
                fingerprint=digest,
                subject=name[:500],
                issuer=pki.name_text(certificate.issuer)[:500],
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
                active=True,
                added_by=actor,
            )
            record(
                actor=actor,
                action="signing.trust_anchor_added",
                obj=anchor,
                data={"kind": kind, "subject": anchor.subject, "fingerprint": digest},
            )
            added.append(anchor)
    return added


def set_anchor_active(*, actor: Any, anchor: TrustAnchor, active: bool) -> TrustAnchor:
    """Trust (again) or stop trusting an anchor; validations from now on follow."""
    pki.require_node_wide(actor)
    with transaction.atomic(durable=True):
        row = for_update(TrustAnchor.objects.filter(pk=anchor.pk)).get()
        if row.active == active:
            return row
        row.active = active
        row.save(update_fields=["active", "updated_at"])
        record(
            actor=actor,
            action="signing.trust_anchor_activated"
            if active
            else "signing.trust_anchor_deactivated",
            obj=row,
            data={"subject": row.subject, "fingerprint": row.fingerprint},
        )
    return row
