"""One ballot per member under concurrency: threads, each with its own database connection,
released together by a barrier, commit for real (`transaction=True`).

* The same member sending a ballot from many devices at once: exactly one is counted, every other
  attempt gets a Conflict, whatever the method.
* Many members at once: every ballot is counted, no counter update is lost.
* PostgreSQL: once the vote is closed, the secret counters and receipts carry the closing
  transaction's id (xmin), not the id of the last ballot that touched them.

SQLite: the test database is copied to a file for these tests (see
documents/tests/test_numbering_concurrency.py for why: connections of an in-memory shared cache
fail at once with "table is locked" instead of waiting for the write lock as the product does).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict
from secretariat.meetings.models import (
    BallotCast,
    BallotReceipt,
    NamedChoice,
    TallyCount,
    Vote,
    VoteKind,
    VoteMethod,
)
from secretariat.meetings.services import attendance, votes

from .room_factories import make_meeting

THREADS = 8

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def file_database(
    transactional_db: Any, tree: dict[str, Any], tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """On SQLite: the test database as a file for the duration of the test; on PostgreSQL:
    nothing to do. Yields the tree."""
    if connection.vendor != "sqlite":
        yield tree
        return
    memory_name = connection.settings_dict["NAME"]
    connection.ensure_connection()
    memory_connection = connection.connection
    path = tmp_path / "votes.sqlite3"
    target = sqlite3.connect(path)
    memory_connection.backup(target)
    target.close()
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield tree
    finally:
        connection.close()
        connection.settings_dict["NAME"] = memory_name
        connection.connection = memory_connection


@pytest.fixture
def room(file_database: dict[str, Any], make_user: Any) -> dict[str, Any]:
    tree = file_database
    secretary = make_user("secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("chair", position=(tree["cell_a"], "Bí thư"))
    members = [
        make_user(f"member{i}", position=(tree["cell_a"], "Đảng viên")) for i in range(THREADS)
    ]
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=members)
    for user in members:
        attendance.checkin_remote(actor=user, meeting=meeting)
    return {"meeting": meeting, "secretary": secretary, "members": members}


def _at_once(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run the calls in threads released together; (results, errors)."""
    start = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(call: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=30)
            result = call()
            with lock:
                results.append(result)
        except BaseException as exc:  # reported by the main thread
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def _open(room: dict[str, Any], method: str) -> Vote:
    vote = votes.create_vote(
        actor=room["secretary"],
        meeting=room["meeting"],
        kind=VoteKind.RESOLUTION,
        method=method,
        question="Thông qua nghị quyết",
    )
    return votes.open_vote(actor=room["secretary"], vote=vote)


@pytest.mark.parametrize("method", [VoteMethod.SECRET, VoteMethod.NAMED])
def test_the_same_member_voting_at_once_from_many_devices_counts_once(
    room: dict[str, Any], method: str
) -> None:
    vote = _open(room, method)
    voter = room["members"][0]
    results, errors = _at_once(
        [
            functools.partial(votes.cast, actor=voter, vote=vote, choices=[1 + i % 3])
            for i in range(THREADS)
        ]
    )
    assert len(results) == 1, errors
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert all("already voted" in str(e) for e in errors)
    assert BallotCast.objects.filter(vote=vote).count() == 1
    if method == VoteMethod.SECRET:
        assert results[0].receipt is not None
        assert list(BallotReceipt.objects.filter(vote=vote).values_list("code", flat=True)) == [
            results[0].receipt
        ]
        assert sum(TallyCount.objects.filter(vote=vote).values_list("count", flat=True)) == 1
    else:
        assert NamedChoice.objects.filter(vote=vote).count() == 1
    closed = votes.close_vote(actor=room["secretary"], vote=vote)
    assert closed.result["ballots"] == 1
    assert sum(o["votes"] for o in closed.result["options"]) == 1


def test_many_members_voting_at_once_are_all_counted(room: dict[str, Any]) -> None:
    vote = _open(room, VoteMethod.SECRET)
    results, errors = _at_once(
        [
            functools.partial(votes.cast, actor=user, vote=vote, choices=[1])
            for user in room["members"]
        ]
    )
    assert not errors, errors[:3]
    assert len({r.receipt for r in results}) == THREADS
    closed = votes.close_vote(actor=room["secretary"], vote=vote)
    assert closed.result["ballots"] == THREADS
    assert closed.result["options"][0]["votes"] == THREADS
    assert closed.result["passed"] is True  # 8 of a body of 10


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_closed_secret_counters_carry_the_closing_transaction(room: dict[str, Any]) -> None:
    """Each ballot commits on its own transaction, together with its audit event (which names
    the voter). While the vote is open, a counter row's xmin is the transaction of the last
    ballot for that option; after the close, no counter or receipt row carries a ballot's
    transaction id any more, only the closing transaction's."""
    vote = _open(room, VoteMethod.SECRET)
    for i, user in enumerate(room["members"][:4]):
        votes.cast(actor=user, vote=vote, choices=[1 + i % 3])

    def xmins(table: str, where: str, value: Any) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT xmin::text FROM {table} WHERE {where} = %s", [value])  # noqa: S608
            return {row[0] for row in cursor.fetchall()}

    ballots = xmins(AuditEvent._meta.db_table, "action", "meetings.ballot_cast")
    assert len(ballots) == 4
    assert xmins(TallyCount._meta.db_table, "vote_id", vote.pk) & ballots  # the link, while open
    votes.close_vote(actor=room["secretary"], vote=vote)
    closing = xmins(Vote._meta.db_table, "id", vote.pk)
    assert xmins(TallyCount._meta.db_table, "vote_id", vote.pk) == closing
    assert xmins(BallotReceipt._meta.db_table, "vote_id", vote.pk) == closing
    assert not closing & ballots
