"""Numbering under concurrency: simultaneous registrations get distinct, consecutive numbers.

Each thread has its own database connection (Django opens one per thread) and commits its own
transaction, so the test database must be shared between connections and really committed to:
`transaction=True`. On PostgreSQL the register row lock (`SELECT … FOR UPDATE`) serializes the
writers; on SQLite the IMMEDIATE write transactions do (settings).

SQLite: Django's test database is in memory with a shared cache. Connections of a shared cache
lock tables among themselves and answer "database table is locked" (SQLITE_LOCKED) at once,
without the busy timeout — that is not how the product runs (a file in WAL mode, where a writer
waits for the write lock). So, for this test only, the fixture `file_database` copies the test
database into a temporary file (SQLite's online backup) and points every connection at it; the
in-memory database is put back untouched afterwards and flushed as usual.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from secretariat.documents import registers
from secretariat.documents.models import Document, DocumentType, Register, RegisterEntry

THREADS = 50


@pytest.fixture
def file_database(
    transactional_db: Any, tree: dict[str, Any], tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """On SQLite: the test database as a file for the duration of the test (see the module
    docstring); on PostgreSQL: nothing to do. Yields the tree."""
    if connection.vendor != "sqlite":
        yield tree
        return
    memory_name = connection.settings_dict["NAME"]
    connection.ensure_connection()
    memory_connection = connection.connection
    path = tmp_path / "numbering.sqlite3"
    target = sqlite3.connect(path)
    memory_connection.backup(target)
    target.close()
    # Hold the in-memory database (closing its last connection would drop it) and let Django
    # open the file instead, in this thread and in every new thread.
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield tree
    finally:
        connection.close()
        connection.settings_dict["NAME"] = memory_name
        connection.connection = memory_connection


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_registrations_get_numbers_one_to_fifty(
    file_database: dict[str, Any],
) -> None:
    """50 threads register 50 documents at once: numbers 1..50, no gap, no duplicate."""
    unit = file_database["province"]
    decision = DocumentType.objects.get(code="quyet_dinh")
    documents = [
        Document.objects.create(unit=unit, subject=f"Quyết định số {i}", doc_type=decision)
        for i in range(THREADS)
    ]
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work(document: Document) -> None:
        try:
            start.wait(timeout=30)
            registers.register_document(actor=None, document=document, kind="outgoing")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures[:3]
    numbers = sorted(RegisterEntry.objects.values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    register = Register.objects.get()
    assert register.last_number == THREADS
    notations = set(Document.objects.values_list("notation", flat=True))
    assert len(notations) == THREADS
    assert "50-QĐ/TU" in notations
