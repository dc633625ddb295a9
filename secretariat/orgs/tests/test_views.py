"""The tree pages per role, inside and outside the user's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from secretariat.orgs.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(tree: dict[str, Unit], make_user: Any, client_for: Any) -> Client:
    client: Client = client_for(make_user("admin_a", role="unit_admin", unit=tree["commune_a"]))
    return client


@pytest.fixture
def specialist_a(tree: dict[str, Unit], make_user: Any, client_for: Any) -> Client:
    client: Client = client_for(make_user("spec_a", role="specialist", unit=tree["commune_a"]))
    return client


def unit_url(code: str, name: str = "orgs:unit") -> str:
    return reverse(name, kwargs={"code": code})


def test_tree_page_shows_the_visible_subtree_indented(admin_a: Client):
    response = admin_a.get(reverse("orgs:tree"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đảng ủy xã Lạc Dương" in html
    assert "Chi bộ thôn Đăng Gia" in html
    assert "Xuân Hương" not in html
    # The cell is nested in the commune's list.
    assert (
        html.index("Lạc Dương")
        < html.index("<ul>", html.index("Lạc Dương"))
        < html.index("Đăng Gia")
    )


def test_anonymous_is_sent_to_login(tree: dict[str, Unit]):
    response = Client().get(reverse("orgs:tree"))
    assert response.status_code == 302


def test_unit_page_outside_scope_is_404(admin_a: Client):
    assert admin_a.get(unit_url("000.02.00.T68")).status_code == 404
    response = admin_a.post(unit_url("000.02.01.T68", "orgs:unit_edit"), {"edit-name": "X"})
    assert response.status_code == 404


def test_specialist_sees_the_unit_without_forms_and_gets_403_on_writes(specialist_a: Client):
    page = specialist_a.get(unit_url("000.01.01.T68"))
    assert page.status_code == 200
    assert 'id="edit"' not in page.content.decode()
    response = specialist_a.post(
        unit_url("000.01.01.T68", "orgs:unit_dissolve"),
        {"dissolve-effective_on": "2025-07-01", "dissolve-reason": "QĐ"},
    )
    assert response.status_code == 403
    assert Unit.objects.get(code="000.01.01.T68").active
    assert specialist_a.get(reverse("orgs:import")).status_code == 403


def test_manager_adds_a_child_through_the_form(admin_a: Client):
    response = admin_a.post(
        unit_url("000.01.00.T68", "orgs:unit_add_child"),
        {
            "child-name": "Chi bộ thôn Bon Đơng",
            "child-kind": "cell",
            "child-code": "000.01.02.T68",
            "child-abbreviation": "CB",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "was created" in response.content.decode()
    assert Unit.objects.get(code="000.01.02.T68").depth == 3


def test_bad_input_is_shown_inline_not_a_500(admin_a: Client):
    response = admin_a.post(
        unit_url("000.01.00.T68", "orgs:unit_add_child"),
        {"child-name": "X", "child-kind": "cell", "child-code": "nope", "child-abbreviation": "CB"},
    )
    assert response.status_code == 400
    assert "“nope” is not a valid electronic code" in response.content.decode()

    response = admin_a.post(
        unit_url("000.01.00.T68", "orgs:unit_dissolve"),
        {"dissolve-effective_on": "2025-07-01", "dissolve-reason": "QĐ"},
    )
    assert response.status_code == 400
    assert "1 active sub-unit" in response.content.decode()
    assert Unit.objects.get(code="000.01.00.T68").active

    response = admin_a.post(unit_url("000.01.00.T68", "orgs:unit_move"), {"move-new_parent": "x"})
    assert response.status_code == 400


def test_edit_then_history_shows_on_the_page(admin_a: Client):
    data = {
        "edit-name": "Chi bộ thôn Đăng Gia",
        "edit-name_en": "Dang Gia cell",
        "edit-kind": "cell",
        "edit-code": "000.01.01.T68",
        "edit-abbreviation": "CB",
    }
    response = admin_a.post(unit_url("000.01.01.T68", "orgs:unit_edit"), data, follow=True)
    assert response.status_code == 200
    assert Unit.objects.get(code="000.01.01.T68").name_en == "Dang Gia cell"
    assert "Dang Gia cell" in response.content.decode()


def test_import_page_lists_every_bad_line(admin_a: Client):
    content = (
        "code,parent_code,name,name_fr,name_en,kind,abbreviation,active,valid_from,valid_to\n"
        "000.01.02.T68,000.01.00.T68,Chi bộ,,,cell,CB,true,,\n"
        "BAD,000.01.00.T68,Chi bộ,,,cell,CB,true,,\n"
        "000.01.03.T68,000.02.00.T68,Chi bộ,,,cell,CB,true,,\n"
    )
    upload = SimpleUploadedFile("units.csv", content.encode())
    response = admin_a.post(reverse("orgs:import"), {"file": upload, "fmt": "csv"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "line 3: “BAD” is not a valid electronic code" in html
    assert "line 4: The parent 000.02.00.T68 is outside the units you manage." in html
    assert not Unit.objects.filter(code="000.01.02.T68").exists()

    good = SimpleUploadedFile("units.csv", "\n".join(content.splitlines()[:2]).encode())
    response = admin_a.post(reverse("orgs:import"), {"file": good}, follow=True)
    assert response.status_code == 200
    assert "1 created" in response.content.decode()
    assert Unit.objects.filter(code="000.01.02.T68").exists()


def test_export_page_and_download(admin_a: Client):
    assert admin_a.get(reverse("orgs:export")).status_code == 200
    response = admin_a.get(reverse("orgs:export"), {"fmt": "json"})
    assert response["Content-Disposition"] == 'attachment; filename="units.json"'
    assert [u["code"] for u in response.json()] == ["000.01.00.T68", "000.01.01.T68"]
