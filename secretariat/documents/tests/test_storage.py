"""Encrypted, content-addressed storage: round trip, deduplication, tamper detection, keys."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from secretariat.documents import storage
from secretariat.documents.models import StoredFile

from .factories import blobs, isolated_storage_fixture, text_pdf  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_storage")]

CONTENT = "Nghị quyết số 12-NQ/TU về chuyển đổi số".encode()


def _store(data: bytes) -> StoredFile:
    with transaction.atomic():
        return storage.store(data, content_type="application/pdf")


def test_round_trip_and_ciphertext_at_rest(isolated_storage: Path) -> None:
    stored = _store(CONTENT)
    assert stored.sha256 == storage.sha256_hex(CONTENT)
    assert storage.open_plaintext(stored) == CONTENT
    [blob] = blobs(isolated_storage)
    # Fan-out path ab/cd/<sha>, and no plaintext on disk.
    assert blob.relative_to(isolated_storage).parts == (
        stored.sha256[:2],
        stored.sha256[2:4],
        stored.sha256,
    )
    assert CONTENT not in blob.read_bytes()
    assert "chuyển đổi".encode() not in blob.read_bytes()


def test_same_content_is_stored_once(isolated_storage: Path) -> None:
    first = _store(CONTENT)
    second = _store(CONTENT)
    assert first.pk == second.pk
    assert StoredFile.objects.count() == 1
    assert len(blobs(isolated_storage)) == 1


def test_each_file_has_its_own_key(isolated_storage: Path) -> None:
    a = _store(b"first file")
    b = _store(b"second file")
    assert bytes(a.wrapped_key) != bytes(b.wrapped_key)
    assert a.master_key_id == b.master_key_id == storage.master_key()[0]


@pytest.mark.parametrize("offset", [-1, -20, storage.HEADER_LENGTH + 14, 30])
def test_tampered_blob_is_detected(isolated_storage: Path, offset: int) -> None:
    stored = _store(CONTENT)
    [blob] = blobs(isolated_storage)
    raw = bytearray(blob.read_bytes())
    raw[offset] ^= 0x01
    blob.write_bytes(bytes(raw))
    with pytest.raises(storage.FileIntegrityError):
        storage.open_plaintext(stored)


def test_blob_swapped_for_another_file_is_detected(isolated_storage: Path) -> None:
    a = _store(b"van ban A")
    b = _store(b"van ban B")
    path_a = isolated_storage / storage.blob_name(a.sha256)
    path_b = isolated_storage / storage.blob_name(b.sha256)
    path_a.write_bytes(path_b.read_bytes())
    with pytest.raises(storage.FileIntegrityError):
        storage.open_plaintext(a)


def test_missing_blob_is_an_integrity_error(isolated_storage: Path) -> None:
    stored = _store(CONTENT)
    (isolated_storage / storage.blob_name(stored.sha256)).unlink()
    with pytest.raises(storage.FileIntegrityError, match="missing"):
        storage.open_plaintext(stored)


def test_wrong_master_key_cannot_open(settings: Any) -> None:
    stored = _store(CONTENT)
    settings.MASTER_KEY = base64.b64encode(b"k" * 32).decode()
    with pytest.raises(storage.FileIntegrityError):
        storage.open_plaintext(stored)


def test_blob_of_a_rolled_back_capture_is_reused(isolated_storage: Path) -> None:
    """A blob written by a transaction that rolled back is picked up, not duplicated."""

    def store_then_fail() -> None:
        with transaction.atomic():
            storage.store(CONTENT, content_type="application/pdf")
            raise RuntimeError("capture failed later")

    with pytest.raises(RuntimeError):
        store_then_fail()
    assert StoredFile.objects.count() == 0
    assert len(blobs(isolated_storage)) == 1
    stored = _store(CONTENT)
    assert storage.open_plaintext(stored) == CONTENT
    assert len(blobs(isolated_storage)) == 1


def test_development_master_key_is_generated_once_private(settings: Any, tmp_path: Path) -> None:
    settings.MASTER_KEY = ""
    settings.KEYS_DIR = tmp_path / "devkeys"
    key_id, raw = storage.master_key()
    path = tmp_path / "devkeys" / storage.MASTER_KEY_FILE_NAME
    assert len(raw) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert storage.master_key() == (key_id, raw)
    storage._load_master_key.cache_clear()
    assert storage.master_key() == (key_id, raw)  # read back from the file, not regenerated


def test_configured_master_key_must_be_32_bytes(settings: Any) -> None:
    settings.MASTER_KEY = base64.b64encode(b"short").decode()
    with pytest.raises(ValueError, match="32 bytes"):
        storage.master_key()


def test_atomic_write_leaves_no_temporary_file(isolated_storage: Path) -> None:
    _store(text_pdf(["Tờ trình"]))
    names = [p.name for p in isolated_storage.rglob("*") if p.is_file()]
    assert names
    assert not [n for n in names if n.endswith(".tmp")]
