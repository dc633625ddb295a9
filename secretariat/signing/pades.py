"""PAdES baseline signatures on PDF bytes (ETSI EN 319 142-1), SHA-256, with pyHanko.

Levels:
- B-B: the CMS signature (subfilter ETSI.CAdES.detached) with the signer's certificate;
- B-T: plus a signature time stamp from `tsa.timestamper()`;
- B-LT: plus the validation data (certificates, CRLs/OCSP) in the document security store;
- B-LTA: plus a document time stamp over all of it.

Two ways to sign:
- `sign_pdf` with a pyHanko `Signer` the server holds (PKCS#12 in the demo, the HSM);
- deferred, for a key on the official's workstation token: `prepare_external` reserves the
  signature in the PDF and returns the bytes the token signs (the DER of the CMS signed
  attributes); `complete_external`, maybe in another process, embeds the signature value, then
  the time stamp and long-term data. Everything needed to finish is in a JSON-able `state`.

Signing works on bytes and knows no documents (DESIGN.md layers); `services.sign` is the entry
point that checks the credential and writes the audit event.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import threading
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    PdfTBSDocument,
    PostSignInstructions,
    PreSignValidationStatus,
)
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from secretariat.core.errors import ValidationFailed

from . import appearance, trust, tsa
from .appearance import Stamp
from .models import Authority

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
DIGEST = "sha256"
# What the signer's certificate must allow (pyHanko's default, which its validator and the
# validation report require too).
KEY_USAGE = {"non_repudiation"}
STATE_VERSION = 1

T = TypeVar("T")


class SigningRefused(ValidationFailed):
    """This PDF, with this key, cannot be signed (not a PDF, damaged, encrypted, a wrong
    signature value from the token…). The message says why."""


# --- Levels and contexts --------------------------------------------------------------------


def resolve_level(level: str | None) -> str:
    """The PAdES level to use: `level`, else the node's `SIGNING_LEVEL`. ValueError when it is
    not one of LEVELS (a programming or configuration error, not a user's)."""
    chosen = level or settings.SIGNING_LEVEL
    if chosen not in LEVELS:
        raise ValueError(f"unknown PAdES level {chosen!r}; expected one of {', '.join(LEVELS)}")
    return chosen


def _timestamped(level: str) -> bool:
    return level != "B-B"


def _long_term(level: str) -> bool:
    return level in ("B-LT", "B-LTA")


def issued_by_builtin_authority(certificate: asn1_x509.Certificate) -> bool:
    """Whether `certificate` was issued by this node's built-in authority."""
    authority = Authority.objects.filter(active=True).only("certificate").first()
    if authority is None:
        return False
    root = asn1_x509.Certificate.load(bytes(authority.certificate))
    return bool(certificate.issuer == root.subject)


def validation_context_for(certificate: asn1_x509.Certificate) -> ValidationContext:
    """The context validating the signer (and the time-stamp authority) when embedding
    long-term data: the trust store, with the built-in authority's CRL given locally. When
    both certificates come from the built-in authority nothing is fetched over the network
    (a node may be air-gapped); otherwise their CRL/OCSP addresses are asked."""
    local = issued_by_builtin_authority(certificate) and not settings.SIGNING_TSA_URL
    return trust.validation_context(allow_fetching=not local)


# Time-stampers kept per authority (see `_timestamper`), at most a few: the URL or the built-in
# authority's current certificate.
_timestampers: dict[tuple[str, str], Any] = {}
_timestampers_lock = threading.Lock()


def _timestamper() -> Any:
    """`tsa.timestamper()`, kept in this process for as long as it stands for the same
    authority. pyHanko sizes the space for a signature with a sample time stamp, asked once per
    time-stamper object: a new one per signature would ask the authority twice each time. A
    new certificate of the built-in authority (renewed, or the old one revoked) is a new key."""
    if settings.SIGNING_TSA_URL:
        key = ("url", str(settings.SIGNING_TSA_URL))
    else:
        key = ("built-in", tsa.tsa_credential().fingerprint)
    with _timestampers_lock:
        found = _timestampers.get(key)
    if found is None:
        found = tsa.timestamper()
        responder = getattr(found, "responder", None)
        if responder is not None:  # the built-in authority: keyed by what it really signs with
            key = ("built-in", responder.credential.fingerprint)
        with _timestampers_lock:
            if len(_timestampers) >= 8:
                _timestampers.clear()
            _timestampers[key] = found
    return found


def _run(coroutine: Awaitable[T], context: ValidationContext | None) -> T:
    async def run() -> T:
        try:
            return await coroutine
        finally:
            if context is not None:
                await context.aclose()

    return asyncio.run(run())


# --- Opening the PDF ------------------------------------------------------------------------


def _open(pdf: bytes) -> IncrementalPdfFileWriter:
    """A writer appending to `pdf`, or SigningRefused saying why the file cannot be signed."""
    if b"%PDF-" not in pdf[:1024]:
        raise SigningRefused(_("The file is not a PDF."))
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        encrypted = writer.prev.encrypted
        writer.root  # noqa: B018 — reading the catalogue finds most damage now, not mid-way
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SigningRefused(_("The PDF is damaged and cannot be signed.")) from error
    if encrypted:
        raise SigningRefused(_("The PDF is password-protected (encrypted) and cannot be signed."))
    return writer


def _field_name(writer: IncrementalPdfFileWriter, wanted: str | None) -> str:
    existing = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    if wanted:
        return wanted
    number = len(existing) + 1
    while f"Signature{number}" in existing:
        number += 1
    return f"Signature{number}"


def _field_spec(
    writer: IncrementalPdfFileWriter, name: str, stamp: Stamp | None, pdf: bytes
) -> fields.SigFieldSpec:
    if stamp is None:
        return fields.SigFieldSpec(sig_field_name=name)  # invisible
    page, box = stamp.page, stamp.box
    if box is None and stamp.seal_only:
        # The seal goes over the personal signature, on its page, wherever it was put.
        existing = appearance.last_signature_widget(pdf)
        if existing is not None:
            page, box = existing[0], appearance.seal_box_over(existing[1])
    index = appearance.page_index(page, int(writer.prev.root["/Pages"]["/Count"]))
    if box is None:
        box = appearance.default_box(pdf, seal=stamp.seal_only, page=page)
    x1, y1, x2, y2 = box
    return fields.SigFieldSpec(
        sig_field_name=name,
        on_page=index,
        box=(round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2)),  # type: ignore[arg-type]
    )


def _metadata(
    *, name: str, level: str, reason: str, location: str, context: ValidationContext | None
) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=name,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        embed_validation_info=_long_term(level),
        use_pades_lta=level == "B-LTA",
        validation_context=context,
        signer_key_usage=set(KEY_USAGE),
    )


def _refusal(error: Exception) -> SigningRefused:
    """A pyHanko failure in words the signer understands."""
    if isinstance(error, TimestampRequestError):
        return SigningRefused(_("The time-stamp authority did not answer; try again later."))
    cause = error.__cause__
    if isinstance(cause, PathBuildingError | PathValidationError) or (
        "could not be validated" in str(error)
    ):
        return SigningRefused(
            _(
                "The signer's certificate does not validate against the trust store (or is "
                "revoked), so a long-term signature (B-LT, B-LTA) cannot be made."
            )
        )
    if "filled already" in str(error):
        return SigningRefused(_("That signature field is already signed."))
    if "forbids all changes" in str(error):
        return SigningRefused(
            _("The document's author certified it against any change: it cannot be signed.")
        )
    return SigningRefused(_("The PDF cannot be signed: %(reason)s") % {"reason": error})


# --- Signing with a key the server holds ----------------------------------------------------


def sign_pdf(
    pdf: bytes,
    *,
    signer: Any,
    level: str | None = None,
    stamp: Stamp | None = None,
    field_name: str | None = None,
    reason: str = "",
    location: str = "",
) -> bytes:
    """`pdf` signed by `signer` (a pyHanko `Signer`) at PAdES `level`, with the visible `stamp`
    (None: an invisible signature), in a new field `field_name` (default "SignatureN")."""
    level = resolve_level(level)
    writer = _open(pdf)
    style = appearance.stamp_style(stamp) if stamp is not None else None
    name = _field_name(writer, field_name)
    spec = _field_spec(writer, name, stamp, pdf)
    context = validation_context_for(signer.signing_cert) if _long_term(level) else None
    pdf_signer = signers.PdfSigner(
        _metadata(name=name, level=level, reason=reason, location=location, context=context),
        signer=signer,
        timestamper=_timestamper() if _timestamped(level) else None,
        stamp_style=style,
        new_field_spec=spec,
    )
    output = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=output)
    except (SigningError, TimestampRequestError, PdfError) as error:
        raise _refusal(error) from error
    return output.getvalue()


# --- Deferred signing (the workstation token signs the digest) --------------------------------


@dataclass(frozen=True)
class PreparedSignature:
    """A PDF with its signature reserved. `to_sign` is what the token signs (RSA PKCS#1 v1.5
    with SHA-256: the DER of the CMS signed attributes, which hold the PDF's digest); `state`
    is JSON-able and, with `pdf`, all `complete_external` needs."""

    pdf: bytes
    to_sign: bytes
    state: dict[str, Any] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _placeholder_size(certificate: asn1_x509.Certificate) -> int:
    """Bytes of a signature by this certificate's key (for sizing the reserved space)."""
    public = certificate.public_key
    bits = int(public.bit_size)
    if public.algorithm == "rsa":
        return (bits + 7) // 8
    return 2 * ((bits + 7) // 8) + 9  # ECDSA, DER-encoded (r, s)


def _certificate_store(chain: Sequence[asn1_x509.Certificate]) -> SimpleCertificateStore:
    store = SimpleCertificateStore()
    store.register_multiple(chain)
    return store


def prepare_external(
    pdf: bytes,
    *,
    certificate_der: bytes,
    chain_der: Sequence[bytes] = (),
    level: str | None = None,
    stamp: Stamp | None = None,
    field_name: str | None = None,
    reason: str = "",
    location: str = "",
) -> PreparedSignature:
    """Reserve a signature by the holder of `certificate_der` in `pdf` (same options as
    `sign_pdf`); the token then signs `to_sign`."""
    level = resolve_level(level)
    try:
        certificate = asn1_x509.Certificate.load(bytes(certificate_der))
        chain = [asn1_x509.Certificate.load(bytes(der)) for der in chain_der]
        certificate.public_key.algorithm  # noqa: B018 — parse now: a bad DER fails here
    except (ValueError, TypeError) as error:
        raise SigningRefused(_("The signer's certificate cannot be read.")) from error
    writer = _open(pdf)
    style = appearance.stamp_style(stamp) if stamp is not None else None
    name = _field_name(writer, field_name)
    spec = _field_spec(writer, name, stamp, pdf)
    context = validation_context_for(certificate) if _long_term(level) else None
    placeholder = signers.ExternalSigner(
        signing_cert=certificate,
        cert_registry=_certificate_store(chain),
        signature_value=_placeholder_size(certificate),
    )
    pdf_signer = signers.PdfSigner(
        _metadata(name=name, level=level, reason=reason, location=location, context=context),
        signer=placeholder,
        timestamper=_timestamper() if _timestamped(level) else None,
        stamp_style=style,
        new_field_spec=spec,
    )

    async def prepare() -> tuple[PreparedByteRangeDigest, bytes, bytes]:
        output = io.BytesIO()
        digest, _tbs, _out = await pdf_signer.async_digest_doc_for_signing(writer, output=output)
        signed_attrs = await placeholder.signed_attrs(
            digest.document_digest,
            DIGEST,
            attr_settings=PdfCMSSignedAttributes(),
            use_pades=True,
        )
        return digest, output.getvalue(), signed_attrs.dump()

    try:
        digest, prepared_pdf, to_sign = _run(prepare(), context)
    except (SigningError, TimestampRequestError, PdfError) as error:
        raise _refusal(error) from error
    state = {
        "version": STATE_VERSION,
        "level": level,
        "field_name": name,
        "digest_algorithm": DIGEST,
        "document_digest": digest.document_digest.hex(),
        "reserved_region_start": digest.reserved_region_start,
        "reserved_region_end": digest.reserved_region_end,
        "signed_attributes": _b64(to_sign),
        "certificate": _b64(certificate.dump()),
        "chain": [_b64(c.dump()) for c in chain],
        "prepared_sha256": hashlib.sha256(prepared_pdf).hexdigest(),
    }
    return PreparedSignature(pdf=prepared_pdf, to_sign=to_sign, state=state)


def _check_signature(certificate: asn1_x509.Certificate, to_sign: bytes, value: bytes) -> None:
    public_key = x509.load_der_x509_certificate(certificate.dump()).public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, to_sign, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(value, to_sign, ec.ECDSA(hashes.SHA256()))
        else:
            raise SigningRefused(_("This kind of key is not supported for signing."))
    except InvalidSignature as error:
        raise SigningRefused(
            _(
                "The signature returned by the token does not match the document and the "
                "certificate (wrong key or corrupted answer)."
            )
        ) from error


async def _post_sign_instructions(
    *,
    level: str,
    certificate: asn1_x509.Certificate,
    chain: Sequence[asn1_x509.Certificate],
    context: ValidationContext,
    timestamper: Any,
) -> PostSignInstructions:
    """What pyHanko's own signing flow collects before signing (the validation paths of the
    signer and of the time-stamp authority, and the revocation data), gathered again in the
    process that completes the signature."""
    validator = CertificateValidator(
        certificate, intermediate_certs=list(chain), validation_context=context
    )
    try:
        signer_path = await validator.async_validate_usage(set(KEY_USAGE))
    except (PathBuildingError, PathValidationError) as error:
        raise SigningError("The signer's certificate could not be validated") from error
    paths = [signer_path]
    ts_paths = []
    async for path in timestamper.validation_paths(context):
        paths.append(path)
        ts_paths.append(path)
    status = PreSignValidationStatus(
        signer_path=signer_path,
        validation_paths=paths,
        ts_validation_paths=ts_paths,
        ocsps_to_embed=context.ocsps,
        crls_to_embed=context.crls,
    )
    return PostSignInstructions(
        validation_info=status,
        timestamp_md_algorithm=DIGEST,
        timestamper=timestamper if level == "B-LTA" else None,
    )


def complete_external(prepared_pdf: bytes, state: dict[str, Any], signature_value: bytes) -> bytes:
    """The signed PDF: `prepared_pdf` (from `prepare_external`) with the token's
    `signature_value` embedded, then the signature time stamp and the long-term data its level
    asks for. SigningRefused when the value does not verify or the PDF is not the one prepared."""
    try:
        if state.get("version") != STATE_VERSION:
            raise ValueError("state version")
        level = resolve_level(str(state["level"]))
        to_sign = _unb64(state["signed_attributes"])
        certificate = asn1_x509.Certificate.load(_unb64(state["certificate"]))
        chain = [asn1_x509.Certificate.load(_unb64(c)) for c in state["chain"]]
        digest = PreparedByteRangeDigest(
            document_digest=bytes.fromhex(state["document_digest"]),
            reserved_region_start=int(state["reserved_region_start"]),
            reserved_region_end=int(state["reserved_region_end"]),
        )
        expected_sha256 = str(state["prepared_sha256"])
    except (KeyError, ValueError, TypeError) as error:
        raise SigningRefused(_("The prepared signature is incomplete or damaged.")) from error
    if hashlib.sha256(prepared_pdf).hexdigest() != expected_sha256:
        raise SigningRefused(_("This is not the PDF that was prepared for this signature."))
    _check_signature(certificate, to_sign, bytes(signature_value))

    signed_attrs = cms.CMSAttributes.load(to_sign)
    signer = signers.ExternalSigner(
        signing_cert=certificate,
        cert_registry=_certificate_store(chain),
        signature_value=bytes(signature_value),
    )
    timestamper = _timestamper() if _timestamped(level) else None
    context = validation_context_for(certificate) if _long_term(level) else None
    output = io.BytesIO(prepared_pdf)

    async def complete() -> None:
        signature_cms = await signer.async_sign_prescribed_attributes(
            DIGEST, signed_attrs, timestamper=timestamper
        )
        instructions = None
        if context is not None:
            instructions = await _post_sign_instructions(
                level=level,
                certificate=certificate,
                chain=chain,
                context=context,
                timestamper=timestamper,
            )
        await PdfTBSDocument.async_finish_signing(
            output,
            digest,
            signature_cms,
            post_sign_instr=instructions,
            validation_context=context,
        )

    try:
        _run(complete(), context)
    except (SigningError, TimestampRequestError, PdfError) as error:
        raise _refusal(error) from error
    return output.getvalue()
