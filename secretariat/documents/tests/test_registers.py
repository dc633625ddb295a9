"""Confidential entries, register pages and the register API, per role inside and outside the
scope (Decree 30/2020/NĐ-CP Art. 15, 16, 22)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse

from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.documents import registers
from secretariat.documents.models import (
    Confidentiality,
    Document,
    DocumentType,
    DocumentVersion,
    Register,
    RegisterEntry,
)
from secretariat.orgs.models import Unit


def doc(unit: Unit, type_code: str = "quyet_dinh", **fields: Any) -> Document:
    fields.setdefault("subject", "Về việc kiện toàn Ban Chỉ đạo chuyển đổi số")
    return Document.objects.create(
        unit=unit, doc_type=DocumentType.objects.get(code=type_code), **fields
    )


@pytest.fixture
def clerk(tree: dict[str, Any], make_user: Any) -> Any:
    """A records clerk of commune A (and its cell)."""
    return make_user("clerk_a", role="records_clerk", unit=tree["commune_a"])


def secret_incoming(**overrides: Any) -> registers.ConfidentialMetadata:
    fields: dict[str, Any] = {
        "confidentiality": Confidentiality.CONFIDENTIAL,
        "notation": "07-CV/BTC",
        "issued_on": dt.date(2026, 3, 2),
        "issuing_body": "Ban Tổ chức Tỉnh ủy",
        "subject": "",
    }
    return registers.ConfidentialMetadata(**(fields | overrides))


# --- Confidential entries -----------------------------------------------------------------


def test_confidential_entry_keeps_no_file_and_numbers_in_the_secret_series(
    tree: dict[str, Any], clerk: Any
) -> None:
    unit = tree["commune_a"]
    normal = registers.register_document(actor=clerk, document=doc(unit), kind="incoming")
    entry = registers.register_confidential(
        actor=clerk, unit=unit, kind="incoming", metadata=secret_incoming()
    )
    document = entry.document
    assert not DocumentVersion.objects.filter(document=document).exists()
    assert document.subject == registers.WITHHELD_SUBJECT
    assert registers.display_subject(document) == "(confidential)"
    assert document.confidentiality == Confidentiality.CONFIDENTIAL
    assert (entry.number, entry.notation) == (1, "07-CV/BTC")
    assert entry.register.secret
    assert not normal.register.secret
    assert normal.number == 1  # the two series count independently


def test_confidential_entry_refuses_the_normal_level(tree: dict[str, Any], clerk: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        registers.register_confidential(
            actor=clerk,
            unit=tree["commune_a"],
            kind="incoming",
            metadata=secret_incoming(confidentiality=Confidentiality.NORMAL),
        )
    assert "confidentiality" in caught.value.field_errors
    assert not Document.objects.exists()


def test_confidential_outgoing_gets_its_number_from_the_secret_series(
    tree: dict[str, Any], clerk: Any
) -> None:
    unit = tree["commune_a"]
    metadata = secret_incoming(
        notation="", doc_type=DocumentType.objects.get(code="bao_cao"), subject="Báo cáo tình hình"
    )
    entry = registers.register_confidential(
        actor=clerk, unit=unit, kind="outgoing", metadata=metadata
    )
    assert entry.notation == "01-BC/ĐU"
    assert entry.document.subject == "Báo cáo tình hình"
    with pytest.raises(ValidationFailed) as caught:
        registers.register_confidential(
            actor=clerk, unit=unit, kind="outgoing", metadata=secret_incoming()
        )
    assert {"notation", "doc_type"} <= set(caught.value.field_errors)


def test_confidential_entry_needs_the_manage_right_on_the_unit(
    tree: dict[str, Any], clerk: Any, make_user: Any
) -> None:
    leader = make_user("leader", role="leader", unit=tree["commune_a"])
    for actor, unit in ((leader, tree["commune_a"]), (clerk, tree["commune_b"])):
        with pytest.raises(PermissionDenied):
            registers.register_confidential(
                actor=actor, unit=unit, kind="incoming", metadata=secret_incoming()
            )
    assert not RegisterEntry.objects.exists()


# --- Pages --------------------------------------------------------------------------------


@pytest.fixture
def books(tree: dict[str, Any], clerk: Any) -> dict[str, Register]:
    """A register with an entry inside (commune A) and one outside (commune B)."""
    inside = registers.register_document(
        actor=clerk, document=doc(tree["commune_a"]), kind="outgoing"
    )
    outside = registers.register_document(
        actor=None, document=doc(tree["commune_b"]), kind="outgoing"
    )
    return {"in": inside.register, "out": outside.register}


def test_registers_page_lists_the_registers_in_scope(
    books: dict[str, Register], clerk: Any, make_user: Any, client_for: Any, tree: dict[str, Any]
) -> None:
    leader = make_user("leader", role="leader", unit=tree["commune_a"])
    for user in (clerk, leader):
        response = client_for(user).get(reverse("documents:registers"))
        body = response.content.decode()
        assert response.status_code == 200
        assert reverse("documents:register", args=[books["in"].pk]) in body
        assert reverse("documents:register", args=[books["out"].pk]) not in body
        assert "Sổ đăng ký văn bản đi" in body
    specialist = make_user("specialist", role="specialist", unit=tree["commune_a"])
    assert client_for(specialist).get(reverse("documents:registers")).status_code == 403


def test_registers_page_survives_a_bad_year(
    books: dict[str, Register], clerk: Any, client_for: Any
) -> None:
    client = client_for(clerk)
    for year in ("abc", "-1", "99999999999999", "1990"):
        response = client.get(reverse("documents:registers"), {"year": year})
        assert response.status_code == 200, year


def test_register_page_outside_the_scope_is_not_found(
    books: dict[str, Register], clerk: Any, client_for: Any
) -> None:
    client = client_for(clerk)
    assert client.get(reverse("documents:register", args=[books["out"].pk])).status_code == 404
    export = reverse("documents:register_export", args=[books["out"].pk]) + "?fmt=pdf"
    assert client.get(export).status_code == 404
    assert client.get("/documents/registers/not-a-uuid/").status_code == 404


def test_register_page_pages_newest_first_without_counting(
    tree: dict[str, Any], clerk: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    unit = tree["commune_a"]
    for _ in range(55):
        registers.register_document(actor=clerk, document=doc(unit), kind="outgoing")
    register = Register.objects.get(unit=unit, kind="outgoing")
    client = client_for(clerk)
    url = reverse("documents:register", args=[register.pk])
    with django_assert_max_num_queries(12) as captured:
        body = client.get(url).content.decode()
    entry_counts = [
        q["sql"]
        for q in captured.captured_queries
        if "COUNT(" in q["sql"].upper() and "documents_registerentry" in q["sql"]
    ]
    assert entry_counts == []
    assert "55-QĐ/ĐU" in body
    assert "06-QĐ/ĐU" in body
    assert "05-QĐ/ĐU" not in body
    assert "?before=6" in body
    older = client.get(url, {"before": "6"}).content.decode()
    assert "05-QĐ/ĐU" in older
    assert "01-QĐ/ĐU" in older
    assert "06-QĐ/ĐU" not in older
    assert "Older entries" in body
    assert "Older entries" not in older


def test_register_page_filters_by_date_and_refuses_bad_dates_with_400(
    tree: dict[str, Any], clerk: Any, client_for: Any
) -> None:
    unit = tree["commune_a"]
    for day in (dt.date(2026, 1, 5), dt.date(2026, 1, 20)):
        registers.register_document(actor=clerk, document=doc(unit), kind="outgoing", on=day)
    register = Register.objects.get(unit=unit, kind="outgoing", year=2026)
    url = reverse("documents:register", args=[register.pk])
    client = client_for(clerk)
    body = client.get(url, {"date_from": "2026-01-10", "date_to": "2026-01-31"}).content.decode()
    assert "02-QĐ/ĐU" in body
    assert "01-QĐ/ĐU" not in body
    assert "date_from=2026-01-10" in body  # the export links keep the period
    for bad in ({"date_from": "2026-13-45"}, {"date_from": "2026-02-01", "date_to": "2026-01-01"}):
        assert client.get(url, bad).status_code == 400
    assert client.get(url, {"before": "x'--"}).status_code == 200


def test_export_page_downloads_and_bad_input_goes_back_to_the_register(
    books: dict[str, Register], clerk: Any, client_for: Any
) -> None:
    client = client_for(clerk)
    url = reverse("documents:register_export", args=[books["in"].pk])
    response = client.get(url, {"fmt": "xlsx", "date_from": "2020-01-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in response["Content-Disposition"]
    for bad in ({"fmt": "docx"}, {"fmt": "pdf", "date_to": "not a date"}):
        response = client.get(url, bad)
        assert response.status_code == 302
        assert response["Location"] == reverse("documents:register", args=[books["in"].pk])


def test_confidential_page_enters_a_document_for_clerks_only(
    tree: dict[str, Any], clerk: Any, make_user: Any, client_for: Any
) -> None:
    url = reverse("documents:register_confidential")
    client = client_for(clerk)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert str(tree["commune_a"].pk) in body
    assert str(tree["commune_b"].pk) not in body
    data = {
        "unit": str(tree["cell_a"].pk),
        "kind": "incoming",
        "confidentiality": "toi_mat",
        "notation": "12-CV/UBKT",
        "issued_on": "2026-03-01",
        "issuing_body": "Ủy ban Kiểm tra Tỉnh ủy",
        "subject": "",
        "urgency": "khan",
    }
    response = client.post(url, data)
    entry = RegisterEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:register", args=[entry.register_id])
    assert entry.register.secret
    assert entry.document.unit == tree["cell_a"]
    assert entry.document.urgency == "khan"
    # The normal level is not offered, and cannot be forced.
    assert client.post(url, data | {"confidentiality": "normal"}).status_code == 400
    refused = client.post(url, data | {"notation": ""})
    assert refused.status_code == 400
    assert "Give the sender" in refused.content.decode()
    assert client.post(url, data | {"unit": str(tree["cell_b"].pk)}).status_code == 400
    assert RegisterEntry.objects.count() == 1
    leader = make_user("leader", role="leader", unit=tree["commune_a"])
    assert client_for(leader).get(url).status_code == 403
    assert client_for(leader).post(url, data).status_code == 403


# --- API ----------------------------------------------------------------------------------


def test_api_lists_registers_in_scope(
    books: dict[str, Register], clerk: Any, client_for: Any, make_user: Any, tree: dict[str, Any]
) -> None:
    response = client_for(clerk).get("/api/v1/registers/")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()}
    assert ids == {str(books["in"].pk)}
    specialist = make_user("specialist", role="specialist", unit=tree["commune_a"])
    assert client_for(specialist).get("/api/v1/registers/").status_code == 403


def test_api_entries_page_by_number(tree: dict[str, Any], clerk: Any, client_for: Any) -> None:
    unit = tree["commune_a"]
    for _ in range(5):
        registers.register_document(actor=clerk, document=doc(unit), kind="outgoing")
    register = Register.objects.get(unit=unit)
    client = client_for(clerk)
    url = f"/api/v1/registers/{register.pk}/entries"
    first = client.get(url, {"limit": 2}).json()
    assert [e["number"] for e in first["entries"]] == [5, 4]
    assert first["next_before_number"] == 4
    rest = client.get(url, {"limit": 10, "before_number": 4}).json()
    assert [e["number"] for e in rest["entries"]] == [3, 2, 1]
    assert rest["next_before_number"] is None
    today = clock.today().isoformat()
    assert len(client.get(url, {"date_from": today, "date_to": today}).json()["entries"]) == 5
    bad = client.get(url, {"date_from": "2026-02-30"})
    assert bad.status_code == 400
    assert "date_from" in bad.json()["errors"]
    assert client.get(url, {"limit": 0}).status_code == 400
    reversed_period = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert reversed_period.status_code == 400


def test_api_entries_and_export_outside_the_scope_are_not_found(
    books: dict[str, Register], clerk: Any, client_for: Any
) -> None:
    client = client_for(clerk)
    outside = books["out"].pk
    assert client.get(f"/api/v1/registers/{outside}/entries").status_code == 404
    assert client.get(f"/api/v1/registers/{outside}/export?fmt=xlsx").status_code == 404
    assert client.get("/api/v1/registers/nope/entries").status_code in {400, 404}


def test_api_export(books: dict[str, Register], clerk: Any, client_for: Any) -> None:
    client = client_for(clerk)
    url = f"/api/v1/registers/{books['in'].pk}/export"
    pdf = client.get(url, {"fmt": "pdf"})
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get(url, {"fmt": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content.startswith(b"PK")
    assert client.get(url, {"fmt": "doc"}).status_code == 400


def test_api_confidential_entry(
    tree: dict[str, Any], clerk: Any, client_for: Any, make_user: Any
) -> None:
    body = {
        "unit_code": tree["commune_a"].code,
        "kind": "incoming",
        "confidentiality": "tuyet_mat",
        "notation": "03-CV/BCS",
        "issued_on": "2026-03-03",
        "issuing_body": "Ban cán sự",
    }

    def post(payload: dict[str, Any], user: Any = clerk) -> Any:
        return client_for(user).post(
            "/api/v1/registers/confidential",
            data=json.dumps(payload),
            content_type="application/json",
        )

    created = post(body)
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["secret"] is True
    assert answer["number"] == 1
    assert answer["subject"] == "(confidential)"
    register = Register.objects.get(pk=answer["register_id"])
    assert register.secret
    assert register.unit == tree["commune_a"]
    normal = post(body | {"confidentiality": "normal"})
    assert normal.status_code == 400
    assert "confidentiality" in normal.json()["errors"]
    outside = post(body | {"unit_code": tree["commune_b"].code})
    assert outside.status_code == 400
    assert "unit_code" in outside.json()["errors"]
    assert post(body | {"doc_type": "nope"}).status_code == 400
    leader = make_user("leader", role="leader", unit=tree["commune_a"])
    assert post(body, leader).status_code == 403
    assert RegisterEntry.objects.count() == 1
