"""The board pack reader in a real browser: pdf.js (our own static copy, an ES module with its
worker) draws the pack document's first page, and the page turns."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.meetings.models import Participant, ReadReceipt
from secretariat.meetings.services import agenda, pack
from secretariat.meetings.services import meetings as services

from .test_organize import make_meeting
from .test_pack import capture_pdf

pytestmark = [pytest.mark.browser]

# Pixels of the canvas that are not (almost) white: a rendered page of text has many.
INKED_PIXELS = """() => {
  const canvas = document.getElementById("pack-canvas");
  if (!canvas || !canvas.width) { return 0; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) { inked++; }
  }
  return inked;
}"""


def test_an_invitee_reads_a_pack_document_rendered_by_pdfjs(
    page: Any, live_server: Any, make_user: Any, tree: dict[str, Any], client: Any
) -> None:
    unit = tree["commune_a"]
    organizer = make_user("organizer", role=Role.MEETING_SECRETARY, unit=unit)
    member = make_user("member", position=(unit, "Ủy viên"))
    meeting = make_meeting(
        organizer,
        unit,
        make_user("chair", position=(unit, "Bí thư")),
        make_user("secretary", position=(unit, "Chánh Văn phòng")),
    )
    services.invite_users(actor=organizer, meeting=meeting, users=[member])
    item = agenda.item_add(actor=organizer, meeting=meeting, title="Báo cáo chính trị")
    document = capture_pdf(
        unit, "Dự thảo báo cáo", ["DỰ THẢO BÁO CÁO CHÍNH TRỊ", "Đảng bộ xã Lạc Dương"], pages=2
    )
    entry = pack.pack_document_add(
        actor=organizer, meeting=meeting, item_id=item.pk, document_id=document.pk
    )
    client.force_login(member)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(live_server.url + reverse("meetings:pack_document", args=[meeting.pk, entry.pk]))
    page.locator('#pack-viewer[data-rendered-page="1"]').wait_for(timeout=30_000)
    assert errors == []
    assert page.locator("#pack-pages").inner_text() == "2"
    assert page.evaluate(INKED_PIXELS) > 500
    assert "DỰ THẢO BÁO CÁO CHÍNH TRỊ" in page.locator("#pack-text").text_content()

    page.locator("#pack-next").click()
    page.locator('#pack-viewer[data-rendered-page="2"]').wait_for(timeout=15_000)
    assert page.locator("#pack-page").inner_text() == "2"
    assert page.locator("input[name=page]").input_value() == "2"  # the note form follows

    # pdf.js and its worker are served as JavaScript (a module script refuses anything else).
    for name in ("pdf.min.mjs", "pdf.worker.min.mjs"):
        response = page.request.get(f"{live_server.url}/static/vendor/pdfjs/{name}")
        assert response.ok
        assert response.headers["content-type"].startswith("text/javascript")
    # The read was recorded.
    participant = Participant.objects.get(meeting=meeting, user=member)
    assert ReadReceipt.objects.filter(participant=participant, item_document=entry).exists()
