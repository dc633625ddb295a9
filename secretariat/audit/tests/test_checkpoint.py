"""Signed checkpoints: the row, the shipped file line, the command and the periodic task."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from secretariat.audit import merkle, services, tasks
from secretariat.audit.models import AuditEvent, Checkpoint
from secretariat.core import keys

pytestmark = pytest.mark.django_db


def test_checkpoint_signs_the_tree_head_and_writes_a_file_line(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any], audit_paths: Path
) -> None:
    events = record_events(5)
    checkpoint = make_checkpoint()
    leaves = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in events]
    assert checkpoint.tree_size == 5
    assert checkpoint.root_hash == merkle.root(leaves).hex()
    assert checkpoint.last_event_id == events[-1].id
    public_key = keys.public_key_hex(keys.node_public_key())
    assert merkle.verify_signature(
        public_key, checkpoint.signature, services.checkpoint_signed_text(checkpoint)
    )
    (line,) = [json.loads(x) for x in audit_paths.read_text().splitlines()]
    assert line["id"] == str(checkpoint.id)
    assert line["root_hash"] == checkpoint.root_hash
    assert line["public_key"] == public_key
    assert line["signature"] == checkpoint.signature


def test_nothing_new_returns_the_latest_and_writes_nothing(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any], audit_paths: Path
) -> None:
    record_events(2)
    first = make_checkpoint()
    assert make_checkpoint() == first
    assert Checkpoint.objects.count() == 1
    assert len(audit_paths.read_text().splitlines()) == 1
    record_events(3)
    second = make_checkpoint()
    assert second.tree_size == 5
    assert len(audit_paths.read_text().splitlines()) == 2


def test_incremental_root_equals_a_full_recomputation(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    for n in (1, 2, 5, 3, 8):
        record_events(n)
        checkpoint = make_checkpoint()
    hashes = AuditEvent.objects.order_by("seq").values_list("hash", flat=True)
    expected = merkle.root([merkle.leaf_hash(bytes.fromhex(h)) for h in hashes])
    assert checkpoint.tree_size == 19
    assert checkpoint.root_hash == expected.hex()


def test_empty_log_has_no_checkpoint(db: Any, audit_paths: Path) -> None:
    assert services.checkpoint_create() is None
    assert not audit_paths.exists()


def test_command_prints_size_and_root(
    record_events: Callable[..., Any], django_capture_on_commit_callbacks: Any, audit_paths: Path
) -> None:
    record_events(3)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit_checkpoint", stdout=out)
    checkpoint = Checkpoint.objects.get()
    assert "tree size 3" in out.getvalue()
    assert checkpoint.root_hash in out.getvalue()
    assert audit_paths.exists()


def test_periodic_task_creates_a_checkpoint(
    record_events: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    record_events(2)
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.audit_checkpoint.call_local()
    assert result == str(Checkpoint.objects.get().id)


@pytest.mark.parametrize(
    ("minutes", "at", "due"),
    [(15, "10:45", True), (15, "10:46", False), (90, "01:30", True), (90, "01:00", False)],
)
def test_task_schedule_follows_the_setting(settings: Any, minutes: int, at: str, due: bool) -> None:
    settings.AUDIT_CHECKPOINT_MINUTES = minutes
    hour, minute = map(int, at.split(":"))
    assert tasks.checkpoint_due(dt.datetime(2026, 1, 1, hour, minute)) is due  # noqa: DTZ001
