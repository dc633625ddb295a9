"""Capture in a real browser: choose files, watch the upload, land on the document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from secretariat.demo.documents import DEMO_DOCUMENTS, render_pdf
from secretariat.documents.models import Document

pytestmark = [pytest.mark.browser]


def test_clerk_uploads_a_document_and_sees_what_was_read(
    page: Any, live_server: Any, make_user: Any, tree: dict[str, Any], client: Any, tmp_path: Path
) -> None:
    clerk = make_user("clerk", role="records_clerk", unit=tree["office"])
    client.force_login(clerk)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    scan = tmp_path / "quyet-dinh.pdf"
    scan.write_bytes(render_pdf(DEMO_DOCUMENTS[2]))

    page.goto(f"{live_server.url}/documents/capture/")
    assert not page.locator("[data-progress]").is_visible()  # nothing is uploading yet
    page.set_input_files("input[type=file]", str(scan))
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/documents/[0-9a-f-]{36}/$"), timeout=60_000)

    document = Document.objects.get()
    assert document.unit_id == tree["office"].pk
    body = page.locator("main").inner_text()
    assert "2140/QĐ-UBND" in body  # the notation read from the first page
    assert "chuyển đổi số" in body
