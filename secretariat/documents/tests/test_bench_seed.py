"""bench_seed: a small synthetic corpus, registered and searchable, and the refusal to run on a
node that is neither DEBUG nor DEMO without --yes."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from secretariat.accounts.models import Role
from secretariat.documents.models import Document, RegisterEntry, SearchEntry
from secretariat.documents.search import search_documents

pytestmark = pytest.mark.django_db


def test_bench_seed_small_corpus_is_indexed(tree: dict[str, Any], make_user: Any) -> None:
    call_command("bench_seed", "--documents", "120", "--years", "2", "--yes", stdout=StringIO())
    assert Document.objects.count() == 120
    assert SearchEntry.objects.count() == 120
    assert RegisterEntry.objects.count() == 120
    for document in Document.objects.all()[:20]:
        # Words as a Vietnamese reader counts them (syllables); a name or a place may add a few.
        assert 10 <= len(document.subject.split()) <= 32
        assert 150 <= len(document.versions.get().text.split()) <= 440
    leader = make_user("bench_leader", role=Role.LEADER, unit=tree["province"])
    page = search_documents(user=leader, query="công tác", limit=5)
    assert len(page.hits) == 5
    assert page.next_cursor
    # The corpus is spread over the tree: a commune clerk sees only part of it.
    clerk = make_user("bench_clerk", role=Role.RECORDS_CLERK, unit=tree["commune_a"])
    visible = {hit.unit_code for hit in search_documents(user=clerk, query="năm", limit=100).hits}
    assert visible <= {tree["commune_a"].code, tree["cell_a"].code}


def test_bench_seed_refuses_on_a_real_node(db: Any, settings: Any) -> None:
    settings.DEBUG = False
    settings.DEMO = False
    with pytest.raises(CommandError, match="throwaway"):
        call_command("bench_seed", "--documents", "10", stdout=StringIO())
    assert not Document.objects.exists()
