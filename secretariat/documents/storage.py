"""Content-addressed, encrypted file storage.

A file's identity is the SHA-256 of its plaintext. Each file is encrypted at rest with
AES-256-GCM under its own random 256-bit key; that key is wrapped (AES-256-GCM too) by the node
master key. The blob lives at `ab/cd/<sha256>` in a Django storage: a FileSystemStorage on
`FILES_DIR` (written to a temporary file, then linked into place, so a reader never sees half a
blob and a blob is never replaced) or, when `FILES_S3_BUCKET` is set, an S3-compatible bucket
(django-storages; conditional PUTs, so an object is never replaced either: `storage_s3.py`).
Either store holds only ciphertext: whoever reads the bucket learns sizes and digests, no text.

Blob layout (everything needed to read it back travels with it, so a blob left behind by a
rolled-back transaction is reused, never overwritten, when the same content comes again):

    b"SCF1" | master key id (16 ASCII) | wrapped file key (12 nonce + 32 key + 16 tag)
            | 12-byte nonce | ciphertext + 16-byte GCM tag

The GCM associated data binds the ciphertext to its SHA-256 and the wrapped key to the key id
and the SHA-256, so a blob moved under another name or another key fails to open.

Files are immutable: nothing here rewrites or deletes a blob that a StoredFile row points to.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction

from secretariat.core.keys import (  # noqa: F401  (re-exported for the store's readers)
    MASTER_KEY_FILE_NAME,
    _load_master_key,
    master_key,
    master_key_id,
)

from .models import StoredFile

MAGIC = b"SCF1"
KEY_ID_LENGTH = 16
NONCE_LENGTH = 12
WRAPPED_KEY_LENGTH = NONCE_LENGTH + 32 + 16
HEADER_LENGTH = len(MAGIC) + KEY_ID_LENGTH + WRAPPED_KEY_LENGTH


class FileIntegrityError(Exception):
    """A stored blob is missing, was altered, or does not hash to its name. Not a user error:
    it means the storage was tampered with or damaged, and is reported to the operators."""


# --- The master key (kept in core.keys: it also seals the signing app's secrets) ------------


def _master_key_for(key_id: str) -> bytes:
    current_id, raw = master_key()
    if key_id != current_id:
        # Key rotation would add retired keys here; until then an unknown id is a hard error.
        raise FileIntegrityError(f"the file is wrapped by master key {key_id}, not {current_id}")
    return raw


# --- The storage backend ------------------------------------------------------------------


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that never exposes a partly written file and never replaces one.

    Django's own `_save` writes straight into the final name; a crash mid-write would leave a
    truncated blob under a valid name. Here the bytes go to a temporary file in the same
    directory, are fsync'ed, then hard-linked into place: `link` fails if the name exists, so
    two writers of the same content cannot clobber each other."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Content-addressed names are final: same name = same content, never "name_x7Ab.pdf".
        return name

    def _save(self, name: str, content: Any) -> str:
        full = Path(self.path(name))
        full.parent.mkdir(parents=True, exist_ok=True)
        tmp = full.with_name(f".{full.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, full)
        finally:
            tmp.unlink(missing_ok=True)
        return name


@functools.lru_cache(maxsize=8)
def _storage(files_dir: str, s3: tuple[tuple[str, str], ...]) -> Storage:
    options = dict(s3)
    if options["bucket"]:
        # Optional backend, imported only when configured (boto3 stays unloaded otherwise).
        from .storage_s3 import make_storage

        return make_storage(**options)
    return AtomicFileSystemStorage(location=files_dir, file_permissions_mode=0o600)


# Settings of the S3-compatible backend (all `SECRETARIAT_FILES_S3_*` in the environment) and
# the keyword each one is given to `storage_s3.make_storage` as.
_S3_SETTINGS = {
    "bucket": "FILES_S3_BUCKET",
    "endpoint": "FILES_S3_ENDPOINT",
    "region": "FILES_S3_REGION",
    "access_key": "FILES_S3_ACCESS_KEY_ID",
    "secret_key": "FILES_S3_SECRET_ACCESS_KEY",
    "addressing_style": "FILES_S3_ADDRESSING_STYLE",
}


def blob_storage() -> Storage:
    """The storage holding the encrypted blobs: the local `FILES_DIR`, or the S3-compatible
    bucket `FILES_S3_BUCKET` when set (settings read at call time, so tests can switch)."""
    from django.conf import settings

    s3 = tuple(
        (keyword, str(getattr(settings, name, "") or "")) for keyword, name in _S3_SETTINGS.items()
    )
    return _storage(str(settings.FILES_DIR), s3)


def blob_name(sha256: str) -> str:
    """The fan-out path of a blob: ab/cd/abcd…, so no directory holds millions of entries."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


# --- Encryption ---------------------------------------------------------------------------


def _content_aad(sha256: str) -> bytes:
    return b"secretariat-file-v1:" + sha256.encode("ascii")


def _key_aad(key_id: str, sha256: str) -> bytes:
    return b"secretariat-file-key-v1:" + key_id.encode("ascii") + b":" + sha256.encode("ascii")


def _wrap(file_key: bytes, *, key_id: str, master: bytes, sha256: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_LENGTH)
    return nonce + AESGCM(master).encrypt(nonce, file_key, _key_aad(key_id, sha256))


def _unwrap(wrapped: bytes, *, key_id: str, sha256: str) -> bytes:
    master = _master_key_for(key_id)
    try:
        return AESGCM(master).decrypt(
            wrapped[:NONCE_LENGTH], wrapped[NONCE_LENGTH:], _key_aad(key_id, sha256)
        )
    except InvalidTag as exc:
        raise FileIntegrityError(f"the key of file {sha256} does not unwrap") from exc


def _seal(data: bytes, sha256: str) -> bytes:
    key_id, master = master_key()
    file_key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(NONCE_LENGTH)
    ciphertext = AESGCM(file_key).encrypt(nonce, data, _content_aad(sha256))
    wrapped = _wrap(file_key, key_id=key_id, master=master, sha256=sha256)
    return MAGIC + key_id.encode("ascii") + wrapped + nonce + ciphertext


def _parse_header(blob: bytes, sha256: str) -> tuple[str, bytes]:
    if len(blob) < HEADER_LENGTH + NONCE_LENGTH + 16 or not blob.startswith(MAGIC):
        raise FileIntegrityError(f"the blob of file {sha256} is not a sealed file")
    key_id = blob[len(MAGIC) : len(MAGIC) + KEY_ID_LENGTH].decode("ascii", "replace")
    wrapped = blob[len(MAGIC) + KEY_ID_LENGTH : HEADER_LENGTH]
    return key_id, wrapped


def _open_blob(blob: bytes, *, sha256: str, key_id: str, wrapped: bytes) -> bytes:
    file_key = _unwrap(wrapped, key_id=key_id, sha256=sha256)
    body = blob[HEADER_LENGTH:]
    try:
        data = AESGCM(file_key).decrypt(
            body[:NONCE_LENGTH], body[NONCE_LENGTH:], _content_aad(sha256)
        )
    except InvalidTag as exc:
        raise FileIntegrityError(f"file {sha256} was altered: its GCM tag does not verify") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise FileIntegrityError(f"file {sha256} does not hash to its name")
    return data


def _read_blob(sha256: str) -> bytes:
    storage = blob_storage()
    name = blob_name(sha256)
    try:
        with storage.open(name, "rb") as handle:
            blob: bytes = handle.read()
    except FileNotFoundError as exc:
        raise FileIntegrityError(f"the blob of file {sha256} is missing") from exc
    return blob


# --- Public API ---------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(data: bytes, *, content_type: str) -> StoredFile:
    """Store `data` (once: same content, same row and blob) and return its StoredFile.

    Runs in the caller's transaction. The blob is written first: if the transaction then rolls
    back, the blob stays without a row and is reused by the next store of the same content
    (its header carries its wrapped key), so no path ever holds two different encryptions."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("storage.store must run inside the transaction that uses the file")
    sha256 = sha256_hex(data)
    existing = StoredFile.objects.filter(sha256=sha256).first()
    if existing is not None:
        return existing
    storage = blob_storage()
    name = blob_name(sha256)
    if not storage.exists(name):
        storage.save(name, ContentFile(_seal(data, sha256)))
    # Whatever blob is now at the name (ours, or an earlier writer's), the row must describe it.
    blob = _read_blob(sha256)
    try:
        key_id, wrapped = _parse_header(blob, sha256)
        _open_blob(blob, sha256=sha256, key_id=key_id, wrapped=wrapped)
    except FileIntegrityError:
        # An unreferenced, damaged blob (no row points to it): replace it. A referenced one is
        # never rewritten — we only get here when no StoredFile row exists.
        storage.delete(name)
        storage.save(name, ContentFile(_seal(data, sha256)))
        blob = _read_blob(sha256)
        key_id, wrapped = _parse_header(blob, sha256)
    stored, _created = StoredFile.objects.get_or_create(
        sha256=sha256,
        defaults={
            "size": len(data),
            "content_type": content_type,
            "wrapped_key": wrapped,
            "master_key_id": key_id,
        },
    )
    return stored


def open_plaintext(stored_file: StoredFile) -> bytes:
    """The plaintext of a stored file, after checking its GCM tag and its SHA-256.
    Raises FileIntegrityError when the blob is missing, altered or mislabelled."""
    sha256 = stored_file.sha256
    blob = _read_blob(sha256)
    key_id, wrapped_in_blob = _parse_header(blob, sha256)
    wrapped = bytes(stored_file.wrapped_key)
    if key_id != stored_file.master_key_id or wrapped_in_blob != wrapped:
        raise FileIntegrityError(f"the blob of file {sha256} is not the one recorded")
    return _open_blob(blob, sha256=sha256, key_id=key_id, wrapped=wrapped)


def blob_exists(stored_file: StoredFile) -> bool:
    return bool(blob_storage().exists(blob_name(stored_file.sha256)))
