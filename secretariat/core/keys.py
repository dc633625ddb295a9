"""The node's Ed25519 signing key: it signs audit checkpoints (and, later, exchange packages).

Production provides the key in `SECRETARIAT_NODE_SIGNING_KEY` (PEM, PKCS#8); the settings refuse
to start without it. Development generates one on first use and keeps it under `KEYS_DIR`, so
checkpoints signed yesterday still verify today.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE_NAME = "node_ed25519.pem"
_generate_lock = threading.Lock()


def node_signing_key() -> Ed25519PrivateKey:
    """The node's private key, from the settings when given, else from (or into) `KEYS_DIR`."""
    # Settings are read here, not at import, so tests and commands may override them.
    from django.conf import settings

    return _load(str(settings.NODE_SIGNING_KEY or ""), str(settings.KEYS_DIR))


def node_public_key() -> Ed25519PublicKey:
    return node_signing_key().public_key()


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key (RFC 8032 encoding)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_hex(public_key: Ed25519PublicKey) -> str:
    return public_key_bytes(public_key).hex()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: the first 16 hex digits of SHA-256 of its bytes."""
    return hashlib.sha256(public_key_bytes(public_key)).hexdigest()[:16]


# Cached per (configured PEM, key directory): parsing is cheap, but generating must happen once,
# and tests that point KEYS_DIR elsewhere must get another key, not a stale one.
@functools.lru_cache(maxsize=8)
def _load(configured_pem: str, keys_dir: str) -> Ed25519PrivateKey:
    if configured_pem.strip():
        return _parse(configured_pem.encode("utf-8"), source="SECRETARIAT_NODE_SIGNING_KEY")
    path = Path(keys_dir) / KEY_FILE_NAME
    with _generate_lock:
        if not path.exists():
            _generate_into(path)
    return _parse(path.read_bytes(), source=str(path))


def _parse(pem: bytes, *, source: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{source} is not an Ed25519 private key (PEM, PKCS#8)")
    return key


def _generate_into(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Write to a private temporary file, then hard-link it into place: link() fails when another
    # process won the race, and then both use the winner's key instead of two different ones.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
