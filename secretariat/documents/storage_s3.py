"""The S3-compatible backend of the file store (django-storages, boto3), used when
`FILES_S3_BUCKET` is set. Imported only then: a node on a local directory never loads boto3.

Blobs are immutable (DESIGN.md: a file's SHA-256 is its identity). Django-storages writes with
a plain PUT, which replaces whatever is under the name; here every write is a conditional PUT
(`If-None-Match: *`, honoured by AWS S3 since 2024, MinIO, Ceph RGW and others), so the store
answers 412 instead of overwriting, and two nodes writing the same content at the same time
keep the first blob. Choose a store that honours the condition: one that ignores it silently
falls back to last-writer-wins, and a racing writer could replace a blob already recorded.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# The answers of a conditional PUT that lost: 412 (the name exists) or 409 (another conditional
# write to the same name is in flight; AWS answers ConditionalRequestConflict).
_LOST_RACE_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_LOST_RACE_STATUS = frozenset({409, 412})


class ImmutableS3Storage(S3Storage):
    """S3Storage whose writes never replace an existing object."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Content-addressed names are final: same name = same content, never "name_x7Ab".
        return str(clean_name(name))

    def _save(self, name: str, content: Any) -> str:
        cleaned = str(clean_name(name))
        key = self._normalize_name(cleaned)
        content.seek(0)
        body = content.read()
        try:
            self.connection.meta.client.put_object(
                Bucket=self.bucket_name,
                Key=key,
                Body=body,
                ContentType="application/octet-stream",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code not in _LOST_RACE_CODES and status not in _LOST_RACE_STATUS:
                raise
            # Another writer put a blob under this name first: keep it (the caller reads back
            # whatever is there and checks it).
        return cleaned


def make_storage(
    *,
    bucket: str,
    endpoint: str,
    region: str,
    access_key: str,
    secret_key: str,
    addressing_style: str,
) -> ImmutableS3Storage:
    options: dict[str, Any] = {
        "bucket_name": bucket,
        # No ACL header: the bucket's own policy decides (MinIO and Ceph ignore canned ACLs).
        "default_acl": None,
        "querystring_auth": True,
    }
    if endpoint:
        options["endpoint_url"] = endpoint
    if region:
        options["region_name"] = region
    if access_key or secret_key:
        # Otherwise boto3's own chain (AWS_* environment, instance role) provides them.
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    if addressing_style:
        options["addressing_style"] = addressing_style
    return ImmutableS3Storage(**options)
