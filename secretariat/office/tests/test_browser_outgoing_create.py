"""In a real browser: the drafter sets the order of the reviewers on the new draft page with
tick boxes and up / down buttons (office/reviewer_order.js); the circuit saved is the order shown,
not the order of the candidates."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from secretariat.accounts.models import Role
from secretariat.documents.tests.factories import text_pdf
from secretariat.office.models import OutgoingProcess

pytestmark = [pytest.mark.browser]


def _login(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _names(page: Any) -> list[str]:
    """The reviewers ticked, in the order the page shows them."""
    return [
        text.strip()
        for text in page.locator(
            ".reviewer-order-item.is-chosen .reviewer-order-name"
        ).all_inner_texts()
    ]


def test_reviewers_are_saved_in_the_order_set_on_the_page(
    page: Any, live_server: Any, make_user: Any, tree: dict[str, Any]
) -> None:
    office = tree["office"]
    drafter = make_user("drafter", role=Role.SPECIALIST, unit=office)
    signer = make_user("signer", role=Role.LEADER, unit=office)
    signer.full_name = "Nguyễn Văn Ký"
    signer.save()
    people = {}
    # The candidates are listed by name: An, Bình, Chi, Dũng.
    for username, name in (("an", "An"), ("binh", "Bình"), ("chi", "Chi"), ("dung", "Dũng")):
        people[username] = make_user(username, role=Role.SPECIALIST, unit=office)
        people[username].full_name = name
        people[username].save()

    _login(page, live_server, drafter)
    page.goto(f"{live_server.url}/office/outgoing/new/")
    widget = page.locator("[data-reviewer-order]")
    # The script replaced the place boxes by tick boxes and buttons.
    assert widget.locator("input[type=number]:visible").count() == 0
    assert widget.locator("[data-js-hint]").is_visible()

    widget.get_by_role("checkbox", name="Reviewer: Dũng (dung)").check()
    widget.get_by_role("checkbox", name="Reviewer: An (an)").check()
    widget.get_by_role("checkbox", name="Reviewer: Chi (chi)").check()
    assert _names(page) == ["Dũng (dung)", "An (an)", "Chi (chi)"]
    # Chi goes first, then An goes down one place: Chi, Dũng, An.
    widget.get_by_role("button", name="Move up: Chi (chi)").click()
    widget.get_by_role("button", name="Move up: Chi (chi)").click()
    assert widget.get_by_role("button", name="Move up: Chi (chi)").is_disabled()
    assert widget.get_by_role("button", name="Move down: An (an)").is_disabled()
    assert _names(page) == ["Chi (chi)", "Dũng (dung)", "An (an)"]
    # Ticked and unticked again: Bình stays out of the circuit.
    widget.get_by_role("checkbox", name="Reviewer: Bình (binh)").check()
    widget.get_by_role("checkbox", name="Reviewer: Bình (binh)").uncheck()
    assert _names(page) == ["Chi (chi)", "Dũng (dung)", "An (an)"]
    places = widget.locator(
        ".reviewer-order-item.is-chosen .reviewer-order-place"
    ).all_inner_texts()
    assert places == ["1.", "2.", "3."]

    page.locator("select[name=unit]").select_option(index=0)
    page.locator("textarea[name=subject]").fill("Kế hoạch tuyên truyền năm 2026")
    page.locator("select[name=doc_type]").select_option(value="ke_hoach")
    page.locator("select[name=signer]").select_option(label="Nguyễn Văn Ký (signer)")
    page.locator("input[name=file]").set_input_files(
        files=[
            {
                "name": "du-thao.pdf",
                "mimeType": "application/pdf",
                "buffer": text_pdf(["Dự thảo kế hoạch"]),
            }
        ]
    )
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url(f"{live_server.url}/office/outgoing/*/")

    process = OutgoingProcess.objects.get()
    circuit = list(process.reviews.order_by("order").values_list("reviewer__username", flat=True))
    assert circuit == ["chi", "dung", "an"]
    # The detail page lists the circuit in that order.
    circuit_card = page.locator(".card", has=page.get_by_role("heading", name="Review circuit"))
    reviewers = circuit_card.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert reviewers == ["Chi", "Dũng", "An"]


def test_without_javascript_the_place_boxes_set_the_order(
    page: Any, live_server: Any, make_user: Any, tree: dict[str, Any]
) -> None:
    office = tree["office"]
    drafter = make_user("drafter", role=Role.SPECIALIST, unit=office)
    make_user("signer", role=Role.LEADER, unit=office)
    for username in ("an", "binh", "chi"):
        make_user(username, role=Role.SPECIALIST, unit=office)
    context = page.context.browser.new_context(locale="en-US", java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.set_default_timeout(15_000)
        _login(plain, live_server, drafter)
        plain.goto(f"{live_server.url}/office/outgoing/new/")
        widget = plain.locator("[data-reviewer-order]")
        assert widget.locator("[data-nojs-hint]").is_visible()
        assert widget.locator("input[type=checkbox]").count() == 0
        widget.get_by_label("Place of Chi (chi) in the order").fill("1")
        widget.get_by_label("Place of An (an) in the order").fill("2")
        plain.locator("textarea[name=subject]").fill("Kế hoạch")
        plain.locator("select[name=doc_type]").select_option(value="ke_hoach")
        plain.locator("input[name=file]").set_input_files(
            files=[
                {"name": "a.pdf", "mimeType": "application/pdf", "buffer": text_pdf(["Dự thảo"])}
            ]
        )
        plain.get_by_role("button", name="Create the draft").click()
        plain.wait_for_url(f"{live_server.url}/office/outgoing/*/")
    finally:
        context.close()
    process = OutgoingProcess.objects.get()
    circuit = list(process.reviews.order_by("order").values_list("reviewer__username", flat=True))
    assert circuit == ["chi", "an"]
