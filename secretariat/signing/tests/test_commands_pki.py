"""Operator commands: signing_issue, signing_trust, signing_revoke (text and --json output;
bad input is a clear message and exit status 2)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.core.management.base import CommandError

from secretariat.audit.models import AuditEvent
from secretariat.signing import keys, pki
from secretariat.signing import pkcs11 as p11
from secretariat.signing.models import Credential, KeyBackend, TrustAnchor
from secretariat.signing.tests.softhsm import SOFTHSM_MODULE, init_token


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _fails(*args: str) -> str:
    with pytest.raises(CommandError) as raised:
        _run(*args)
    assert raised.value.returncode == 2
    return str(raised.value)


@pytest.fixture
def official(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("quanglm", position=(tree["office"], "Chánh Văn phòng"))


def test_issue_for_a_user_as_json(official: Any) -> None:
    result = json.loads(_run("signing_issue", "--user", "quanglm", "--json"))
    assert result["user"] == "quanglm"
    assert result["purpose"] == "personal"
    assert result["backend"] == "pkcs12"
    assert result["status"] == "active"
    credential = Credential.objects.get(pk=result["id"])
    assert credential.user == official
    event = AuditEvent.objects.get(action="signing.credential_issued")
    assert event.actor_id is None


def test_issue_a_seal(tree: dict[str, Any]) -> None:
    text = _run("signing_issue", "--unit", tree["office"].code)
    assert text.startswith("issued ")
    assert Credential.objects.get(unit=tree["office"]).purpose == "seal"


def test_issue_on_a_pkcs11_token(
    official: Any, softhsm_dir: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_token(softhsm_dir, label="usb-token", pin="654321")
    monkeypatch.setenv("TOKEN_PIN", "654321")
    result = json.loads(
        _run(
            "signing_issue",
            "--user",
            "quanglm",
            "--pkcs11-module",
            SOFTHSM_MODULE,
            "--token-label",
            "usb-token",
            "--key-label",
            "quanglm-2026",
            "--pin-env",
            "TOKEN_PIN",
            "--json",
        )
    )
    assert result["backend"] == KeyBackend.PKCS11
    assert result["pkcs11_key_label"] == "quanglm-2026"
    credential = Credential.objects.get(pk=result["id"])
    with p11.session(SOFTHSM_MODULE, token_label="usb-token", pin="654321") as opened:
        assert p11.read_certificate(opened, label="quanglm-2026") == bytes(credential.certificate)
    settings.SIGNING_PKCS11_MODULE = SOFTHSM_MODULE
    with keys.open_signer(credential, pin="654321") as signer:
        assert signer.signing_cert.dump() == bytes(credential.certificate)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--user", "nobody"), "No active user named 'nobody'"),
        (("--unit", "999.99.99.X"), "No unit with the code"),
        (("--user", "quanglm", "--purpose", "seal"), "needs a unit"),
        (("--user", "quanglm", "--valid-days", "0"), "validity"),
        (("--user", "quanglm", "--pkcs11-module", SOFTHSM_MODULE), "needs --token-label"),
        (
            (
                "--user",
                "quanglm",
                "--pkcs11-module",
                SOFTHSM_MODULE,
                "--token-label",
                "t",
                "--key-label",
                "k",
                "--pin-env",
                "SECRETARIAT_TEST_UNSET_PIN",
            ),
            "is not set",
        ),
    ],
)
def test_issue_bad_input(official: Any, args: tuple[str, ...], message: str) -> None:
    assert message in _fails("signing_issue", *args)
    assert not Credential.objects.exists()


def test_issue_on_a_missing_token(official: Any, softhsm_dir: Path, monkeypatch: Any) -> None:
    init_token(softhsm_dir, label="present", pin="654321")
    monkeypatch.setenv("TOKEN_PIN", "654321")
    message = _fails(
        "signing_issue",
        "--user",
        "quanglm",
        "--pkcs11-module",
        SOFTHSM_MODULE,
        "--token-label",
        "absent",
        "--key-label",
        "k",
        "--pin-env",
        "TOKEN_PIN",
    )
    assert "no token labelled 'absent'" in message


def _root_pem(tmp_path: Path, name: str = "Root CA") -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "root.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_trust_a_file(db: Any, tmp_path: Path) -> None:
    path = _root_pem(tmp_path, "Ban Cơ yếu Root")
    result = json.loads(_run("signing_trust", str(path), "--json"))
    assert [a["kind"] for a in result["added"]] == ["root"]
    assert TrustAnchor.objects.filter(subject="CN=Ban Cơ yếu Root").exists()
    assert "already in the trust store" in _fails("signing_trust", str(path))


def test_trust_bad_files(db: Any, tmp_path: Path) -> None:
    assert "cannot read" in _fails("signing_trust", str(tmp_path / "missing.pem"))
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01junk")
    assert "not a certificate" in _fails("signing_trust", str(junk))
    assert not TrustAnchor.objects.exists()


def test_revoke_by_serial_and_fingerprint(official: Any) -> None:
    first = pki.issue_credential(actor=None, purpose="personal", user=official)
    second = pki.issue_credential(actor=None, purpose="personal", user=official)
    serial_with_colons = ":".join(
        first.serial.upper()[i : i + 2] for i in range(0, len(first.serial), 2)
    )
    result = json.loads(
        _run("signing_revoke", serial_with_colons, "--reason", "key_compromise", "--json")
    )
    assert result["status"] == "revoked"
    assert result["revocation_reason"] == "key_compromise"
    text = _run("signing_revoke", second.fingerprint)
    assert text.startswith(f"revoked {second.serial}")
    crl = x509.load_der_x509_crl(pki.crl_der())
    assert crl.get_revoked_certificate_by_serial_number(int(first.serial, 16)) is not None


def test_revoke_bad_input(official: Any) -> None:
    credential = pki.issue_credential(actor=None, purpose="personal", user=official)
    assert "in hex" in _fails("signing_revoke", "not-hex!")
    assert "No certificate" in _fails("signing_revoke", "abcdef")
    with pytest.raises(CommandError):
        _run("signing_revoke", credential.serial, "--reason", "bored")
    _run("signing_revoke", credential.serial)
    assert "already revoked" in _fails("signing_revoke", credential.serial)
