"""Our verdicts compared with an independent implementation: poppler's `pdfsig` (NSS).

pdfsig has no access to our trust store, so the comparison is on what both can judge alone:
whether the signed bytes are intact and whether the signature covers the whole file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from secretariat.signing.tests.validation_pdfs import (
    SIGNED_TEXT,
    add_page_text,
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)
from secretariat.signing.validation import validate


def _pdfsig(pdf: bytes, folder: Path) -> str:
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["/usr/bin/pdfsig", "-nocert", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return done.stdout


def test_pdfsig_agrees_on_integrity_and_coverage(make_user: Any, tmp_path: Path) -> None:
    credential = personal_credential(make_user("nguyenvana"))
    signed = sign(plain_pdf(), key_holder(credential))
    at = signed.index(SIGNED_TEXT)
    cases = {
        "signed": signed,
        "tampered": signed[:at] + b"Quyet dinh so 13" + signed[at + 16 :],
        "changed after": add_page_text(signed, "THEM SAU KHI KY"),
    }
    for name, pdf in cases.items():
        ours = validate(pdf, allow_fetching=False).signatures[0]
        theirs = _pdfsig(pdf, tmp_path)
        assert "Signer Certificate Common Name: Nguyễn Văn A" in theirs, name
        assert ("Signature is Valid." in theirs) == ours.intact, name
        assert ("Digest Mismatch." in theirs) == (ours.sub_indication == "HASH_FAILURE"), name
        assert ("Total document signed" in theirs) == (ours.coverage == "entire_file"), name
    assert validate(cases["signed"]).signatures[0].indication == "TOTAL-PASSED"
