"""The node signing key: generated once and kept private, or taken from the settings."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secretariat.core import keys


def test_generated_once_with_mode_0600(settings: Any, tmp_path: Path) -> None:
    settings.KEYS_DIR = tmp_path / "nested" / "keys"
    first = keys.node_public_key()
    path = settings.KEYS_DIR / keys.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys._load.cache_clear()  # a new process reads the same file
    assert keys.public_key_bytes(keys.node_public_key()) == keys.public_key_bytes(first)


def test_configured_key_wins(settings: Any, tmp_path: Path) -> None:
    configured = Ed25519PrivateKey.generate()
    settings.NODE_SIGNING_KEY = configured.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.KEYS_DIR = tmp_path / "unused"
    assert keys.public_key_hex(keys.node_public_key()) == keys.public_key_hex(
        configured.public_key()
    )
    assert not settings.KEYS_DIR.exists()


def test_key_id_is_short_sha256_of_the_raw_key() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    import hashlib

    assert keys.key_id(public) == hashlib.sha256(keys.public_key_bytes(public)).hexdigest()[:16]
