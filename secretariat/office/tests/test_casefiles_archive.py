"""Case files (Decree 30 Art. 28–31): open, fill, close, export for the archive; the package
verifies intact, and a changed byte, a missing file or an edited manifest is detected — also
when the manifest's digests were recomputed, because the manifest is signed by the node key."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.core import keys
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.documents import storage
from secretariat.documents.tests.factories import (
    capture,
    isolated_storage_fixture,  # noqa: F401 - the fixture
    text_pdf,
)
from secretariat.office import archive as archive_module
from secretariat.office.models import CaseFile, CaseFileState
from secretariat.office.services import casefiles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_storage")]


@pytest.fixture
def clerk(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("clerk", role=Role.RECORDS_CLERK, unit=tree["commune_a"])


@pytest.fixture
def closed_file(tree: dict[str, Any], clerk: Any) -> CaseFile:
    case_file = casefiles.case_file_open(
        actor=clerk, unit=tree["commune_a"], year=2026, code="01.TH", title="Tổng hợp",
        retention_years=10,
    )  # fmt: skip
    for n in (1, 2):
        document = capture(
            actor=clerk,
            unit=tree["commune_a"],
            data=text_pdf([f"BÁO CÁO SỐ {n}", "Tình hình thực hiện nhiệm vụ"]),
            name=f"bao-cao-{n}.pdf",
        )
        casefiles.case_file_add_document(actor=clerk, case_file=case_file, document=document)
    return casefiles.case_file_close(actor=clerk, case_file=case_file)


def _rewrite(package: bytes, change: Any) -> bytes:
    """A copy of the zip with `change(name, data) -> bytes | None` applied (None drops it)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info, data)
    return out.getvalue()


def test_open_add_close_rules(tree: dict[str, Any], clerk: Any, make_user: Any) -> None:
    case_file = casefiles.case_file_open(
        actor=clerk, unit=tree["commune_a"], year=2026, code="02", title="Hồ sơ",
        retention_years=None,
    )  # fmt: skip
    assert case_file.plan.year == 2026
    assert case_file.retention_years is None
    with pytest.raises(Conflict, match="already has a case file 02"):
        casefiles.case_file_open(
            actor=clerk, unit=tree["commune_a"], year=2026, code="02", title="x",
            retention_years=5,
        )  # fmt: skip
    with pytest.raises(Conflict, match="empty case file"):
        casefiles.case_file_close(actor=clerk, case_file=case_file)
    with pytest.raises(Conflict, match="Only a closed case file"):
        casefiles.case_file_export(actor=clerk, case_file=case_file)
    other = capture(actor=None, unit=tree["commune_b"], data=text_pdf(["Khác đơn vị"]))
    with pytest.raises(ValidationFailed):
        casefiles.case_file_add_document(actor=clerk, case_file=case_file, document=other)
    specialist = make_user("spec", role=Role.SPECIALIST, unit=tree["commune_a"])
    with pytest.raises(PermissionDenied):
        casefiles.case_file_close(actor=specialist, case_file=case_file)


def test_export_contains_every_file_and_verifies(closed_file: CaseFile, clerk: Any) -> None:
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)
    assert casefiles.archive_verify(package) == []
    archive = zipfile.ZipFile(io.BytesIO(package))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case_file"]["code"] == "01.TH"
    assert manifest["case_file"]["retention_years"] == 10
    assert len(manifest["documents"]) == 2
    for document in closed_file.documents.all():
        version = document.versions.get()
        stored = storage.open_plaintext(version.original)
        assert hashlib.sha256(stored).hexdigest() in {
            f["sha256"] for f in manifest["files"].values()
        }
    expected = hashlib.sha256(archive.read("manifest.json")).hexdigest()
    assert archive.read("manifest.sha256").decode().split()[0] == expected
    # Deterministic: the same closed file exports the same bytes.
    assert casefiles.case_file_export(actor=clerk, case_file=closed_file) == package


def test_tampering_is_detected(closed_file: CaseFile, clerk: Any) -> None:
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)
    names = zipfile.ZipFile(io.BytesIO(package)).namelist()
    victim = next(n for n in names if n.endswith(".pdf"))

    def flip(name: str, data: bytes) -> bytes:
        if name != victim:
            return data
        return data[:100] + bytes([data[100] ^ 1]) + data[101:]

    changed = casefiles.archive_verify(_rewrite(package, flip))
    assert changed == [f"{victim} was changed (SHA-256 differs)."]

    missing = casefiles.archive_verify(_rewrite(package, lambda n, d: None if n == victim else d))
    assert missing == [f"{victim} is missing."]

    def edit_manifest(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return data.replace(b'"retention_years": 10', b'"retention_years": 99')

    edited = casefiles.archive_verify(_rewrite(package, edit_manifest))
    assert any("the manifest was changed" in p for p in edited)
    assert casefiles.archive_verify(b"not a zip") == ["The package is not a readable zip file."]


def test_verify_archive_command(closed_file: CaseFile, clerk: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    good.write_bytes(casefiles.case_file_export(actor=clerk, case_file=closed_file))
    call_command("verify_archive", str(good))  # exits normally: intact
    bad = tmp_path / "bad.zip"
    bad.write_bytes(_rewrite(good.read_bytes(), lambda n, d: None if n == "manifest.sha256" else d))
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_archive", str(bad))
    assert exit_info.value.code == 1


def test_file_pages_and_export_download(
    closed_file: CaseFile, clerk: Any, client_for: Any, make_user: Any, tree: dict[str, Any]
) -> None:
    client = client_for(clerk)
    listing = client.get(reverse("office:files") + f"?unit={tree['commune_a'].pk}&year=2026")
    assert "01.TH" in listing.content.decode()
    response = client.get(reverse("office:file_export", args=[closed_file.pk]))
    assert response.status_code == 200
    assert casefiles.archive_verify(response.content) == []
    assert closed_file.state == CaseFileState.CLOSED
    outsider = make_user("outsider", role=Role.RECORDS_CLERK, unit=tree["commune_b"])
    assert (
        client_for(outsider).get(reverse("office:file", args=[closed_file.pk])).status_code == 404
    )
    api = client.get(f"/api/v1/office/files/{closed_file.pk}/export")
    assert api.status_code == 200
    assert casefiles.archive_verify(api.content) == []


# --- The signed manifest ------------------------------------------------------------------------


def _forge(package: bytes, edit: Any, *, key: Ed25519PrivateKey | None = None) -> bytes:
    """What a careful forger does: change files, write their new SHA-256 and size into the
    manifest with `edit(manifest, files)`, recompute `manifest.sha256`, and (with `key`) sign the
    new manifest with a key of their own."""
    source = zipfile.ZipFile(io.BytesIO(package))
    files = {name: source.read(name) for name in source.namelist()}
    manifest = json.loads(files["manifest.json"])
    edit(manifest, files)
    for path in manifest["files"]:
        data = files[path]
        manifest["files"][path] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    files["manifest.json"] = manifest_bytes
    files["manifest.sha256"] = (
        f"{hashlib.sha256(manifest_bytes).hexdigest()}  manifest.json\n".encode()
    )
    if key is not None:
        files["manifest.sig"] = archive_module.sign_manifest(manifest_bytes, key)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in files.items():
            target.writestr(name, data)
    return out.getvalue()


def _node_key_hex() -> str:
    return keys.public_key_hex(keys.node_public_key())


def test_manifest_is_signed_by_the_node_key(closed_file: CaseFile, clerk: Any) -> None:
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)
    source = zipfile.ZipFile(io.BytesIO(package))
    signature = json.loads(source.read("manifest.sig"))
    assert signature["algorithm"] == "Ed25519"
    assert signature["public_key"] == _node_key_hex()
    assert signature["key_id"] == keys.key_id(keys.node_public_key())
    # The signature covers the manifest as stored, under the package's own prefix.
    keys.node_public_key().verify(
        bytes.fromhex(signature["signature"]),
        b"secretariat-case-file-manifest/1\n" + source.read("manifest.json"),
    )
    assert casefiles.archive_verify(package) == []
    assert archive_module.verify(package, public_keys=[_node_key_hex()]) == []


def test_edited_manifest_with_recomputed_digests_is_detected(
    closed_file: CaseFile, clerk: Any
) -> None:
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)

    def shorten_retention(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        manifest["case_file"]["retention_years"] = 1

    problems = casefiles.archive_verify(_forge(package, shorten_retention))
    assert problems == [
        "The signature of manifest.json does not verify: the manifest was changed after signing."
    ]


def test_replaced_file_with_recomputed_hashes_is_detected(
    closed_file: CaseFile, clerk: Any
) -> None:
    """A document swapped for another, its SHA-256 rewritten everywhere in the manifest: every
    digest agrees again, only the signature tells."""
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)
    forged_pdf = text_pdf(["BÁO CÁO SỐ 1", "Nội dung đã bị thay"])

    def swap(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        version = manifest["documents"][0]["versions"][0]
        path = version["original"]["path"]
        files[path] = forged_pdf
        version["original"]["sha256"] = hashlib.sha256(forged_pdf).hexdigest()

    problems = casefiles.archive_verify(_forge(package, swap))
    assert problems == [
        "The signature of manifest.json does not verify: the manifest was changed after signing."
    ]


def test_manifest_resigned_with_another_key_is_refused(closed_file: CaseFile, clerk: Any) -> None:
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)
    forger = Ed25519PrivateKey.generate()

    def shorten_retention(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        manifest["case_file"]["retention_years"] = 1

    forged = _forge(package, shorten_retention, key=forger)
    forger_id = keys.key_id(forger.public_key())
    [problem] = casefiles.archive_verify(forged)
    assert problem.startswith(f"manifest.json is signed by key {forger_id}, which is not a trusted")
    # Trusting the forger's key explicitly is the archive's choice; the node's key refuses it.
    assert archive_module.verify(forged, public_keys=[_node_key_hex()]) == [problem]
    assert (
        archive_module.verify(forged, public_keys=[keys.public_key_hex(forger.public_key())]) == []
    )


def test_unsigned_or_unreadable_signature_is_reported(closed_file: CaseFile, clerk: Any) -> None:
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)
    unsigned = _rewrite(package, lambda n, d: None if n == "manifest.sig" else d)
    assert casefiles.archive_verify(unsigned) == [
        "manifest.sig is missing: the package is not signed."
    ]
    garbled = _rewrite(package, lambda n, d: b"{not json" if n == "manifest.sig" else d)
    assert casefiles.archive_verify(garbled) == ["manifest.sig cannot be read."]


def test_package_of_a_retired_key_verifies_when_listed(
    closed_file: CaseFile, clerk: Any, settings: Any
) -> None:
    """After a key rotation, packages signed by the old key still verify when its public key is
    listed in AUDIT_TRUSTED_PUBLIC_KEYS (as audit checkpoints do)."""
    package = casefiles.case_file_export(actor=clerk, case_file=closed_file)
    old_key_hex = _node_key_hex()
    settings.NODE_SIGNING_KEY = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert _node_key_hex() != old_key_hex
    [problem] = casefiles.archive_verify(package)
    assert "which is not a trusted key" in problem
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = [old_key_hex]
    assert casefiles.archive_verify(package) == []


def test_verify_archive_command_with_public_key(
    closed_file: CaseFile, clerk: Any, tmp_path: Path, capsys: Any
) -> None:
    package = tmp_path / "package.zip"
    package.write_bytes(casefiles.case_file_export(actor=clerk, case_file=closed_file))
    call_command("verify_archive", str(package), "--public-key", _node_key_hex())
    assert "intact" in capsys.readouterr().out

    stranger = keys.public_key_hex(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(SystemExit) as refused:
        call_command("verify_archive", str(package), "--public-key", stranger)
    assert refused.value.code == 1
    assert "which is not a trusted key" in capsys.readouterr().err

    with pytest.raises(SystemExit) as malformed:
        call_command("verify_archive", str(package), "--public-key", "abc")
    assert malformed.value.code == 2
