"""The PostgreSQL engine chooses its plan (search/postgres.py): the GIN index first, or a walk of
the scope's newest rows — over one unit's date index, the merged indexes of a few units, or the
global date index — bounded and falling back to the GIN index. At test sizes every query is rare,
so the thresholds are forced here; whatever the plan, the answer must be the same: the same hits
in the same order, the same cursors, only within the scope. (SQLite has one plan: skipped.)"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.db import connection

from secretariat.accounts.models import Role
from secretariat.core import clock
from secretariat.documents.search import postgres, search_documents

from .matrix_cases_search import make_document

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plan choice of the PostgreSQL engine"
    ),
]

WORDS = ["công tác", "triển khai", "chuyển đổi số", "Lạc Dương", "Nguyễn Văn Hùng", "ngân sách"]
QUERIES = [
    "công tác",
    "cong tac",
    "triển khai công tác",
    '"chuyển đổi số"',
    '"Nguyễn Văn Hùng"',
    "ngân sách",
    "không có đâu",
]
PLANS = {
    # Straight to the GIN index (what a small table gets anyway): the reference.
    "gin": {"COMMON_MATCHES": 10**9},
    # Walk first, with room to finish: the walk answers.
    "walk": {"COMMON_MATCHES": 0, "WALK_ROWS": 10_000, "WALK_COST": 0},
    # Walk first but only three rows: the walk is cut short and the GIN index answers.
    "walk-cut": {"COMMON_MATCHES": 0, "WALK_ROWS": 3, "WALK_COST": 0},
    # The same with the few-units merge turned off: the global date index is walked.
    "walk-global": {"COMMON_MATCHES": 0, "WALK_ROWS": 10_000, "WALK_COST": 0, "MERGE_UNITS": 1},
}


@pytest.fixture
def corpus(tree: dict[str, Any]) -> None:
    """Documents in every unit over forty days, each with a few of WORDS, some sharing a
    creation time (the cursor's tie-break on the id)."""
    start = clock.now() - dt.timedelta(days=40)
    units = ["province", "office", "commune_a", "cell_a", "commune_b", "cell_b"]
    for i in range(72):
        # Every unit gets every mix of words (k runs over 0..11 in each unit).
        k = i // len(units)
        words = [WORDS[j] for j in range(len(WORDS)) if (k + j) % (j + 2) == 0] or [WORDS[0]]
        make_document(
            tree[units[i % len(units)]],
            f"Văn bản {i} về {' '.join(words)}",
            text=f"Nội dung {i}: {', '.join(reversed(words))}.",
            created_at=start + dt.timedelta(days=i // 2),
        )


@pytest.fixture
def readers(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {
        # Every unit: no unit condition.
        "province": make_user("p_leader", role=Role.LEADER, unit=tree["province"]),
        # A commune and its cell: two units (merged indexes).
        "commune": make_user("c_clerk", role=Role.RECORDS_CLERK, unit=tree["commune_a"]),
        # One unit: its own date index.
        "cell": make_user("cell_spec", role=Role.SPECIALIST, unit=tree["cell_b"], subtree=False),
    }


def use_plan(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for attribute, value in PLANS[name].items():
        monkeypatch.setattr(postgres, attribute, value)
    # What earlier searches (of other tests' tables) taught the engine must not decide this one.
    monkeypatch.setattr(postgres, "_DENSITY", {})
    monkeypatch.setattr(postgres, "_ESTIMATES", {})


def answers(user: Any, **kwargs: Any) -> list[list[str]]:
    """Every page of every query, following the cursors: the subjects in order."""
    out: list[list[str]] = []
    for query in QUERIES:
        before = None
        while True:
            page = search_documents(user=user, query=query, limit=4, before=before, **kwargs)
            out.append([hit.subject for hit in page.hits])
            if not page.next_cursor:
                break
            before = page.next_cursor
    return out


@pytest.mark.parametrize("plan", ["walk", "walk-cut", "walk-global"])
@pytest.mark.parametrize("reader", ["province", "commune", "cell"])
def test_every_plan_gives_the_answer_of_the_gin_index(
    corpus: None, readers: dict[str, Any], monkeypatch: pytest.MonkeyPatch, plan: str, reader: str
) -> None:
    user = readers[reader]
    use_plan(monkeypatch, "gin")
    expected = answers(user)
    assert any(len(page) == 4 for page in expected), "the corpus must fill pages"
    use_plan(monkeypatch, plan)
    assert answers(user) == expected


@pytest.mark.parametrize("plan", ["walk", "walk-cut"])
def test_relevance_and_filters_agree_across_plans(
    corpus: None,
    readers: dict[str, Any],
    tree: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
) -> None:
    user = readers["province"]
    cases: list[dict[str, Any]] = [
        {"order": "relevance"},
        {"unit_code": tree["commune_b"].code},
        {"date_from": (clock.now() - dt.timedelta(days=25)).date()},
        {"status": "unregistered"},
    ]
    use_plan(monkeypatch, "gin")
    expected = [answers(user, **case) for case in cases]
    use_plan(monkeypatch, plan)
    assert [answers(user, **case) for case in cases] == expected


def test_a_walk_stays_in_scope(
    corpus: None, readers: dict[str, Any], tree: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_plan(monkeypatch, "walk")
    for reader, units in (
        ("commune", {tree["commune_a"].code, tree["cell_a"].code}),
        ("cell", {tree["cell_b"].code}),
    ):
        page = search_documents(user=readers[reader], query="công tác", limit=100)
        assert page.hits
        assert {hit.unit_code for hit in page.hits} <= units


def test_what_a_walk_saw_decides_the_next_plan(
    corpus: None, readers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk cut short records the share of rows that matched; a query seen to be sparse goes
    to the GIN index next time without walking, a dense one walks."""
    use_plan(monkeypatch, "walk")
    engine = postgres.PostgresEngine
    real_bound = engine._walk_bound
    monkeypatch.setattr(engine, "_walk_bound", lambda self, query, wanted: 3)
    search_documents(user=readers["province"], query='"Nguyễn Văn Hùng"')
    [(key, (_, density))] = postgres._DENSITY.items()
    assert key[0] == "s.vec"
    assert 0 <= density <= 1
    # From here the engine chooses, from fixed statistics: every word in half of 20 rows.
    monkeypatch.setattr(engine, "_walk_bound", real_bound)
    monkeypatch.setattr(engine, "_estimate", lambda self, vector, word: 10)
    monkeypatch.setattr(engine, "_documents", lambda self: 20)
    monkeypatch.setattr(postgres, "WALK_COST", 0.001)
    walks: list[Any] = []
    real_walk = engine._walk

    def spy(*args: Any) -> Any:
        walks.append(args)
        return real_walk(*args)

    monkeypatch.setattr(engine, "_walk", spy)
    for seen, walked in ((1e-9, False), (1.0, True)):
        postgres._DENSITY[key] = (time.monotonic(), seen)
        walks.clear()
        page = search_documents(user=readers["province"], query='"Nguyễn Văn Hùng"')
        assert page.hits
        assert bool(walks) is walked
