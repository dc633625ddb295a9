"""The file store on an S3-compatible bucket (`SECRETARIAT_FILES_S3_*`), against a real S3 HTTP
endpoint running in this process (moto's server: requests go through boto3, HTTP and the S3
wire protocol, as they would to MinIO or AWS).

The same promises as the local store: only ciphertext in the bucket, read back intact, tampering
detected, an object never replaced, the same content stored once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.documents import storage
from secretariat.documents.models import StoredFile

from .factories import blobs, capture, text_pdf

pytestmark = [pytest.mark.django_db]

SUBJECT = "Nghị quyết về chuyển đổi số trong cơ quan Đảng"
CONTENT = f"{SUBJECT} — bản lưu".encode()
ACCESS_KEY = "secretariat-test"
SECRET_KEY = "secretariat-test-secret"
REGION = "ap-southeast-1"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3 endpoint on a free port of 127.0.0.1 for the tests of this module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A boto3 client of the endpoint, talking to it like an operator would."""
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@pytest.fixture
def bucket(settings: Any, s3: Any, s3_endpoint: str, tmp_path: Path) -> str:
    """A fresh bucket configured as the file store of this test (the local folder stays empty)."""
    from .factories import TEST_MASTER_KEY

    name = f"secretariat-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.MASTER_KEY = TEST_MASTER_KEY
    settings.KEYS_DIR = tmp_path / "keys"
    settings.FILES_DIR = tmp_path / "files"
    settings.FILES_S3_BUCKET = name
    settings.FILES_S3_ENDPOINT = s3_endpoint
    settings.FILES_S3_REGION = REGION
    settings.FILES_S3_ACCESS_KEY_ID = ACCESS_KEY
    settings.FILES_S3_SECRET_ACCESS_KEY = SECRET_KEY
    settings.FILES_S3_ADDRESSING_STYLE = "path"
    return name


def _objects(s3: Any, bucket: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def _store(data: bytes) -> StoredFile:
    with transaction.atomic():
        return storage.store(data, content_type="application/pdf")


def test_captured_document_is_ciphertext_in_the_bucket_and_reads_back(
    bucket: str, s3: Any, settings: Any, tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    from storages.backends.s3 import S3Storage

    assert isinstance(storage.blob_storage(), S3Storage)
    clerk = make_user("clerk", role=Role.RECORDS_CLERK, unit=tree["commune_a"])
    pdf = text_pdf(["QUYẾT ĐỊNH", SUBJECT])
    document = capture(actor=clerk, unit=tree["commune_a"], data=pdf, name="quyet-dinh.pdf")
    version = document.versions.get()

    objects = _objects(s3, bucket)
    key = storage.blob_name(version.original.sha256)
    assert key in objects
    blob = objects[key]
    # Sealed, and nothing of the plaintext is readable in the bucket.
    assert blob.startswith(storage.MAGIC)
    assert pdf not in blob
    assert b"%PDF" not in blob
    assert "chuyển đổi số".encode() not in blob
    assert blobs(Path(settings.FILES_DIR)) == []  # nothing went to the local folder

    assert storage.open_plaintext(version.original) == pdf
    assert storage.blob_exists(version.original)
    download = client_for(clerk).get(
        reverse("documents:download", args=[document.id, 1, "original"])
    )
    assert download.status_code == 200
    assert download.content == pdf


def test_same_content_is_one_row_and_one_object(bucket: str, s3: Any) -> None:
    first = _store(CONTENT)
    second = _store(CONTENT)
    assert first.pk == second.pk
    assert StoredFile.objects.count() == 1
    assert list(_objects(s3, bucket)) == [storage.blob_name(first.sha256)]


@pytest.mark.parametrize("offset", [-1, -20, storage.HEADER_LENGTH + 14, 30])
def test_tampered_object_is_detected(bucket: str, s3: Any, offset: int) -> None:
    stored = _store(CONTENT)
    key = storage.blob_name(stored.sha256)
    raw = bytearray(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    raw[offset] ^= 0x01
    # An operator (or an attacker) with write access to the bucket, bypassing the platform.
    s3.put_object(Bucket=bucket, Key=key, Body=bytes(raw))
    with pytest.raises(storage.FileIntegrityError):
        storage.open_plaintext(stored)


def test_object_swapped_for_another_file_is_detected(bucket: str, s3: Any) -> None:
    a = _store(b"van ban A")
    b = _store(b"van ban B")
    other = s3.get_object(Bucket=bucket, Key=storage.blob_name(b.sha256))["Body"].read()
    s3.put_object(Bucket=bucket, Key=storage.blob_name(a.sha256), Body=other)
    with pytest.raises(storage.FileIntegrityError):
        storage.open_plaintext(a)


def test_missing_object_is_an_integrity_error(bucket: str, s3: Any) -> None:
    stored = _store(CONTENT)
    s3.delete_object(Bucket=bucket, Key=storage.blob_name(stored.sha256))
    assert not storage.blob_exists(stored)
    with pytest.raises(storage.FileIntegrityError, match="missing"):
        storage.open_plaintext(stored)


def test_an_object_is_never_overwritten(bucket: str, s3: Any) -> None:
    """A second write under a blob's name (another node, a bug, a replayed job) leaves the first
    object as it was: the PUT is conditional, the store answers 412."""
    stored = _store(CONTENT)
    key = storage.blob_name(stored.sha256)
    before = s3.get_object(Bucket=bucket, Key=key)
    original = before["Body"].read()

    name = storage.blob_storage().save(key, ContentFile(b"SCF1 something else entirely"))
    assert name == key
    after = s3.get_object(Bucket=bucket, Key=key)
    assert after["Body"].read() == original
    assert after["ETag"] == before["ETag"]
    assert storage.open_plaintext(stored) == CONTENT

    # The same through a plain S3 client: the store itself refuses the conditional write.
    with pytest.raises(s3.exceptions.ClientError) as refused:
        s3.put_object(Bucket=bucket, Key=key, Body=b"other", IfNoneMatch="*")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_object_of_a_rolled_back_capture_is_reused(bucket: str, s3: Any) -> None:
    """An object written by a transaction that rolled back is picked up, not rewritten."""

    def store_then_fail() -> None:
        with transaction.atomic():
            storage.store(CONTENT, content_type="application/pdf")
            raise RuntimeError("capture failed later")

    with pytest.raises(RuntimeError):
        store_then_fail()
    assert StoredFile.objects.count() == 0
    [(key, leftover)] = _objects(s3, bucket).items()

    stored = _store(CONTENT)
    assert key == storage.blob_name(stored.sha256)
    assert _objects(s3, bucket) == {key: leftover}  # the same object, not a new encryption
    assert storage.open_plaintext(stored) == CONTENT


def test_damaged_unreferenced_object_is_replaced(bucket: str, s3: Any) -> None:
    """Garbage under a name no row points to (a torn upload by another tool) is replaced by the
    sealed file; a referenced object is never rewritten (see the test above)."""
    key = storage.blob_name(storage.sha256_hex(CONTENT))
    s3.put_object(Bucket=bucket, Key=key, Body=b"not a sealed file")
    stored = _store(CONTENT)
    assert storage.open_plaintext(stored) == CONTENT
    assert _objects(s3, bucket)[key].startswith(storage.MAGIC)


def test_wrong_master_key_cannot_open(bucket: str, settings: Any) -> None:
    import base64

    stored = _store(CONTENT)
    settings.MASTER_KEY = base64.b64encode(b"k" * 32).decode()
    with pytest.raises(storage.FileIntegrityError):
        storage.open_plaintext(stored)
