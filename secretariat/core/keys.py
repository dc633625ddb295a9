"""The node's two secrets.

- The Ed25519 signing key signs audit checkpoints (and exchange packages). Production provides
  it in `SECRETARIAT_NODE_SIGNING_KEY` (PEM, PKCS#8).
- The master key (32 bytes, base64 in `SECRETARIAT_MASTER_KEY`) wraps the per-file keys of the
  document store and seals the other secrets kept in the database (the built-in CA's key, demo
  PKCS#12 files): `seal` / `unseal`.

The settings refuse to start in production without either. Development generates each on first
use and keeps it under `KEYS_DIR`, so what was signed or sealed yesterday still opens today.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE_NAME = "node_ed25519.pem"
MASTER_KEY_FILE_NAME = "master.key"
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
    _write_private(
        path,
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write a new secret file, mode 0600, in a private directory. Written to a temporary file,
    then hard-linked into place: link() fails when another process won the race, and then both
    use the winner's key instead of two different ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- The master key -------------------------------------------------------------------------

MASTER_KEY_ID_LENGTH = 16
_SEAL_MAGIC = b"SKS1"


class SealError(Exception):
    """A sealed secret does not open: another master key, another context, or altered bytes."""


@functools.lru_cache(maxsize=8)
def _load_master_key(configured: str, keys_dir: str) -> tuple[str, bytes]:
    if configured.strip():
        raw = _decode_master_key(
            configured.strip().encode("ascii"), source="SECRETARIAT_MASTER_KEY"
        )
    else:
        path = Path(keys_dir) / MASTER_KEY_FILE_NAME
        with _generate_lock:
            if not path.exists():
                _write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
        raw = _decode_master_key(path.read_bytes().strip(), source=str(path))
    return master_key_id(raw), raw


def _decode_master_key(encoded: bytes, *, source: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise ValueError(f"{source} is not base64") from exc
    if len(raw) != 32:
        raise ValueError(f"{source} must hold 32 bytes (base64), not {len(raw)}")
    return raw


def master_key_id(raw: bytes) -> str:
    """A short, stable name for a master key: 16 hex digits of SHA-256 over a label and it."""
    return hashlib.sha256(b"secretariat-master-key:" + raw).hexdigest()[:MASTER_KEY_ID_LENGTH]


def master_key() -> tuple[str, bytes]:
    """(key id, 32 raw bytes) of the node master key: from the settings in production, else
    generated once under KEYS_DIR. Settings are read at call time (tests override them)."""
    from django.conf import settings

    return _load_master_key(str(settings.MASTER_KEY or ""), str(settings.KEYS_DIR))


def seal(plaintext: bytes, *, context: str) -> bytes:
    """Encrypt a small secret for storage (AES-256-GCM under the master key). `context` names
    what the secret is for ("signing.ca-key:<id>"); the same context must be given to open it,
    so a sealed value copied into another row does not open there."""
    key_id, raw = master_key()
    nonce = secrets.token_bytes(12)
    aad = _SEAL_MAGIC + key_id.encode("ascii") + context.encode("utf-8")
    return _SEAL_MAGIC + key_id.encode("ascii") + nonce + AESGCM(raw).encrypt(nonce, plaintext, aad)


def unseal(sealed: bytes, *, context: str) -> bytes:
    head = len(_SEAL_MAGIC) + MASTER_KEY_ID_LENGTH
    if len(sealed) < head + 12 + 16 or not sealed.startswith(_SEAL_MAGIC):
        raise SealError("not a sealed secret")
    key_id = sealed[len(_SEAL_MAGIC) : head].decode("ascii", "replace")
    current_id, raw = master_key()
    if key_id != current_id:
        raise SealError(f"sealed by master key {key_id}, not {current_id}")
    nonce = sealed[head : head + 12]
    aad = _SEAL_MAGIC + key_id.encode("ascii") + context.encode("utf-8")
    try:
        return AESGCM(raw).decrypt(nonce, sealed[head + 12 :], aad)
    except InvalidTag as exc:
        raise SealError("the sealed secret was altered or belongs to another context") from exc
