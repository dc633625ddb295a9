"""The outgoing draft form keeps the reviewers in the order the user set, not the order of the
candidates: through the place boxes (the page without JavaScript) and through a plain list of
ids (other clients). The browser test with the script is `test_browser_outgoing_create.py`."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.accounts.models import Role, User
from secretariat.documents.tests.factories import text_pdf
from secretariat.office.forms_outgoing import DraftForm
from secretariat.office.models import OutgoingProcess

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    office = tree["office"]
    people = {
        "drafter": make_user("drafter", role=Role.SPECIALIST, unit=office),
        "signer": make_user("signer", role=Role.LEADER, unit=office),
        # Candidates are listed by full name: An, Bình, Chi.
        "an": make_user("an", role=Role.SPECIALIST, unit=office),
        "binh": make_user("binh", role=Role.SPECIALIST, unit=office),
        "chi": make_user("chi", role=Role.SPECIALIST, unit=office),
    }
    for key, name in (("an", "An"), ("binh", "Bình"), ("chi", "Chi")):
        people[key].full_name = name
        people[key].save()
    return people


def _form_data(tree: dict[str, Any], p: dict[str, Any], **reviewers: Any) -> dict[str, Any]:
    return {
        "unit": str(tree["office"].pk),
        "subject": "Kế hoạch tuyên truyền",
        "doc_type": "ke_hoach",
        "urgency": "normal",
        "signer": str(p["signer"].pk),
        "file": SimpleUploadedFile("du-thao.pdf", text_pdf(["Dự thảo"]), "application/pdf"),
        **reviewers,
    }


def _place(user: User) -> str:
    return f"reviewers_position_{user.pk}"


def _circuit(process: OutgoingProcess) -> list[str]:
    return list(process.reviews.order_by("order").values_list("reviewer__username", flat=True))


def test_place_boxes_set_the_order(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    """Without JavaScript: Chi 1, An 2, Bình not a reviewer — the circuit is Chi then An."""
    p = people
    response = client_for(p["drafter"]).post(
        reverse("office:outgoing_create"),
        _form_data(tree, p, **{_place(p["chi"]): "1", _place(p["an"]): "2", _place(p["binh"]): ""}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _circuit(OutgoingProcess.objects.get()) == ["chi", "an"]


def test_places_need_not_follow_each_other(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    p = people
    response = client_for(p["drafter"]).post(
        reverse("office:outgoing_create"),
        _form_data(
            tree, p, **{_place(p["binh"]): "7", _place(p["an"]): "3", _place(p["chi"]): "10"}
        ),
    )
    assert response.status_code == 302
    assert _circuit(OutgoingProcess.objects.get()) == ["an", "binh", "chi"]


def test_a_list_of_ids_keeps_its_order(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    p = people
    response = client_for(p["drafter"]).post(
        reverse("office:outgoing_create"),
        _form_data(tree, p, reviewers=[str(p["binh"].pk), str(p["an"].pk)]),
    )
    assert response.status_code == 302
    assert _circuit(OutgoingProcess.objects.get()) == ["binh", "an"]


@pytest.mark.parametrize(
    ("places", "message"),
    [
        ({"an": "1", "chi": "1"}, "Two reviewers have place 1"),
        ({"an": "first"}, "Give each reviewer a place in the order"),
        ({"an": "0"}, "Give each reviewer a place in the order"),
        ({"an": "-2"}, "Give each reviewer a place in the order"),
    ],
)
def test_bad_places_are_refused_and_nothing_is_stored(
    tree: dict[str, Any],
    people: dict[str, Any],
    client_for: Any,
    places: dict[str, str],
    message: str,
) -> None:
    p = people
    response = client_for(p["drafter"]).post(
        reverse("office:outgoing_create"),
        _form_data(tree, p, **{_place(p[k]): v for k, v in places.items()}),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OutgoingProcess.objects.exists()


def test_an_unknown_reviewer_is_refused(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    stranger = make_user("stranger", role=Role.SPECIALIST, unit=tree["commune_b"])
    response = client_for(people["drafter"]).post(
        reverse("office:outgoing_create"),
        _form_data(tree, people, reviewers=[str(stranger.pk)]),
    )
    assert response.status_code == 400
    assert "not one of the available choices" in response.content.decode()
    assert not OutgoingProcess.objects.exists()


def test_the_form_shows_the_chosen_order_again_after_an_error(people: dict[str, Any]) -> None:
    """A refused form comes back with the chosen reviewers on top, in their order, and their
    places filled in (the others below, as the candidates come)."""
    p = people
    candidates = [p["an"], p["binh"], p["chi"]]
    form = DraftForm(
        {_place(p["chi"]): "1", _place(p["binh"]): "2", "subject": ""},
        units=[],
        signers=[p["signer"]],
        reviewers=candidates,
    )
    assert not form.is_valid()
    assert form.cleaned_data["reviewers"] == [str(p["chi"].pk), str(p["binh"].pk)]
    html = str(form["reviewers"])
    order = [html.index(f'data-user="{u.pk}"') for u in (p["chi"], p["binh"], p["an"])]
    assert order == sorted(order)
    assert f'name="{_place(p["chi"])}" value="1"' in html
    assert f'name="{_place(p["an"])}" value=""' in html


def test_the_page_without_script_offers_place_boxes(
    people: dict[str, Any], client_for: Any
) -> None:
    page = client_for(people["drafter"]).get(reverse("office:outgoing_create")).content.decode()
    assert 'type="number"' in page
    assert _place(people["an"]) in page
    assert "Give each reviewer a place in the order (1, 2, 3…)" in page
    assert "office/reviewer_order.js" in page
