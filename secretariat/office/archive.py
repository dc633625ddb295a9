"""The archive transfer package of a case file (Decree 30 Art. 31: files kept 5 years or more are
handed to the archive), and its verification.

A zip with:

* `documents/<nn>-<document id>/v<k>/original/<name>` and `.../v<k>/pdf/<name>.pdf`: the
  plaintext of every version's original file and PDF (decrypted from storage);
* `manifest.json`: the case file's metadata, each document's metadata (Decree 30 Art. 8) with its
  versions, and `files`: the SHA-256 and size of every file in the package;
* `manifest.sha256`: the SHA-256 of `manifest.json` (`sha256sum` format), for `sha256sum -c`;
* `manifest.sig`: the node's Ed25519 signature over `manifest.json` (JSON: key id, public key,
  signature), made with the node key (`core.keys`, the key that signs the audit checkpoints).

The package is deterministic (sorted entries, fixed timestamps, Ed25519 signatures are
deterministic): exporting the same closed case file twice on the same day gives the same bytes.

The digests alone detect accidental change; the signature detects deliberate change: whoever
rewrites a file must rewrite its SHA-256 in the manifest, and then the signature no longer
verifies. The public key travels in the package, but a key proves nothing by itself: `verify`
accepts only a key it trusts — the node's own keys (the current one and the retired ones listed
in `AUDIT_TRUSTED_PUBLIC_KEYS`), or the keys the archive gives (`verify_archive --public-key`,
the sender's published key, obtained out of band).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils.translation import gettext as _

from secretariat.audit.verification import trusted_public_keys
from secretariat.core import clock, keys
from secretariat.documents import storage
from secretariat.documents.selectors import document_versions

from .models import CaseFile

FORMAT = "secretariat-case-file/1"
MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
MANIFEST_SIGNATURE = "manifest.sig"
SIGNATURE_FORMAT = "secretariat-case-file-signature/1"
# Prefixed to the manifest before signing, so a signature made for a package can never pass
# for one over another kind of text signed by the same node key (audit checkpoints).
_SIGNED_PREFIX = b"secretariat-case-file-manifest/1\n"
_METADATA_NAMES = frozenset({MANIFEST, MANIFEST_DIGEST, MANIFEST_SIGNATURE})
# Zip entries carry a local time; a fixed one keeps the package reproducible.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe_name(name: str, fallback: str) -> str:
    cleaned = _UNSAFE.sub("_", PurePosixPath(name.replace("\\", "/")).name).strip(" .")
    return (cleaned or fallback)[:120]


def _write(archive: zipfile.ZipFile, path: str, data: bytes) -> None:
    info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def sign_manifest(manifest_bytes: bytes, private_key: Ed25519PrivateKey | None = None) -> bytes:
    """The content of `manifest.sig`: the Ed25519 signature of the manifest by `private_key`
    (default: the node key) with the key's id and public key."""
    key = private_key or keys.node_signing_key()
    public = key.public_key()
    document = {
        "format": SIGNATURE_FORMAT,
        "algorithm": "Ed25519",
        "signed": MANIFEST,
        "key_id": keys.key_id(public),
        "public_key": keys.public_key_hex(public),
        "signature": key.sign(_SIGNED_PREFIX + manifest_bytes).hex(),
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def build_package(case_file: CaseFile, *, exported_by: str = "") -> bytes:
    """The package bytes of `case_file`, its manifest signed by the node key (the caller checks
    rights and state)."""
    files: dict[str, bytes] = {}
    documents: list[dict[str, Any]] = []
    members = case_file.documents.select_related("doc_type", "unit").order_by("created_at", "id")
    for index, document in enumerate(members, start=1):
        folder = f"documents/{index:03d}-{document.pk}"
        versions = []
        # The system reads (user=None): the caller checked the exporter's rights on the file.
        for version in document_versions(user=None, document=document).order_by("number"):
            entry: dict[str, Any] = {
                "number": version.number,
                "created_at": _iso(version.created_at),
            }
            original_path = (
                f"{folder}/v{version.number}/original/"
                f"{_safe_name(version.original_name, 'original')}"
            )
            files[original_path] = storage.open_plaintext(version.original)
            entry["original"] = {
                "path": original_path,
                "name": version.original_name,
                "content_type": version.original.content_type,
                "sha256": version.original.sha256,
            }
            if version.pdf is not None:
                stem = PurePosixPath(_safe_name(version.original_name, "document")).stem
                pdf_path = f"{folder}/v{version.number}/pdf/{stem}.pdf"
                files[pdf_path] = storage.open_plaintext(version.pdf)
                entry["pdf"] = {"path": pdf_path, "sha256": version.pdf.sha256}
            versions.append(entry)
        documents.append(
            {
                "id": str(document.pk),
                "unit": document.unit.code,
                "subject": document.subject,
                "type": document.doc_type.name if document.doc_type else None,
                "issuing_body": document.issuing_body,
                "number": document.number,
                "notation": document.notation,
                "place": document.place,
                "issued_on": _iso(document.issued_on),
                "signer": document.signer_name,
                "signer_title": document.signer_title,
                "urgency": document.urgency,
                "confidentiality": document.confidentiality,
                "pages": document.page_count,
                "versions": versions,
            }
        )
    unit = case_file.plan.unit
    manifest = {
        "format": FORMAT,
        "case_file": {
            "id": str(case_file.pk),
            "unit": {"code": unit.code, "name": unit.name},
            "year": case_file.plan.year,
            "code": case_file.code,
            "title": case_file.title,
            # null = permanent (vĩnh viễn).
            "retention_years": case_file.retention_years,
            "opened_on": _iso(case_file.opened_on),
            "closed_on": _iso(case_file.closed_on),
            "keeper": case_file.keeper.username if case_file.keeper else None,
        },
        "exported_on": clock.today().isoformat(),
        "exported_by": exported_by,
        "documents": documents,
        "files": {
            path: {"sha256": _sha256(data), "size": len(data)}
            for path, data in sorted(files.items())
        },
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for path, data in sorted(files.items()):
            _write(package, path, data)
        _write(package, MANIFEST, manifest_bytes)
        _write(package, MANIFEST_DIGEST, f"{_sha256(manifest_bytes)}  {MANIFEST}\n".encode())
        _write(package, MANIFEST_SIGNATURE, sign_manifest(manifest_bytes))
    return buffer.getvalue()


def _check_signature(
    package: zipfile.ZipFile, names: set[str], manifest_bytes: bytes, trusted: dict[str, str]
) -> list[str]:
    """The manifest is signed, the signature verifies, and the signing key is trusted."""
    if MANIFEST_SIGNATURE not in names:
        return [_("%(name)s is missing: the package is not signed.") % {"name": MANIFEST_SIGNATURE}]
    try:
        document = json.loads(package.read(MANIFEST_SIGNATURE))
        public_hex = str(document["public_key"]).lower()
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        signature = bytes.fromhex(str(document["signature"]))
        if document.get("format") != SIGNATURE_FORMAT or document.get("algorithm") != "Ed25519":
            raise ValueError("unknown signature format")
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile, OSError):
        return [_("%(name)s cannot be read.") % {"name": MANIFEST_SIGNATURE}]
    try:
        public.verify(signature, _SIGNED_PREFIX + manifest_bytes)
    except InvalidSignature:
        return [
            _("The signature of %(name)s does not verify: the manifest was changed after signing.")
            % {"name": MANIFEST}
        ]
    key_id = keys.key_id(public)
    if trusted.get(key_id) != public_hex:
        return [
            _(
                "%(name)s is signed by key %(key_id)s, which is not a trusted key: the package may"
                " not come from the node it claims."
            )
            % {"name": MANIFEST, "key_id": key_id}
        ]
    return []


def _trusted(public_keys: Iterable[str] | None) -> dict[str, str]:
    """key id → public key hex of the keys whose signatures are accepted."""
    if public_keys is None:
        return trusted_public_keys()
    found: dict[str, str] = {}
    for given in public_keys:
        text = given.strip().lower()
        try:
            public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        except ValueError as exc:
            raise ValueError(f"not an Ed25519 public key (64 hex digits): {given!r}") from exc
        found[keys.key_id(public)] = text
    return found


def _read_manifest(
    package: zipfile.ZipFile, names: set[str], trusted: dict[str, str]
) -> tuple[dict[str, Any] | None, list[str]]:
    problems: list[str] = []
    if MANIFEST not in names:
        return None, [_("%(name)s is missing.") % {"name": MANIFEST}]
    manifest_bytes = package.read(MANIFEST)
    problems.extend(_check_signature(package, names, manifest_bytes, trusted))
    if MANIFEST_DIGEST not in names:
        problems.append(_("%(name)s is missing.") % {"name": MANIFEST_DIGEST})
    else:
        recorded = package.read(MANIFEST_DIGEST).decode("ascii", "replace").split()
        if not recorded or recorded[0].lower() != _sha256(manifest_bytes):
            problems.append(
                _("%(name)s does not match its digest in %(digest)s: the manifest was changed.")
                % {"name": MANIFEST, "digest": MANIFEST_DIGEST}
            )
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        return None, [*problems, _("%(name)s is not valid JSON.") % {"name": MANIFEST}]
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None, [*problems, _("Unknown package format.")]
    if not isinstance(manifest.get("files"), dict):
        return None, [*problems, _("The manifest lists no files.")]
    return manifest, problems


def _check_versions(manifest: dict[str, Any], files: dict[str, Any]) -> list[str]:
    """Each version's stored SHA-256 (the file's identity in storage) matches the package."""
    problems = []
    for document in manifest.get("documents") or []:
        for version in document.get("versions") or []:
            for part in ("original", "pdf"):
                item = version.get(part)
                if not item:
                    continue
                listed = files.get(item.get("path"))
                if not isinstance(listed, dict) or listed.get("sha256") != item.get("sha256"):
                    problems.append(
                        _("%(path)s: not the file stored for document %(id)s.")
                        % {"path": item.get("path"), "id": document.get("id")}
                    )
    return problems


def verify(package_bytes: bytes, *, public_keys: Iterable[str] | None = None) -> list[str]:
    """The problems of a package, in words a records officer understands; empty = intact:
    the manifest is signed by a trusted key and matches its digest, every listed file is present
    with its SHA-256 and size, no file was added, and every version's files are those the
    platform stored.

    `public_keys` (hex Ed25519 keys) are the keys to trust; by default the node's own (current
    and retired). A malformed key is a `ValueError`."""
    trusted = _trusted(public_keys)
    try:
        package = zipfile.ZipFile(io.BytesIO(package_bytes))
    except (zipfile.BadZipFile, ValueError):
        return [_("The package is not a readable zip file.")]
    with package:
        names = set(package.namelist())
        try:
            manifest, problems = _read_manifest(package, names, trusted)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            return [_("The package is damaged: its manifest cannot be read.")]
        if manifest is None:
            return problems
        files: dict[str, Any] = manifest["files"]
        for path in sorted(files):
            expected = files[path] if isinstance(files[path], dict) else {}
            if path not in names:
                problems.append(_("%(path)s is missing.") % {"path": path})
                continue
            try:
                data = package.read(path)
            except (zipfile.BadZipFile, ValueError, OSError):
                # A changed byte in compressed data usually breaks the zip's own CRC check.
                problems.append(_("%(path)s is damaged.") % {"path": path})
                continue
            if _sha256(data) != expected.get("sha256") or len(data) != expected.get("size"):
                problems.append(_("%(path)s was changed (SHA-256 differs).") % {"path": path})
        for extra in sorted(names - set(files) - _METADATA_NAMES):
            problems.append(_("%(path)s is not listed in the manifest.") % {"path": extra})
        problems.extend(_check_versions(manifest, files))
    return problems
