"""PAdES signature of a whole PDF with the token's key (pyHanko's PKCS11Signer), appended as an
incremental update: the downloaded bytes stay a prefix of the signed file."""

from __future__ import annotations

import io

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.timestamps import HTTPTimeStamper

from .errors import AgentError
from .token import OpenToken


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    number = len(taken) + 1
    while f"Signature{number}" in taken:
        number += 1
    return f"Signature{number}"


def sign_pdf(
    pdf: bytes,
    token: OpenToken,
    *,
    timestamp_url: str | None = None,
    reason: str | None = None,
) -> bytes:
    """`pdf` signed (PAdES B-B, or B-T with a time-stamp from `timestamp_url`)."""
    if not pdf.startswith(b"%PDF-"):
        raise AgentError("not_pdf", "The server did not send a PDF.")
    signer = PKCS11Signer(
        token.session,
        signing_cert=asn1_x509.Certificate.load(token.certificate_der),
        key_id=token.key_id,
        key_label=None if token.key_id else token.key_label,
        other_certs_to_pull=(),
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        metadata = signers.PdfSignatureMetadata(
            field_name=_free_field_name(writer),
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
        )
        timestamper = HTTPTimeStamper(timestamp_url) if timestamp_url else None
        output = signers.PdfSigner(metadata, signer=signer, timestamper=timestamper).sign_pdf(
            writer
        )
    except AgentError:
        raise
    except Exception as error:
        raise AgentError("token", f"The PDF could not be signed: {error}") from error
    return output.getvalue()
