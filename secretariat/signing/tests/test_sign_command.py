"""`manage.py sign_pdf IN OUT --user USERNAME [--level L] [--pkcs11-module SO --token-label L
--key-label K --pin-env VAR] [--json]`."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from secretariat.signing.tests.softhsm import SoftToken
from secretariat.signing.tests.test_pades import (
    assert_independently_valid,
    make_pdf,
    pdfsig_dump,
    personal_credential,
    unsigned_attribute_types,
)


@pytest.fixture
def leader(make_user: Callable[..., Any], tree: dict[str, Any]) -> Any:
    user = make_user("leader", position=(tree["office"], "Chánh Văn phòng"))
    user.full_name = "Nguyễn Thị Hằng"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "quyet-dinh.pdf"
    path.write_bytes(make_pdf())
    return path


def sign_pdf(*args: str) -> str:
    out = io.StringIO()
    call_command("sign_pdf", *args, stdout=out)
    return out.getvalue()


def test_signs_with_the_users_certificate(
    leader: Any, source: Path, tmp_path: Path, settings: Any
) -> None:
    """The user's personal certificate signs at the node's level, with their name, post and
    unit in the stamp; --json prints where the file went, its digest, who and when."""
    settings.SIGNING_LEVEL = "B-T"
    credential = personal_credential(leader)
    target = tmp_path / "signed.pdf"
    summary = json.loads(sign_pdf(str(source), str(target), "--user", "leader", "--json"))
    signed = target.read_bytes()
    assert summary == {
        "out": str(target),
        "sha256": hashlib.sha256(signed).hexdigest(),
        "signer": credential.subject,
        "level": "B-T",
        "signed_at": summary["signed_at"],
    }
    assert_independently_valid(signed, tmp_path, level="B-T")
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("Nguyễn Thị Hằng", "Chánh Văn phòng", "Văn phòng Tỉnh ủy"):
        assert expected in text


def test_level_and_plain_summary(leader: Any, source: Path, tmp_path: Path) -> None:
    personal_credential(leader)
    target = tmp_path / "signed.pdf"
    printed = sign_pdf(str(source), str(target), "--user", "leader", "--level", "B-B")
    assert printed.startswith(f"Signed {source} -> {target} (B-B) by CN=")
    dumped = pdfsig_dump(target.read_bytes(), tmp_path)
    assert "signature_time_stamp_token" not in unsigned_attribute_types(dumped[0])


def test_signs_with_a_pkcs11_key_and_a_pin_from_the_environment(
    leader: Any,
    source: Path,
    tmp_path: Path,
    softhsm_token: SoftToken,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The key and its certificate are read from the token; the PIN from the variable named
    by --pin-env (never given on the command line)."""
    monkeypatch.setenv("TOKEN_PIN", softhsm_token.pin)
    target = tmp_path / "signed.pdf"
    summary = json.loads(
        sign_pdf(
            str(source),
            str(target),
            "--user",
            "leader",
            "--level",
            "B-LTA",
            "--pkcs11-module",
            softhsm_token.module,
            "--token-label",
            softhsm_token.token_label,
            "--key-label",
            softhsm_token.key_label,
            "--pin-env",
            "TOKEN_PIN",
            "--json",
        )
    )
    assert summary["signer"].startswith("CN=Nguyễn Văn An")
    assert summary["level"] == "B-LTA"
    assert_independently_valid(target.read_bytes(), tmp_path, level="B-LTA")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown user", "Unknown or inactive user 'nobody'"),
        ("no credential", "leader has no valid personal signing certificate"),
        ("not a pdf", "is not a PDF"),
        ("unreadable", "Cannot read"),
        ("bad level", "Unknown level 'B-Z'"),
        ("wrong pin", "refused the PIN"),
        ("pin not set", r"TOKEN_PIN \(the PIN\) is not set"),
        ("incomplete device", "needs --token-label, --key-label as well"),
        ("no output folder", "Cannot write"),
    ],
)
def test_problems_exit_2_with_a_clear_message(
    leader: Any,
    source: Path,
    tmp_path: Path,
    softhsm_token: SoftToken,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    message: str,
) -> None:
    target = tmp_path / "signed.pdf"
    user = "leader"
    device = [
        "--pkcs11-module",
        softhsm_token.module,
        "--token-label",
        softhsm_token.token_label,
        "--key-label",
        softhsm_token.key_label,
        "--pin-env",
        "TOKEN_PIN",
    ]
    extra: list[str] = []
    if case != "no credential":
        personal_credential(leader)
    if case == "unknown user":
        user = "nobody"
    elif case == "not a pdf":
        source.write_bytes(b"\x89PNG\r\n\x1a\n not a pdf")
    elif case == "unreadable":
        source = tmp_path / "missing.pdf"
    elif case == "bad level":
        extra = ["--level", "B-Z"]
    elif case == "wrong pin":
        monkeypatch.setenv("TOKEN_PIN", "000000")
        extra = device
    elif case == "pin not set":
        monkeypatch.delenv("TOKEN_PIN", raising=False)
        extra = device
    elif case == "incomplete device":
        extra = ["--pkcs11-module", softhsm_token.module, "--pin-env", "TOKEN_PIN"]
    elif case == "no output folder":
        target = tmp_path / "absent" / "signed.pdf"
    with pytest.raises(CommandError, match=message) as raised:
        sign_pdf(str(source), str(target), "--user", user, *extra)
    assert raised.value.returncode == 2
    assert not target.exists()
