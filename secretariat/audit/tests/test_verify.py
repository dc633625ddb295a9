"""`audit_verify` finds every kind of tampering a database administrator could do, and names
the first event that fails. Tampering is raw SQL with the triggers lifted (`suspended`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from secretariat.audit import chain, triggers
from secretariat.audit.models import AuditEvent, Checkpoint

pytestmark = pytest.mark.django_db


def _sql(sql: str, params: list[Any] | None = None) -> None:
    with triggers.suspended(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _verify_fails() -> str:
    """Run the command; it must exit 1. Returns its message."""
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert failure.value.returncode == 1
    return str(failure.value)


def _event(seq: int) -> AuditEvent:
    return AuditEvent.objects.get(seq=seq)


def test_intact_log_exits_0(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any], capsys: Any
) -> None:
    record_events(5)
    make_checkpoint()
    record_events(4)
    make_checkpoint()
    record_events(2)  # a tail after the last checkpoint is fine
    call_command("audit_verify")
    assert "audit log OK: 11 events, 2 checkpoints" in capsys.readouterr().out


def test_empty_log_is_intact(db: Any, capsys: Any) -> None:
    call_command("audit_verify")
    assert "OK: 0 events" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "accounts.nothing_happened"),
        ("actor_username", "someone_else"),
        ("object_id", "999"),
        ("data", '{"reason": "forged"}'),
        ("client_ip", "10.9.9.9"),
    ],
)
def test_edited_field_is_a_hash_mismatch(
    column: str, value: str, record_events: Callable[..., Any]
) -> None:
    record_events(5)
    _sql(f"UPDATE audit_auditevent SET {column} = %s WHERE seq = 3", [value])  # noqa: S608
    message = _verify_fails()
    assert str(_event(3).id) in message
    assert "hash mismatch" in message


def test_edited_time_is_a_hash_mismatch(record_events: Callable[..., Any]) -> None:
    events = record_events(4)
    with triggers.suspended(), connection.cursor() as cursor:
        field = AuditEvent._meta.get_field("at")
        earlier = events[0].at
        cursor.execute(
            "UPDATE audit_auditevent SET at = %s WHERE seq = 2",
            [field.get_db_prep_value(earlier, connection)],
        )
    message = _verify_fails()
    assert str(events[1].id) in message
    assert "hash mismatch" in message


def test_deleted_event_reports_the_event_after_the_gap(record_events: Callable[..., Any]) -> None:
    events = record_events(5)
    _sql("DELETE FROM audit_auditevent WHERE seq = 3")
    message = _verify_fails()
    assert str(events[3].id) in message
    assert "missing" in message


def test_deleted_first_event_is_found(record_events: Callable[..., Any]) -> None:
    events = record_events(3)
    _sql("DELETE FROM audit_auditevent WHERE seq = 1")
    message = _verify_fails()
    assert str(events[1].id) in message
    assert "missing" in message


def test_deleted_and_renumbered_is_a_prev_hash_mismatch(record_events: Callable[..., Any]) -> None:
    events = record_events(5)
    _sql("DELETE FROM audit_auditevent WHERE seq = 3")
    _sql("UPDATE audit_auditevent SET seq = seq - 1 WHERE seq > 3")
    message = _verify_fails()
    assert str(events[3].id) in message
    assert "prev_hash" in message


def test_reordered_pair_is_a_prev_hash_mismatch(record_events: Callable[..., Any]) -> None:
    events = record_events(5)
    _sql("UPDATE audit_auditevent SET seq = -1 WHERE seq = 2")
    _sql("UPDATE audit_auditevent SET seq = 2 WHERE seq = 3")
    _sql("UPDATE audit_auditevent SET seq = 3 WHERE seq = -1")
    message = _verify_fails()
    # Seq 2 now holds the old third event, which does not chain to event 1.
    assert str(events[2].id) in message
    assert "prev_hash" in message


def test_truncated_tail_is_found_by_the_checkpoint(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    events = record_events(6)
    make_checkpoint()
    _sql("DELETE FROM audit_auditevent WHERE seq > 4")
    message = _verify_fails()
    assert str(events[5].id) in message
    assert "truncated" in message


def test_truncated_tail_is_found_by_the_file_alone(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    """The administrator removes the tail and the checkpoint row; the shipped file remembers."""
    events = record_events(6)
    make_checkpoint()
    _sql("DELETE FROM audit_auditevent WHERE seq > 4")
    _sql("DELETE FROM audit_checkpoint")
    message = _verify_fails()
    assert str(events[5].id) in message
    assert "missing from the database" in message


def _rewrite_from(seq: int, **changes: Any) -> None:
    """Edit event `seq` and recompute every hash after it: the chain alone looks intact."""
    prev_hash = _event(seq - 1).hash if seq > 1 else chain.GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        if event.seq == seq:
            for name, value in changes.items():
                setattr(event, name, value)
        event.prev_hash = prev_hash
        event.hash = chain.event_hash(event)
        prev_hash = event.hash
        _sql(
            "UPDATE audit_auditevent SET action = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.action, event.prev_hash, event.hash, event.seq],
        )


def test_rewritten_chain_is_found_by_the_signed_root(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    events = record_events(4)
    make_checkpoint()  # seals 1..4
    events += record_events(4)
    make_checkpoint()  # seals 1..8
    _rewrite_from(6, action="accounts.forged")
    # Without checkpoints the rewrite would pass: the chain itself is consistent.
    message = _verify_fails()
    # The first event after the last checkpoint that still matches (size 4).
    assert str(events[4].id) in message
    assert "rewritten" in message


def test_rewritten_chain_without_any_matching_checkpoint_reports_the_first_event(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    events = record_events(5)
    make_checkpoint()
    _rewrite_from(2, action="accounts.forged")
    message = _verify_fails()
    assert str(events[0].id) in message
    assert "rewritten" in message


def _file_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_checkpoint_with_a_bad_signature(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any], audit_paths: Path
) -> None:
    """The administrator forges the root in the row and in the file; the signature says no."""
    events = record_events(3)
    checkpoint = make_checkpoint()
    forged_root = "ab" * 32
    _sql("UPDATE audit_checkpoint SET root_hash = %s", [forged_root])
    lines = _file_lines(audit_paths)
    lines[0]["root_hash"] = forged_root
    audit_paths.write_text("".join(json.dumps(line) + "\n" for line in lines))
    message = _verify_fails()
    assert str(events[2].id) in message
    assert "invalid signature" in message
    assert str(checkpoint.id) in message


def test_checkpoint_signed_by_another_key(
    record_events: Callable[..., Any],
    make_checkpoint: Callable[[], Any],
    audit_paths: Path,
    settings: Any,
    tmp_path: Path,
) -> None:
    record_events(3)
    make_checkpoint()
    settings.KEYS_DIR = tmp_path / "other-keys"  # the node now holds another key
    message = _verify_fails()
    assert "unknown key" in message


def test_checkpoint_row_changed_but_not_the_file(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    record_events(3)
    checkpoint = make_checkpoint()
    _sql("UPDATE audit_checkpoint SET last_event_hash = %s", ["cd" * 32])
    message = _verify_fails()
    assert str(checkpoint.id) in message
    assert "differs" in message


def test_checkpoint_deleted_from_the_database_but_in_the_file(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    events = record_events(3)
    make_checkpoint()
    record_events(2)
    second = make_checkpoint()
    _sql("DELETE FROM audit_checkpoint WHERE tree_size = 5")
    assert Checkpoint.objects.count() == 1
    message = _verify_fails()
    assert str(second.id) in message
    assert "missing from the database" in message
    assert str(second.last_event_id) in message
    assert str(events[0].id) not in message


def test_checkpoint_without_its_file_line_is_tolerated(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any], audit_paths: Path
) -> None:
    """The file is shipped away and rotated; the rows alone still verify."""
    record_events(3)
    make_checkpoint()
    audit_paths.unlink()
    call_command("audit_verify")


def test_unreadable_checkpoint_file_fails(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any], audit_paths: Path
) -> None:
    record_events(2)
    make_checkpoint()
    with audit_paths.open("a") as handle:
        handle.write("{not json\n")
    assert "line 2" in _verify_fails()


def test_verify_streams_more_than_one_chunk(
    record_events: Callable[..., Any],
    make_checkpoint: Callable[[], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from secretariat.audit import verification

    monkeypatch.setattr(verification, "CHUNK_SIZE", 3)
    events = record_events(10)
    make_checkpoint()
    assert verification.verify_log().ok
    _sql("UPDATE audit_auditevent SET object_id = 'x' WHERE seq = 8")
    result = verification.verify_log()
    assert (result.ok, result.event_id, result.seq) == (False, events[7].id, 8)
