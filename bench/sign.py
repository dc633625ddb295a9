"""Benchmark: PAdES signatures through our signing service against a bare pyHanko call, and our
validation reports against bare pyHanko validation.

`signatures_per_s` — ours: `signing.services.sign(...)` as the office calls it (credential
checks, the demo key unsealed from its PKCS#12, the trust context for B-LT and up, the built-in
time-stamp authority, pyHanko, the audit event in its own transaction). The baseline:
`pyhanko.sign.signers.sign_pdf` on the same PDF with the same key and certificate already loaded
in a `SimpleSigner`, the same time-stamper and the same level (PAdES subfilter, SHA-256; for
B-LT and up a fresh validation context with the same root and CRL each time). Invisible
signatures on both sides: the stamp is not part of a bare pyHanko call. Target ratio ≤ 1.2.

`validations_per_s` — ours: `signing.validation.validate(pdf)` (the full report: chain to the
trust store, revocation, time stamps, modifications, the ETSI verdict). The baseline: pyHanko's
`validate_pdf_signature` on each signature of the same file, and `validate_pdf_timestamp` on
each document time stamp (B-LTA: ours validates them, so the baseline must too), each with a
fresh context trusting the same root and holding the same CRL. Both sides hold that material
parsed once: the baseline as a script would, ours as the process keeps the trust store
(`trust.snapshot`, read again when the store or the revocations change). At B-LTA ours runs
pyHanko's long-term process (EN 319 102-1 §5.6.3: proofs of existence from the document time
stamps, then the signature validated at that time), which does more than the two bare calls.

Both sides run alternately, operation by operation, after a warm-up, so drift hits both alike;
the ratio is our time per operation over the baseline's (≤ 1 is as fast).

    python bench/sign.py [--signatures N] [--validations N] [--level B-T]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from collections.abc import Callable
from typing import Any

from _common import emit, setup_django

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


def make_pdf(pages: int = 3) -> bytes:
    """A small text document (reportlab), like a two-to-three page decision."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        drawing.setFont("Helvetica-Bold", 14)
        drawing.drawString(220, 780, "QUYET DINH")
        drawing.setFont("Helvetica", 11)
        for line in range(40):
            drawing.drawString(72, 740 - 16 * line, f"Dieu {number}.{line + 1}: noi dung van ban.")
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def alternate(
    ours: Callable[[], Any], baseline: Callable[[], Any], rounds: int
) -> tuple[float, float]:
    """Total seconds of each side over `rounds`, run turn by turn after one warm-up each."""
    ours()
    baseline()
    ours_total = base_total = 0.0
    for _round in range(rounds):
        start = time.perf_counter()
        ours()
        ours_total += time.perf_counter() - start
        start = time.perf_counter()
        baseline()
        base_total += time.perf_counter() - start
    return ours_total, base_total


def run(signatures: int, validations: int, level: str) -> None:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    from secretariat.accounts.models import User
    from secretariat.signing import keys, pki, services, tsa, validation
    from secretariat.signing.models import CredentialPurpose

    user = User.objects.create_user(username="leader", full_name="Nguyễn Thị Hằng")
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name="Nguyễn Thị Hằng", organization="Tỉnh ủy"),
        user=user,
    )
    pdf = make_pdf()
    long_term = level in ("B-LT", "B-LTA")

    # The baseline's material, loaded once, as a script calling pyHanko would hold it.
    with keys.open_signer(credential) as loaded:
        bare_signer = loaded
    bare_timestamper = tsa.timestamper() if level != "B-B" else None
    root = asn1_x509.Certificate.load(pki.authority_certificate_der())
    crl = asn1_crl.CertificateList.load(pki.crl_der())

    def context() -> ValidationContext:
        return ValidationContext(
            trust_roots=[root], crls=[crl], allow_fetching=False, revocation_mode="soft-fail"
        )

    def ours_sign() -> bytes:
        return services.sign(actor=user, credential=credential, pdf=pdf, level=level).pdf

    def bare_sign() -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=long_term,
            use_pades_lta=level == "B-LTA",
            validation_context=context() if long_term else None,
        )
        output = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)),
            meta,
            signer=bare_signer,
            timestamper=bare_timestamper,
        )
        return bytes(output.getvalue())

    ours_total, base_total = alternate(ours_sign, bare_sign, signatures)
    emit(
        "sign",
        "signatures_per_s",
        signatures / ours_total,
        "signatures/s",
        signatures / base_total,
        ours_total / base_total,
        level=level,
        signatures=signatures,
        pdf_bytes=len(pdf),
    )

    signed = ours_sign()

    def ours_validate() -> None:
        report = validation.validate(signed, allow_fetching=False)
        if report.signatures[0].indication != validation.TOTAL_PASSED:
            raise SystemExit(f"our validation did not pass the signed file: {report}")

    def bare_validate() -> None:
        reader = PdfFileReader(io.BytesIO(signed))
        for embedded in reader.embedded_regular_signatures:
            status = validate_pdf_signature(embedded, signer_validation_context=context())
            if not (status.intact and status.valid and status.trusted):
                raise SystemExit(f"pyHanko did not validate the signed file: {status}")
        for embedded in reader.embedded_timestamp_signatures:
            stamp = validate_pdf_timestamp(embedded, validation_context=context())
            if not (stamp.intact and stamp.valid and stamp.trusted):
                raise SystemExit(f"pyHanko did not validate the document time stamp: {stamp}")

    ours_total, base_total = alternate(ours_validate, bare_validate, validations)
    emit(
        "sign",
        "validations_per_s",
        validations / ours_total,
        "validations/s",
        validations / base_total,
        ours_total / base_total,
        level=level,
        validations=validations,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--signatures", type=int, default=10, help="signatures per side (10)")
    # A validation takes a tenth of a signature's time: more of them for as steady a ratio.
    parser.add_argument("--validations", type=int, default=50, help="validations per side (50)")
    parser.add_argument(
        "--level", choices=LEVELS, default=None, help="PAdES level (default: SIGNING_LEVEL)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sign-") as data_dir:
        setup_django(data_dir)
        from django.conf import settings

        run(max(1, args.signatures), max(1, args.validations), args.level or settings.SIGNING_LEVEL)


if __name__ == "__main__":
    main()
