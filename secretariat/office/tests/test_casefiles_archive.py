"""Case files (Decree 30 Art. 28–31): open, fill, close, export for the archive; the package
verifies intact, and a changed byte, a missing file or an edited manifest is detected."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.documents import storage
from secretariat.documents.tests.factories import (
    capture,
    isolated_storage_fixture,  # noqa: F401 - the fixture
    text_pdf,
)
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
