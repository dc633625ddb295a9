"""SoftHSM2 tokens for tests, the agent's tests and the demo: a real PKCS#11 device.

`make_token(directory, ...)` initialises a new token with `softhsm2-util` in `directory` (its own
`softhsm2.conf` and `tokens/` folder; every token made in the same directory shares them),
generates an RSA-2048 key pair on it, has the built-in authority certify the public key read
from the token, and writes the certificate on the token with the key's label and CKA_ID.

SoftHSM2 reads `SOFTHSM2_CONF` when the library is initialised: `make_token` points the
variable of this process at the directory's configuration and reinitialises the library (which
closes the process's open sessions of it). Child processes (the agent) need `conf_path` in their
environment as `SOFTHSM2_CONF`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from secretariat.signing import pkcs11 as p11
from secretariat.signing import pki

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "87654321"


@dataclass(frozen=True)
class SoftToken:
    module: str
    token_label: str
    pin: str
    key_label: str
    certificate_der: bytes
    conf_path: str

    @property
    def env(self) -> dict[str, str]:
        """Environment variables a child process needs to see this token."""
        return {"SOFTHSM2_CONF": self.conf_path}


def softhsm_available() -> bool:
    return Path(SOFTHSM_MODULE).exists() and shutil.which("softhsm2-util") is not None


def configure(directory: Path) -> Path:
    """The SoftHSM2 configuration for `directory` (written once), made this process's."""
    directory = Path(directory)
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    if not conf.exists():
        conf.write_text(
            f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
            "slots.removable = false\n"
        )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return conf


def init_token(directory: Path, *, label: str, pin: str, so_pin: str = SO_PIN) -> Path:
    """A new, empty token labelled `label` in `directory`, seen by this process's library."""
    conf = configure(directory)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            so_pin,
            "--pin",
            pin,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    p11.rescan(SOFTHSM_MODULE)
    return conf


def make_token(
    directory: Path,
    *,
    label: str,
    key_label: str,
    pin: str,
    subject: x509.Name,
    purpose: str = "personal",
    valid_days: int = pki.CERT_VALIDITY_DAYS,
    not_before: dt.datetime | None = None,
) -> SoftToken:
    """A new token with a key pair generated on it and a certificate of the built-in
    authority for that key, stored on the token (needs the database: the authority)."""
    conf = init_token(directory, label=label, pin=pin)
    with p11.session(SOFTHSM_MODULE, token_label=label, pin=pin, rw=True) as opened:
        public_key = p11.generate_rsa_key(opened, label=key_label)
        certificate = pki.build_certificate(
            public_key=public_key,
            subject=subject,
            purpose=purpose,
            valid_days=valid_days,
            not_before=not_before,
        )
        der = certificate.public_bytes(serialization.Encoding.DER)
        p11.store_certificate(opened, label=key_label, certificate_der=der)
    # Leave the token logged out, as a freshly plugged-in one: code that logs in by itself
    # (pyHanko's PKCS#11 signing context) can then do so in this process.
    p11.forget_login(SOFTHSM_MODULE, label)
    return SoftToken(
        module=SOFTHSM_MODULE,
        token_label=label,
        pin=pin,
        key_label=key_label,
        certificate_der=der,
        conf_path=str(conf),
    )
