"""`manage.py validate_pdf FILE [--trust-root PEM ...] --json`: the report as JSON, exit 0 when
every signature passes, 1 when one does not, 2 with a clear error when the file cannot be
checked (not a PDF, no signature)."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from secretariat.signing.tests.validation_pdfs import (
    SIGNED_TEXT,
    foreign_authority,
    key_holder,
    personal_credential,
    plain_pdf,
    sign,
)

KEYS = {
    "signer",
    "indication",
    "sub_indication",
    "intact",
    "trusted",
    "modified_after_signing",
    "signed_at",
}


def _run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("validate_pdf", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def test_a_valid_signature_as_json(make_user: Any, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(sign(plain_pdf(), key_holder(personal_credential(make_user("nguyenvana")))))
    code, out = _run(str(path), "--json")
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"signatures"}
    [signature] = report["signatures"]
    assert set(signature) >= KEYS
    assert signature["signer"] == "Nguyễn Văn A"
    assert (signature["indication"], signature["sub_indication"]) == ("TOTAL-PASSED", None)
    assert signature["intact"] is True
    assert signature["trusted"] is True
    assert signature["modified_after_signing"] is False
    assert signature["signed_at"]["claimed"] is False
    assert signature["signed_at"]["time"]

    code, text = _run(str(path))
    assert code == 0
    assert text.startswith("Signature 1 (Signature1): TOTAL-PASSED — Nguyễn Văn A at ")


def test_an_invalid_signature_exits_1_with_its_report(make_user: Any, tmp_path: Path) -> None:
    signed = sign(plain_pdf(), key_holder(personal_credential(make_user("nguyenvana"))))
    at = signed.index(SIGNED_TEXT)
    path = tmp_path / "tampered.pdf"
    path.write_bytes(signed[:at] + b"Quyet dinh so 13" + signed[at + 16 :])
    code, out = _run(str(path), "--json")
    assert code == 1
    [signature] = json.loads(out)["signatures"]
    assert (signature["indication"], signature["sub_indication"]) == (
        "TOTAL-FAILED",
        "HASH_FAILURE",
    )
    assert signature["intact"] is False


def test_extra_trust_roots_pem_or_der(db: Any, tmp_path: Path) -> None:
    foreign = foreign_authority()
    path = tmp_path / "foreign.pdf"
    path.write_bytes(sign(plain_pdf(), foreign.signer, level="B-B"))
    code, out = _run(str(path), "--json", "--no-fetch")
    assert code == 1
    [signature] = json.loads(out)["signatures"]
    assert signature["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert signature["trusted"] is False
    pem, der = tmp_path / "root.pem", tmp_path / "root.cer"
    # A PEM bundle may hold several certificates; the one that matters is among them.
    other = foreign_authority("Người khác")
    pem.write_bytes(other.root_pem + foreign.root_pem)
    der.write_bytes(foreign.root_der)
    for root in (pem, der):
        code, out = _run(str(path), "--json", "--trust-root", str(root))
        assert code == 0, out
        [signature] = json.loads(out)["signatures"]
        assert (signature["indication"], signature["trusted"]) == ("TOTAL-PASSED", True)
    code, out = _run(str(path), "--json", "--trust-root", str(pem), "--trust-root", str(der))
    assert code == 0


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"hello, not a pdf", "is not a PDF"),
        (None, "has no digital signature"),
    ],
)
def test_no_pdf_or_no_signature_exits_2(
    db: Any, tmp_path: Path, content: bytes | None, error: str
) -> None:
    path = tmp_path / "input.pdf"
    path.write_bytes(plain_pdf() if content is None else content)
    code, out = _run(str(path), "--json")
    assert code == 2
    assert error in json.loads(out)["error"]
    code, out = _run(str(path))
    assert code == 2
    assert out == ""


def test_bad_arguments_exit_2(db: Any, tmp_path: Path) -> None:
    code, out = _run(str(tmp_path / "missing.pdf"), "--json")
    assert code == 2
    assert "Cannot read" in json.loads(out)["error"]
    path = tmp_path / "unsigned.pdf"
    path.write_bytes(plain_pdf())
    bad_root = tmp_path / "root.pem"
    bad_root.write_text("not a certificate")
    code, out = _run(str(path), "--json", "--trust-root", str(bad_root))
    assert code == 2
    assert "not a certificate" in json.loads(out)["error"]


def test_the_real_command_line(tmp_path: Path) -> None:
    """Through manage.py, as an operator runs it: the reason on stderr, JSON on stdout, 2."""
    path = tmp_path / "notes.txt"
    path.write_text("Biên bản họp chi bộ")
    done = subprocess.run(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "validate_pdf",
            str(path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert "is not a PDF" in done.stderr
    assert json.loads(done.stdout) == {"error": f"{path}: The file is not a PDF."}
