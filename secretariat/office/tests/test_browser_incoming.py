"""In a real browser: the clerk registers an incoming document and presents it, the leader
instructs with a deadline, the specialist completes it; the page shows each state."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from secretariat.accounts.models import Role
from secretariat.core import clock
from secretariat.documents import registers
from secretariat.documents.models import Document
from secretariat.office import workdays
from secretariat.office.models import IncomingProcess, Task

pytestmark = [pytest.mark.browser]


def _login(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_incoming_document_from_registration_to_done(
    page: Any, live_server: Any, make_user: Any, tree: dict[str, Any]
) -> None:
    unit = tree["commune_a"]
    clerk = make_user("clerk", role=Role.RECORDS_CLERK, unit=unit)
    leader = make_user("leader", role=Role.LEADER, unit=unit)
    leader.full_name = "Nguyễn Văn Lãnh"
    leader.save()
    specialist = make_user("specialist", role=Role.SPECIALIST, unit=unit)
    specialist.full_name = "Trần Thị Chuyên"
    specialist.save()

    # The clerk registers the document (the registers' own pages have their own tests).
    document = Document.objects.create(
        unit=unit, subject="Công văn về chuyển đổi số", notation="15-CV/BTC", urgency="khan"
    )
    entry = registers.register_document(actor=clerk, document=document, kind="incoming")
    process = IncomingProcess.objects.get(entry=entry)
    url = f"{live_server.url}/office/incoming/{process.pk}/"
    state = page.locator("#process-state")

    _login(page, live_server, clerk)
    page.goto(f"{live_server.url}/office/incoming/")
    page.get_by_role("link", name="Công văn về chuyển đổi số").click()
    assert state.inner_text() == "Registered"
    page.locator("#action-present select").select_option(label="Nguyễn Văn Lãnh")
    page.locator("#action-present button").click()
    page.wait_for_url(url)
    assert state.inner_text() == "Presented to the leader"

    _login(page, live_server, leader)
    page.goto(url)
    form = page.locator("#action-instruct")
    form.locator("textarea").fill("Giao Văn phòng chủ trì, báo cáo trong 3 ngày làm việc.")
    form.locator("select[name=assignees]").select_option(label="Trần Thị Chuyên")
    form.locator("input[name=working_days]").fill("3")
    form.locator("button").click()
    page.wait_for_url(url)
    assert state.inner_text() == "Instruction given"
    due = workdays.add_working_days(clock.today(), 3)
    assert due.strftime("%d/%m/%Y") in page.content()
    assert Task.objects.get(instruction__process=process).assignee == specialist

    _login(page, live_server, specialist)
    page.goto(url)
    page.locator("#action-complete textarea").fill("Đã báo cáo Ban Thường vụ.")
    page.locator("#action-complete button").click()
    page.wait_for_url(url)
    assert state.inner_text() == "Done"
    assert "Đã báo cáo Ban Thường vụ." in page.content()
    history = page.locator("#history").inner_text()
    for step in ("presented to the leader", "Leader's instruction given", "document handled"):
        assert step in history
