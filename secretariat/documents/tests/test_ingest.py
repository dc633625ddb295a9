"""`manage.py ingest`: the JSON contract, OCR in the foreground, registration, exit codes."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from secretariat.accounts.models import Role
from secretariat.documents.models import Document, RegisterEntry, StoredFile

from .factories import (
    PARTY_DECISION,
    blobs,
    image_bytes,
    isolated_storage_fixture,  # noqa: F401 - the fixture
    minimal_docx,
    render_page,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_storage")]


def _ingest(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, [json.loads(line) for line in out.getvalue().splitlines() if line], err.getvalue()


def test_ingest_scan_docx_and_a_bad_file(
    tree: dict[str, Any], tmp_path: Path, isolated_storage: Path
) -> None:
    scan = tmp_path / "qd-125.png"
    scan.write_bytes(image_bytes(render_page(PARTY_DECISION), "PNG"))
    docx = tmp_path / "to-trinh.docx"
    docx.write_bytes(minimal_docx(["TỜ TRÌNH", "Về việc xin ý kiến dự thảo quy chế"]))
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(scan.read_bytes())  # a PNG named .pdf

    code, lines, _err = _ingest(
        str(scan), str(bad), str(docx),
        "--unit", tree["office"].code, "--register", "incoming", "--json",
    )  # fmt: skip
    assert code == 2  # one file failed; the others were still processed
    first, refused, third = lines
    assert refused == {
        "path": str(bad),
        "error": "The file “scan.pdf” is named as a PDF document but its content is a PNG image.",
    }
    assert (first["number"], third["number"]) == (1, 2)  # incoming register, in order
    assert first["notation"] == "125-QĐ/TU"
    assert first["content_type"] == "image/png"
    assert first["pages"] == 1
    assert first["ocr_status"] == "done"
    assert first["ocr_chars"] > 200
    assert first["suggested"]["doc_type"] == "quyet_dinh"
    assert first["suggested"]["issued_on"] == "2026-03-12"
    assert third["content_type"].endswith("wordprocessingml.document")
    assert third["ocr_status"] == "not_needed"
    assert third["suggested"]["doc_type"] == "to_trinh"
    assert len(first["sha256"]) == 64
    assert Document.objects.count() == 2
    assert RegisterEntry.objects.filter(register__kind="incoming").count() == 2
    # Original + OCR'd PDF for the scan (and its plain PDF), original + PDF for the DOCX.
    assert len(blobs(isolated_storage)) == StoredFile.objects.count()


def test_unknown_unit_exits_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="unknown unit: 999") as info:
        call_command("ingest", str(tmp_path / "x.pdf"), "--unit", "999", "--json")
    assert info.value.returncode == 2


def test_user_without_the_right_is_refused(
    tree: dict[str, Any], make_user: Any, tmp_path: Path
) -> None:
    make_user("leader", role=Role.LEADER, unit=tree["province"])
    path = tmp_path / "a.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    code, lines, _err = _ingest(
        str(path), "--unit", tree["office"].code, "--json", "--user", "leader"
    )
    assert code == 2
    assert lines[0]["error"] == "You do not have permission to do this here."
    assert Document.objects.count() == 0


def test_missing_file_is_reported(tree: dict[str, Any], tmp_path: Path) -> None:
    code, lines, _err = _ingest(str(tmp_path / "nope.pdf"), "--unit", tree["office"].code, "--json")
    assert code == 2
    assert lines[0]["error"].startswith("cannot read the file")
