"""Full-text search (documents/search/): the same behaviour on SQLite FTS5 and PostgreSQL; CI
runs this file on both."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.accounts.models import Role
from secretariat.core import clock
from secretariat.documents.models import Confidentiality
from secretariat.documents.search import (
    QueryInvalid,
    index_document,
    parse_query,
    remove_document,
    search_documents,
)

from .matrix_cases_search import add_version, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_a(tree: dict[str, Any], make_user: Any) -> Any:
    """A records clerk of commune A (and its cells)."""
    return make_user("clerk_a", role=Role.RECORDS_CLERK, unit=tree["commune_a"])


@pytest.fixture
def leader(tree: dict[str, Any], make_user: Any) -> Any:
    """A leader of the whole province."""
    return make_user("leader", role=Role.LEADER, unit=tree["province"])


def subjects(user: Any, query: str, **kwargs: Any) -> list[str]:
    return [hit.subject for hit in search_documents(user=user, query=query, **kwargs).hits]


def test_query_typed_without_accents_finds_accented_words(tree: Any, clerk_a: Any) -> None:
    make_document(tree["commune_a"], "Quyết định về công tác cán bộ")
    make_document(tree["commune_a"], "Kế hoạch Đà Lạt xanh")
    assert subjects(clerk_a, "quyet dinh") == ["Quyết định về công tác cán bộ"]
    assert subjects(clerk_a, "da lat") == ["Kế hoạch Đà Lạt xanh"]
    assert search_documents(user=clerk_a, query="quyet dinh").accent_insensitive


def test_accented_query_matches_only_that_word(tree: Any, clerk_a: Any) -> None:
    """`nhưng` must not match `những` or `nhung` (MEASURED.md: unaccenting merges syllables)."""
    make_document(tree["commune_a"], "Báo cáo nhưng chưa đủ")
    make_document(tree["commune_a"], "Những việc cần làm ngay")
    make_document(tree["commune_a"], "Hàng nhung lụa Bảo Lộc")
    assert subjects(clerk_a, "nhưng") == ["Báo cáo nhưng chưa đủ"]
    assert subjects(clerk_a, "những") == ["Những việc cần làm ngay"]
    assert sorted(subjects(clerk_a, "nhung")) == sorted(
        ["Báo cáo nhưng chưa đủ", "Những việc cần làm ngay", "Hàng nhung lụa Bảo Lộc"]
    )
    assert not search_documents(user=clerk_a, query="nhưng").accent_insensitive


def test_phrase_requires_adjacent_words(tree: Any, clerk_a: Any) -> None:
    make_document(tree["commune_a"], "Nghị quyết về chuyển đổi số")
    make_document(tree["commune_a"], "Số liệu chuyển về đổi mới")
    assert subjects(clerk_a, '"chuyển đổi số"') == ["Nghị quyết về chuyển đổi số"]
    assert len(subjects(clerk_a, "chuyển đổi số")) == 2


def test_notation_is_found_as_typed(tree: Any, clerk_a: Any) -> None:
    make_document(tree["commune_a"], "Quyết định khen thưởng", notation="12/QĐ-UBND")
    make_document(tree["commune_a"], "Quyết định khác", notation="13/QĐ-UBND")
    assert subjects(clerk_a, "12/QĐ-UBND") == ["Quyết định khen thưởng"]
    assert subjects(clerk_a, "12/qd-ubnd") == ["Quyết định khen thưởng"]


def test_body_text_is_searched_and_highlighted(tree: Any, clerk_a: Any) -> None:
    make_document(
        tree["commune_a"],
        "Báo cáo tháng",
        text="Ủy ban nhân dân xã Lạc Dương triển khai kế hoạch phòng chống thiên tai.",
    )
    [hit] = search_documents(user=clerk_a, query="thien tai").hits
    assert "<mark>thiên</mark>" in hit.snippet
    assert "<mark>tai</mark>" in hit.snippet
    [hit] = search_documents(user=clerk_a, query="Lạc Dương").hits
    assert "<mark>Lạc</mark> <mark>Dương</mark>" in hit.snippet


def test_unaccented_query_snippet_keeps_the_original_letters(tree: Any, clerk_a: Any) -> None:
    make_document(tree["commune_a"], "Thông báo", text="Đảng ủy xã Đạ Sar quyết định tổ chức.")
    [hit] = search_documents(user=clerk_a, query="dang uy").hits
    assert "<mark>Đảng</mark> <mark>ủy</mark>" in hit.snippet


def test_snippet_escapes_markup(tree: Any, clerk_a: Any) -> None:
    make_document(
        tree["commune_a"], "Tờ trình <script>alert(1)</script> ngân sách", text="<b>ngân sách</b>"
    )
    [hit] = search_documents(user=clerk_a, query="ngân sách").hits
    assert "<script>" not in hit.snippet
    assert "<b>" not in hit.snippet
    assert "<mark>ngân</mark>" in hit.snippet
    # The markup around the words comes back as text (engines cut fragments differently).
    assert "&lt;" in hit.snippet or "&gt;" in hit.snippet
    assert hit.subject == "Tờ trình <script>alert(1)</script> ngân sách"


def test_scope_hides_other_communes(tree: Any, clerk_a: Any, leader: Any) -> None:
    """A user of commune A never sees commune B's documents, even when they match best."""
    make_document(tree["cell_a"], "Kế hoạch phòng cháy A", text="phòng cháy chữa cháy")
    make_document(tree["commune_b"], "Kế hoạch phòng cháy B", text="phòng cháy chữa cháy " * 5)
    for order in ("newest", "relevance"):
        page = search_documents(user=clerk_a, query="phòng cháy", order=order)
        assert [h.subject for h in page.hits] == ["Kế hoạch phòng cháy A"]
        assert all("B" not in str(h.snippet) for h in page.hits)
    assert len(subjects(leader, "phòng cháy")) == 2
    with pytest.raises(QueryInvalid):
        search_documents(user=clerk_a, query="phòng cháy", unit_code=tree["commune_b"].code)


def test_user_without_document_rights_finds_nothing(tree: Any, make_user: Any) -> None:
    make_document(tree["commune_a"], "Kế hoạch tuyên truyền")
    admin = make_user("uadmin", role=Role.UNIT_ADMIN, unit=tree["commune_a"])
    assert subjects(admin, "tuyên truyền") == []


def test_filters(tree: Any, leader: Any) -> None:
    make_document(
        tree["cell_a"],
        "Nghị quyết đại hội chi bộ",
        doc_type="nghi_quyet",
        issued_on=dt.date(2024, 3, 1),
        register_kind="incoming",
    )
    make_document(
        tree["commune_b"],
        "Kế hoạch đại hội đảng bộ",
        doc_type="ke_hoach",
        issued_on=dt.date(2025, 6, 1),
        register_kind="outgoing",
    )
    assert subjects(leader, "đại hội", doc_type="nghi_quyet") == ["Nghị quyết đại hội chi bộ"]
    assert subjects(leader, "đại hội", unit_code=tree["commune_a"].code) == [
        "Nghị quyết đại hội chi bộ"
    ]
    assert subjects(leader, "đại hội", date_from=dt.date(2025, 1, 1)) == [
        "Kế hoạch đại hội đảng bộ"
    ]
    assert subjects(leader, "đại hội", date_to=dt.date(2024, 12, 31)) == [
        "Nghị quyết đại hội chi bộ"
    ]
    assert subjects(leader, "đại hội", register_kind="outgoing") == ["Kế hoạch đại hội đảng bộ"]
    make_document(tree["office"], "Đại hội chưa vào sổ")
    assert subjects(leader, "đại hội", status="unregistered") == ["Đại hội chưa vào sổ"]
    assert len(subjects(leader, "đại hội", status="registered")) == 2
    with pytest.raises(QueryInvalid):
        search_documents(user=leader, query="đại hội", register_kind="nope")


def test_newest_first_with_more_results(tree: Any, clerk_a: Any) -> None:
    start = clock.now() - dt.timedelta(days=10)
    for day in range(5):
        make_document(
            tree["commune_a"], f"Công văn số {day}", created_at=start + dt.timedelta(days=day)
        )
    first = search_documents(user=clerk_a, query="công văn", limit=2)
    assert [h.subject for h in first.hits] == ["Công văn số 4", "Công văn số 3"]
    assert first.next_cursor
    second = search_documents(user=clerk_a, query="công văn", limit=2, before=first.next_cursor)
    assert [h.subject for h in second.hits] == ["Công văn số 2", "Công văn số 1"]
    third = search_documents(user=clerk_a, query="công văn", limit=2, before=second.next_cursor)
    assert [h.subject for h in third.hits] == ["Công văn số 0"]
    assert third.next_cursor is None


def test_relevance_ranks_subject_and_frequency_first(tree: Any, clerk_a: Any) -> None:
    old = clock.now() - dt.timedelta(days=30)
    make_document(
        tree["commune_a"], "Chuyển đổi số toàn diện", text="chuyển đổi số", created_at=old
    )
    make_document(tree["commune_a"], "Báo cáo tháng", text="có nhắc qua chuyển đổi số một lần")
    assert subjects(clerk_a, "chuyển đổi số", order="newest")[0] == "Báo cáo tháng"
    relevance = search_documents(user=clerk_a, query="chuyển đổi số", order="relevance", limit=1)
    assert [h.subject for h in relevance.hits] == ["Chuyển đổi số toàn diện"]
    more = search_documents(
        user=clerk_a,
        query="chuyển đổi số",
        order="relevance",
        limit=1,
        before=relevance.next_cursor,
    )
    assert [h.subject for h in more.hits] == ["Báo cáo tháng"]


@pytest.mark.parametrize(
    "query",
    ['"', "*", "AND OR", 'nghị "quyết', "NEAR(a b)", "a:b -c ^d", "'; DROP TABLE x; --", "ả" * 299],
)
def test_malformed_queries_never_raise_anything_but_a_message(
    tree: Any, clerk_a: Any, query: str
) -> None:
    make_document(tree["commune_a"], "Nghị quyết AND OR về quyết toán")
    message = ""
    try:
        search_documents(user=clerk_a, query=query)
    except QueryInvalid as exc:
        message = str(exc.message)
        assert message, "a refusal must say why"


def test_unbalanced_quote_is_a_phrase_to_the_end(tree: Any, clerk_a: Any) -> None:
    make_document(tree["commune_a"], "Nghị quyết về quyết toán")
    assert subjects(clerk_a, 'nghị "quyết toán') == ["Nghị quyết về quyết toán"]
    assert subjects(clerk_a, "AND OR") == []


def test_too_long_or_empty_query_gets_a_message(clerk_a: Any) -> None:
    with pytest.raises(QueryInvalid, match="too long"):
        search_documents(user=clerk_a, query="a" * 5000)
    with pytest.raises(QueryInvalid, match="at least one word"):
        search_documents(user=clerk_a, query='"*"')
    with pytest.raises(QueryInvalid, match="no longer valid"):
        search_documents(user=clerk_a, query="a", before="garbage!")


def test_index_follows_new_versions_and_metadata(tree: Any, clerk_a: Any) -> None:
    document = make_document(tree["commune_a"], "Tờ trình ban đầu", text="nội dung cũ")
    add_version(document, "nội dung mới về hạ tầng giao thông")
    index_document(document)
    assert subjects(clerk_a, "giao thông") == ["Tờ trình ban đầu"]
    assert subjects(clerk_a, "cũ") == []
    document.subject = "Tờ trình đã sửa"
    document.unit = tree["commune_b"]
    document.save()
    index_document(document)
    index_document(document)  # idempotent
    assert subjects(clerk_a, "giao thông") == []
    document.unit = tree["cell_a"]
    document.save()
    index_document(document)
    assert subjects(clerk_a, "đã sửa") == ["Tờ trình đã sửa"]
    remove_document(document)
    assert subjects(clerk_a, "đã sửa") == []


def test_confidential_documents_are_not_indexed(tree: Any, clerk_a: Any) -> None:
    document = make_document(tree["commune_a"], "Kế hoạch bảo vệ bí mật")
    document.confidentiality = Confidentiality.CONFIDENTIAL
    document.save()
    index_document(document)
    assert subjects(clerk_a, "bí mật") == []


def test_parse_query_words_and_phrases() -> None:
    parsed = parse_query('Quyết định "ban chấp hành" 12/QĐ-UBND')
    assert parsed.groups == (
        ("quyết",),
        ("định",),
        ("ban", "chấp", "hành"),
        ("12", "qđ", "ubnd"),
    )
    assert parsed.accented
    assert not parse_query("quyet dinh").accented
