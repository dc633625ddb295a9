"""Validation of the signatures of a PDF (PAdES, and the older adbe.pkcs7.detached), with the
verdict in the terms of ETSI EN 319 102-1: TOTAL-PASSED, TOTAL-FAILED or INDETERMINATE and a
sub-indication.

Each signature goes through the validation process its level calls for, as pyHanko implements
them (`pyhanko.sign.validation.ades`):
- no signature time stamp (B-B): the basic validation (EN 319 102-1 §5.3);
- a signature time stamp (B-T, B-LT): the validation of signatures with time (§5.5), where the
  time stamp proves the signature existed before the certificate expired or was revoked;
- document time stamps after the signature (B-LTA): the long-term validation (§5.6.3).
The PDF-specific checks come on top (EN 319 142-1): what the signature covers, and what later
revisions changed (pyHanko's difference analysis). A signature whose revision is not wholly
covered, or after which the document was changed in a way a signature does not allow, is
TOTAL-FAILED with FORMAT_FAILURE.

Trust comes from the trust store only (`trust.snapshot`, kept parsed by the process and read
again as soon as it changes): its active roots and intermediates and the built-in authority's
CRL, plus roots the caller adds. Revocation data is taken from the PDF (document security
store, Adobe revocation archive), from this node, and — when `allow_fetching` — fetched from the
addresses in foreign certificates (the built-in authority's own certificates never need the
network: its CRL is local and current).

Nothing here raises on a hostile file beyond `NotAPdf` for what is not a readable PDF: every
failure reading one signature becomes that signature's TOTAL-FAILED / FORMAT_FAILURE.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import hashlib
import io
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils import crypt
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESStatus, AdESSubIndic
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation import ades, generic_cms
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from secretariat.core import clock
from secretariat.core.errors import ValidationFailed

from . import trust
from . import validation_facts as facts

log = logging.getLogger(__name__)

T = TypeVar("T")

TOTAL_PASSED = "TOTAL-PASSED"
TOTAL_FAILED = "TOTAL-FAILED"
INDETERMINATE = "INDETERMINATE"
INDICATIONS = {
    AdESStatus.PASSED: TOTAL_PASSED,
    AdESStatus.FAILED: TOTAL_FAILED,
    AdESStatus.INDETERMINATE: INDETERMINATE,
}
FORMAT_FAILURE = AdESFailure.FORMAT_FAILURE.name

# The overall status of a report, as the apps above keep it ("unsigned" when there is none).
UNSIGNED, PASSED, FAILED, INDETERMINATE_STATUS = "unsigned", "passed", "failed", "indeterminate"

# Certificates of officials carry non-repudiation (content commitment) and usually digital
# signature too; like PDF readers, either is accepted for a document signature.
KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
)
SUPPORTED_SUBFILTERS = {str(s.value) for s in SigSeedSubFilter}
PADES_SUBFILTER = "/ETSI.CAdES.detached"

COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
}
MODIFICATION_LEVELS = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "lta_updates",
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}
# The validation processes of EN 319 102-1, as TS 119 102-2 names them.
PROCESS_BASIC, PROCESS_WITH_TIME, PROCESS_LTA = "Basic", "LTVM", "LTA"


class NotAPdf(ValidationFailed):
    """The bytes are not a PDF this validator can read (not a PDF, damaged beyond repair, or
    protected by a password)."""


# --- The report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureReport:
    """What one signature is worth. Times are ISO 8601 strings in UTC and every value is
    JSON-able, so that `to_dict()` is the stored form and `from_dict` gives it back."""

    field_name: str
    signer: str  # the certificate's common name
    indication: str  # TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE
    sub_indication: str | None  # EN 319 102-1 name (HASH_FAILURE, …); None when passed
    intact: bool  # the signed bytes are unchanged and the signature is mathematically sound
    trusted: bool  # the certificate chains to a trust anchor of this node (or the caller's)
    modified_after_signing: bool  # later revisions changed more than validation data
    # {subject, issuer, serial, fingerprint_sha256, not_before, not_after, common_name,
    #  organization, title} or None when the signature names no readable certificate
    certificate: dict[str, Any] | None = None
    chain: list[str] = field(default_factory=list)  # subjects, signer first, up to the anchor
    trust_anchor: dict[str, str] | None = None  # {subject, fingerprint_sha256}
    # {status: good|revoked|unknown, source: embedded|local|fetched|None, revoked_at,
    #  reason, ca_revoked, checked_at}
    revocation: dict[str, Any] = field(default_factory=lambda: {"status": "unknown"})
    timestamp: dict[str, Any] | None = None  # {time, tsa, valid}
    signed_at: dict[str, Any] | None = None  # {time, claimed: bool}
    coverage: str = "partial"  # entire_file, entire_revision, partial
    # {revisions_after, level, allowed, changed_fields, detail}
    modifications: dict[str, Any] = field(default_factory=dict)
    level: str | None = None  # B-B, B-T, B-LT, B-LTA (None: not a CMS signature we can read)
    format: str = ""  # PAdES, PKCS#7 or the unsupported sub-filter
    # What the signer declared in the signature dictionary: {reason, location, name, contact}
    declared: dict[str, str] = field(default_factory=dict)
    # For the ETSI report: {process, digest_algorithm, signed_attributes_digest,
    #  signed_data_digest, sub_filter, byte_range, best_signature_time}
    details: dict[str, Any] = field(default_factory=dict)
    message: str = ""  # the validator's technical explanation (English), when not passed

    @property
    def passed(self) -> bool:
        return self.indication == TOTAL_PASSED

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignatureReport:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Report:
    """The validation of every signature of one PDF, in signing order."""

    signatures: list[SignatureReport]
    validated_at: str
    document_sha256: str

    @property
    def status(self) -> str:
        """`unsigned`, `failed` (one signature failed), `indeterminate` (one could not be
        confirmed) or `passed` (all passed)."""
        return overall_status(s.indication for s in self.signatures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "count": len(self.signatures),
            "validated_at": self.validated_at,
            "document_sha256": self.document_sha256,
            "signatures": [s.to_dict() for s in self.signatures],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(
            signatures=[SignatureReport.from_dict(s) for s in data.get("signatures") or []],
            validated_at=str(data.get("validated_at") or ""),
            document_sha256=str(data.get("document_sha256") or ""),
        )

    def etsi_xml(self) -> bytes:
        """The report as an ETSI TS 119 102-2 validation report (XML)."""
        from .etsi import render

        return render(self.to_dict())


def overall_status(indications: Iterable[str]) -> str:
    found = list(indications)
    if not found:
        return UNSIGNED
    if TOTAL_FAILED in found:
        return FAILED
    if any(i != TOTAL_PASSED for i in found):
        return INDETERMINATE_STATUS
    return PASSED


# --- Entry point -----------------------------------------------------------------------------


def validate(
    pdf: bytes, *, extra_roots: Sequence[bytes] = (), allow_fetching: bool = True
) -> Report:
    """Validate every signature of `pdf`. `extra_roots` (DER or PEM) are trusted on top of the
    trust store; `allow_fetching` lets revocation data of foreign certificates be fetched from
    the addresses they name (never for a file an anonymous visitor sent: those addresses are
    the sender's choice). A PDF without signatures gives a report without signatures."""
    pdf = bytes(pdf)
    reader = _open(pdf)
    try:
        roots = [certificate_der(root) for root in extra_roots]
    except ValueError as error:
        raise ValidationFailed(_("A trust root given is not a certificate.")) from error
    fields, timestamp_revisions = _fields(reader, pdf)
    signatures: list[SignatureReport] = []
    if fields:
        # The context serves as the trust store (roots, intermediates, the local CRL); what
        # may be fetched is decided per signature (`_spec`).
        store = trust.snapshot()
        context = store.context(extra_roots=roots, allow_fetching=False)
        shared = _shared(reader, context, store, allow_fetching, timestamp_revisions)
        signatures = _run(lambda: _validate_all(fields, shared))
    return Report(
        signatures=signatures,
        validated_at=facts.iso(clock.now()),
        document_sha256=hashlib.sha256(pdf).hexdigest(),
    )


def certificate_der(certificate: bytes) -> bytes:
    """The DER of one certificate given as PEM or DER; ValueError when it is neither."""
    data = bytes(certificate)
    # Only PEM is text: stripping DER would cut a last byte that looks like white space.
    if data.lstrip().startswith(b"-----BEGIN"):
        loaded = x509.load_pem_x509_certificate(data.strip())
    else:
        loaded = x509.load_der_x509_certificate(data)
    return loaded.public_bytes(serialization.Encoding.DER)


def _open(pdf: bytes) -> PdfFileReader:
    if b"%PDF-" not in pdf[:1024]:
        raise NotAPdf(_("The file is not a PDF."))
    reader: PdfFileReader | None = None
    # Strict first (it refuses the syntax tricks used to hide changes); a file only a lenient
    # reader opens is still checked, signature by signature.
    for strict in (True, False):
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=strict)
            reader.root  # noqa: B018 - forces the trailer and catalogue to be read
            break
        except Exception as error:  # a hostile file may raise anything
            log.info("PDF not readable (strict=%s): %s", strict, error)
            reader = None
    if reader is None:
        raise NotAPdf(_("The file is damaged and cannot be read as a PDF."))
    if reader.security_handler is not None:
        result = None
        if isinstance(reader.security_handler, crypt.StandardSecurityHandler):
            # Like PDF readers, try the empty user password: reading changes nothing.
            try:
                result = reader.decrypt("")
            except Exception:
                result = None
        if result is None or result.status == crypt.AuthStatus.FAILED:
            raise NotAPdf(_("The PDF is protected by a password; it cannot be checked."))
    return reader


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run pyHanko's asynchronous validation from synchronous code, also when the caller is
    itself inside an event loop (an async view): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())  # type: ignore[arg-type]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()  # type: ignore[arg-type]


# --- Reading the file ------------------------------------------------------------------------


@dataclass
class _Field:
    name: str
    signature: EmbeddedPdfSignature | None
    sub_filter: str
    error: str = ""
    # `signature` is the reader's own (`reader.embedded_signatures`), the object pyHanko's
    # long-term validation process analyses.
    of_reader: bool = False


def _fields(reader: PdfFileReader, pdf: bytes) -> tuple[list[_Field], list[int]]:
    """The filled signature fields of type /Sig, each opened on its own so one broken field
    does not hide the others, in signing order; and, from the same pass over the fields, the
    revisions the document time stamps sign (an unreadable one counts for none)."""
    found: list[_Field] = []
    timestamps: list[int] = []
    try:
        entries = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as error:
        log.info("signature fields unreadable: %s", error)
        if b"/ByteRange" in pdf:
            return [_Field(name="?", signature=None, sub_filter="", error=str(error))], []
        return [], []
    # The reader's signature objects, when it can open them all (else each is opened here).
    try:
        of_reader = {id(s.sig_field): s for s in reader.embedded_signatures}
    except Exception:
        of_reader = {}
    for name, value, field_ref in entries:
        sub_filter = ""
        try:
            sig_object = value.get_object()
            known = of_reader.get(id(field_ref.get_object()))
            if sig_object.get("/Type", "/Sig") == "/DocTimeStamp":
                if known is not None:
                    timestamps.append(known.signed_revision)
                else:
                    timestamps.extend(_timestamp_revision(reader, field_ref, str(name), sig_object))
                continue
            sub_filter = str(sig_object.get("/SubFilter", ""))
            if sub_filter not in SUPPORTED_SUBFILTERS:
                found.append(
                    _Field(
                        name=str(name),
                        signature=None,
                        sub_filter=sub_filter,
                        error=f"unsupported signature format {sub_filter or '(none)'}",
                    )
                )
                continue
            found.append(
                _Field(
                    name=str(name),
                    signature=known or EmbeddedPdfSignature(reader, field_ref, str(name)),
                    sub_filter=sub_filter,
                    of_reader=known is not None,
                )
            )
        except Exception as error:
            found.append(
                _Field(name=str(name), signature=None, sub_filter=sub_filter, error=str(error))
            )

    def revision(item: _Field) -> int:
        return item.signature.signed_revision if item.signature is not None else 1 << 30

    return sorted(found, key=revision), sorted(timestamps)


def _timestamp_revision(
    reader: PdfFileReader, field_ref: Any, name: str, sig_object: Any
) -> list[int]:
    try:
        if str(sig_object.get("/SubFilter", "")) not in SUPPORTED_SUBFILTERS:
            return []
        return [EmbeddedPdfSignature(reader, field_ref, name).signed_revision]
    except Exception as error:
        log.info("document time stamp %s unreadable: %s", name, error)
        return []


# --- Validating --------------------------------------------------------------------------------


@dataclass
class _Shared:
    reader: PdfFileReader
    context: ValidationContext
    allow_fetching: bool
    node_knowledge: LocalKnowledge
    dss: LocalKnowledge
    doc_ts_revisions: list[int]
    builtin_issuer: asn1_x509.Name | None
    total_revisions: int


def _shared(
    reader: PdfFileReader,
    context: ValidationContext,
    store: trust.Snapshot,
    allow_fetching: bool,
    timestamp_revisions: list[int],
) -> _Shared:
    """What every signature of the file is validated with (read here, outside the event loop:
    the database is not used from asynchronous code)."""
    return _Shared(
        reader=reader,
        context=context,
        allow_fetching=allow_fetching,
        node_knowledge=LocalKnowledge(
            known_crls=[CRLContainer(c) for c in context.crls],
            known_ocsps=[o for r in context.ocsps for o in OCSPContainer.load_multi(r)],
            known_certs=list(context.certificate_registry),
        ),
        dss=facts.dss_knowledge(reader),
        doc_ts_revisions=timestamp_revisions,
        builtin_issuer=store.authority.subject if store.authority is not None else None,
        total_revisions=_total_revisions(reader),
    )


async def _validate_all(fields: list[_Field], shared: _Shared) -> list[SignatureReport]:
    reports = []
    for item in fields:
        try:
            if item.signature is None:
                reports.append(_unreadable(item.name, item.sub_filter, item.error))
            else:
                reports.append(
                    await _validate_one(item.signature, item.sub_filter, shared, item.of_reader)
                )
        except Exception as error:  # never let one hostile signature stop the report
            log.info("signature %s could not be validated: %s", item.name, error, exc_info=True)
            reports.append(_unreadable(item.name, item.sub_filter, str(error), item.signature))
    return reports


def _total_revisions(reader: PdfFileReader) -> int:
    try:
        return int(reader.xrefs.total_revisions)
    except Exception:
        return 0


def _unreadable(
    name: str, sub_filter: str, error: str, signature: EmbeddedPdfSignature | None = None
) -> SignatureReport:
    certificate = None
    if signature is not None:
        try:
            certificate = facts.certificate_facts(signature.signer_cert)
        except Exception:
            certificate = None
    return SignatureReport(
        field_name=name,
        signer=(certificate or {}).get("common_name", ""),
        indication=TOTAL_FAILED,
        sub_indication=FORMAT_FAILURE,
        intact=False,
        trusted=False,
        modified_after_signing=False,
        certificate=certificate,
        format=_format_name(sub_filter),
        message=(error or "unreadable signature")[:500],
    )


def _format_name(sub_filter: str) -> str:
    if sub_filter == PADES_SUBFILTER:
        return "PAdES"
    if sub_filter == "/adbe.pkcs7.detached":
        return "PKCS#7"
    return sub_filter.lstrip("/")


async def _validate_one(
    signature: EmbeddedPdfSignature, sub_filter: str, shared: _Shared, of_reader: bool
) -> SignatureReport:
    signer_cert = signature.signer_cert
    certificate = facts.certificate_facts(signer_cert)
    embedded_certs = signature.other_embedded_certs
    later_doc_ts = [r for r in shared.doc_ts_revisions if r > signature.signed_revision]

    # What the signature covers and what came after (pyHanko's difference analysis). The
    # long-term process runs that analysis itself on each of the reader's signatures, before
    # anything else (failing as it would fail here): then it is not run twice.
    integrity_error = ""
    if not (later_doc_ts and of_reader):
        integrity_error = _integrity(signature)

    signature_timestamps = list(
        generic_cms.extract_tst_data_iter(signature.signer_info, signed=False)
    )
    archived = facts.archived_knowledge(signature)
    long_term = bool(
        shared.dss.known_crls
        or shared.dss.known_ocsps
        or archived.known_crls
        or archived.known_ocsps
    )

    spec = _spec(shared, signer_cert, facts.merge(shared.node_knowledge, shared.dss, archived))
    raw_digest = signature.compute_digest()
    result: ades.AdESBasicValidationResult
    if later_doc_ts:
        process = PROCESS_LTA
        # The long-term process reads the document security store itself.
        lta_spec = dataclasses.replace(
            spec, local_knowledge=facts.merge(shared.node_knowledge, archived)
        )
        result = await ades.ades_lta_validation(
            signature, PdfSignatureValidationSpec(lta_spec, diff_policy=DEFAULT_DIFF_POLICY)
        )
    elif signature_timestamps:
        process = PROCESS_WITH_TIME
        result = await ades.ades_with_time_validation(
            signature.signed_data, spec, raw_digest=raw_digest
        )
    else:
        process = PROCESS_BASIC
        result = await ades.ades_basic_validation(
            signature.signed_data, spec, raw_digest=raw_digest
        )

    if signature.coverage is None and not integrity_error:  # not analysed after all
        integrity_error = _integrity(signature)
    coverage = COVERAGE.get(signature.coverage, "partial") if signature.coverage else "partial"
    modifications = _modifications(signature, shared, integrity_error)

    status = result.api_status
    subindic: AdESSubIndic = result.ades_subindic
    indication = INDICATIONS[subindic.status]
    sub_indication = None if subindic.status == AdESStatus.PASSED else subindic.standard_name
    message = result.failure_msg or ""
    intact = bool(status is not None and status.intact and status.valid)
    if coverage == "partial":
        intact = False

    # The PDF's own rules (EN 319 142-1): the signature must cover its whole revision, and
    # what came after must be what a signature allows (more signatures, validation data,
    # permitted form filling or annotations).
    if indication != TOTAL_FAILED and (coverage == "partial" or not modifications["allowed"]):
        indication, sub_indication = TOTAL_FAILED, FORMAT_FAILURE
        message = (
            "the signature does not cover its whole revision"
            if coverage == "partial"
            else "the document was changed after signing in a way a signature does not allow"
        )

    chain, anchor = await facts.chain(
        signer_cert, [*embedded_certs, *shared.dss.known_certs], shared.context, status
    )
    timestamp = facts.timestamp(signature_timestamps, status)
    best_time = getattr(result, "best_signature_time", None)
    level = "B-B"
    if signature_timestamps:
        level = "B-T"
        if long_term:
            level = "B-LT"
            if later_doc_ts:
                level = "B-LTA"
    return SignatureReport(
        field_name=signature.field_name,
        signer=certificate.get("common_name", ""),
        indication=indication,
        sub_indication=sub_indication,
        intact=intact,
        trusted=anchor is not None,
        modified_after_signing=modifications["changed"],
        certificate=certificate,
        chain=chain,
        trust_anchor=anchor,
        revocation=facts.revocation(
            signer_cert,
            status,
            result.validation_objects,
            in_file=facts.merge(shared.dss, archived),
            of_node=shared.node_knowledge,
        ),
        timestamp=timestamp,
        signed_at=facts.signed_at(signature, timestamp),
        coverage=coverage,
        modifications={k: v for k, v in modifications.items() if k != "changed"},
        level=level,
        format=_format_name(sub_filter),
        declared=facts.declared(signature),
        details={
            "process": process,
            "digest_algorithm": signature.md_algorithm,
            "signed_attributes_digest": facts.signed_attributes_digest(signature),
            "signed_data_digest": raw_digest.hex(),
            "sub_filter": sub_filter.lstrip("/"),
            "byte_range": [int(x) for x in signature.byte_range],
            "best_signature_time": facts.iso(best_time) if best_time else None,
            "claimed_signing_time": facts.claimed_time(signature),
        },
        message=(message or integrity_error)[:500] if indication != TOTAL_PASSED else "",
    )


def _integrity(signature: EmbeddedPdfSignature) -> str:
    """Analyse what the signature covers and the later changes; the error, if it fails."""
    try:
        signature.compute_integrity_info(diff_policy=DEFAULT_DIFF_POLICY)
    except Exception as error:
        return str(error)
    return ""


def _spec(
    shared: _Shared, signer_cert: asn1_x509.Certificate, knowledge: LocalKnowledge
) -> SignatureValidationSpec:
    context = shared.context
    # The built-in authority's CRL given locally is authoritative and current: asking its
    # OCSP address (this very node, maybe not reachable from itself) adds nothing.
    own = shared.builtin_issuer is not None and signer_cert.issuer == shared.builtin_issuer
    rule = (
        RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
        if shared.allow_fetching and not own
        else RevinfoOnlineFetchingRule.LOCAL_ONLY
    )
    return SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=context.path_builder.trust_manager,
            revinfo_policy=context.revinfo_policy,
            time_tolerance=context.time_tolerance,
        ),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=rule),
        local_knowledge=knowledge,
        key_usage_settings=KEY_USAGE,
    )


def _modifications(
    signature: EmbeddedPdfSignature, shared: _Shared, integrity_error: str
) -> dict[str, Any]:
    """What later revisions did. `changed`: more than validation data and document time
    stamps (which only make the signature last); `allowed`: what a signature permits."""
    revisions_after = max(0, shared.total_revisions - 1 - int(signature.signed_revision))
    diff = signature.diff_result
    detail = ""
    changed_fields: list[str] = []
    if integrity_error:
        level, allowed, detail = "unknown", False, integrity_error
    elif diff is None:
        # No difference analysis: the signature covers the whole file, or not its revision.
        level = "none" if signature.coverage == SignatureCoverageLevel.ENTIRE_FILE else "unknown"
        allowed = level == "none"
    elif isinstance(diff, DiffResult):
        level = MODIFICATION_LEVELS.get(diff.modification_level, "other")
        changed_fields = sorted(str(f) for f in diff.changed_form_fields)
        try:
            allowed = bool(signature.summarise_integrity_info().get("docmdp_ok", True) is not False)
        except Exception:
            allowed = level != "other"
    else:  # SuspiciousModification and other analysis failures: unexplained changes
        level, allowed, detail = "other", False, str(diff)
    return {
        "revisions_after": revisions_after,
        "level": level,
        "allowed": allowed,
        "changed_fields": changed_fields,
        "detail": detail[:500],
        "changed": level not in ("none", "lta_updates"),
    }
