"""Two participants in two browsers: the secretary opens a secret ballot, the member votes in
their own browser and gets a receipt code, the secretary closes the vote, and both pages show
the result live, without reloading; the member checks their receipt; the secretary records
the member as gone and both presence lists follow."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from secretariat.accounts.models import Role
from secretariat.meetings.models import Participant, Presence

from .room_factories import make_meeting

pytestmark = [pytest.mark.browser]


def _login(context: Any, user: Any, base: str) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )


def test_secretary_opens_member_votes_both_see_the_result(
    page: Any, asgi_live_server: str, make_user: Any, tree: dict[str, Any]
) -> None:
    secretary = make_user("secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("chair", position=(tree["cell_a"], "Bí thư"))
    member = make_user("member", position=(tree["cell_a"], "Đảng viên"))
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=[member])
    Participant.objects.filter(meeting=meeting).update(presence=Presence.ROOM)
    participant_pk = Participant.objects.get(meeting=meeting, user=member).pk
    room_url = f"{asgi_live_server}/meetings/{meeting.pk}/room/"

    _login(page.context, secretary, asgi_live_server)
    member_context = page.context.browser.new_context(locale="en-US")
    member_page = member_context.new_page()
    member_page.set_default_timeout(15_000)
    _login(member_context, member, asgi_live_server)
    try:
        for browser_page in (page, member_page):
            browser_page.goto(room_url)
            browser_page.locator("#room[data-live='1']").wait_for()
            browser_page.evaluate("() => { window.__notReloaded = true; }")
        assert "No vote is open." in member_page.locator("#room-vote-body").inner_text()

        # The secretary puts the question.
        page.locator("#room-new-vote summary").click()
        page.fill("#vote-question", "Thông qua nghị quyết về công tác cán bộ?")
        page.select_option("#vote-kind", "resolution")
        page.select_option("#vote-method", "secret")
        page.click("#room-vote-open")

        # The member sees the ballot appear and votes For.
        ballot = member_page.locator("#room-ballot")
        ballot.wait_for()
        assert "Thông qua nghị quyết" in member_page.locator("#room-vote-body").inner_text()
        ballot.locator("input[value='1']").check()
        ballot.locator("button[type=submit]").click()
        receipt = member_page.locator("#room-receipt")
        receipt.wait_for()
        code = receipt.inner_text().strip()
        assert len(code) == 10

        # The secretary sees the ballot counted, then closes the vote.
        page.locator("#room-ballots", has_text="1 /").wait_for()
        page.click("#room-vote-close button")

        for browser_page in (page, member_page):
            outcome = browser_page.locator("#room-outcome")
            outcome.wait_for()
            # One For out of a body of three: not adopted (Charter Art. 9).
            assert outcome.get_attribute("data-outcome") == "rejected"
            row = browser_page.locator("#room-results-body tr[data-position='1']")
            assert row.locator("td").nth(1).inner_text() == "1"
            assert "No vote is open." in browser_page.locator("#room-vote-body").inner_text()
            assert browser_page.evaluate("() => window.__notReloaded === true")
        # The member's receipt is among the published ones, and the check says it was counted
        # (typed in lower case with a dash: normalized).
        member_page.locator(".room-receipts li", has_text=code).wait_for()
        member_page.fill("#room-receipt-code", f"{code[:5].lower()}-{code[5:]}")
        member_page.click("#room-receipt-form button")
        member_page.locator("#room-messages .message.success", has_text="Counted").wait_for()

        # The secretary records the member as gone: one row travels, both pages update it and
        # the quorum line, without a reload.
        member_row = f"#room-presence-list tr[data-participant='{participant_pk}']"
        page.locator(member_row).locator("button", has_text="Gone").click()
        for browser_page in (page, member_page):
            browser_page.locator(member_row, has_text="Not checked in").wait_for()
            browser_page.locator("#room-quorum", has_text="Present: 2 /").wait_for()
            assert browser_page.evaluate("() => window.__notReloaded === true")
    finally:
        member_context.close()
