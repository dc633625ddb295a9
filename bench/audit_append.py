"""Benchmark: appending audit events with `audit.services.record` against plain ORM inserts.

The baseline inserts the very same rows (read back after our run) into a table of the same shape
(same columns, same indexes and unique constraints) with `Model.objects.create`, one transaction
per row, like ours. The two are run in alternating chunks so drift (cache, WAL growth, CPU
frequency) hits both alike. The ratio is our cost per event over the baseline's: target ≤ 2.0.

A second metric does the same for `verify_log` (full chain, Merkle roots, signature checks)
against a plain streaming read of the same rows.

Runs against a throwaway SQLite database in a temporary directory, or against DATABASE_URL when
set (use a throwaway database: the events stay in its audit log).

    python bench/audit_append.py [--events N] [--chunk N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

from _common import emit, setup_django


def plain_model() -> Any:
    """A model with every column and index of AuditEvent, but no chain and no triggers."""
    from django.db import connection, models

    from secretariat.audit.models import AuditEvent

    attrs: dict[str, Any] = {"__module__": __name__}
    for field in AuditEvent._meta.local_fields:
        attrs[field.name] = field.clone()  # type: ignore[attr-defined]
    attrs["Meta"] = type("Meta", (), {"app_label": "audit", "db_table": "bench_plain_event"})
    model: Any = type("BenchPlainEvent", (models.Model,), attrs)
    with connection.schema_editor() as editor:
        editor.execute(f"DROP TABLE IF EXISTS {model._meta.db_table}")
        editor.create_model(model)
    return model


def run(events: int, chunk: int) -> None:
    from django.db import connection, transaction

    from secretariat.audit import services
    from secretariat.audit.chain import BODY_FIELDS
    from secretariat.audit.models import AuditEvent

    plain = plain_model()
    columns = [*BODY_FIELDS, "hash"]
    counter = 0

    def append(n: int) -> float:
        nonlocal counter
        start = time.perf_counter()
        for _ in range(n):
            counter += 1
            with transaction.atomic():
                services.record(
                    actor=None,
                    actor_username="bench",
                    action="bench.append",
                    object_type="bench.thing",
                    object_id=str(counter),
                    before={"version": counter},
                    after={"version": counter + 1},
                    data={"code": f"Số {counter}-NQ/TU", "reason": "benchmark"},
                    client_ip="127.0.0.1",
                )
        return time.perf_counter() - start

    def insert_plain(rows: list[dict[str, Any]]) -> float:
        start = time.perf_counter()
        for row in rows:
            with transaction.atomic():
                plain.objects.create(**row)
        return time.perf_counter() - start

    def rows_after(seq: int) -> list[dict[str, Any]]:
        return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values(*columns))

    def last_seq() -> int:
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    # Warm-up: connections, statement caches, the live-update thread, the node key.
    mark = last_seq()
    append(50)
    insert_plain(rows_after(mark))

    ours = base = 0.0
    done = 0
    while done < events:
        n = min(chunk, events - done)
        mark = last_seq()
        ours += append(n)
        base += insert_plain(rows_after(mark))
        done += n
    emit(
        "audit_append",
        "events_per_s",
        events / ours,
        "events/s",
        events / base,
        ours / base,
        events=events,
        database=connection.vendor,
    )

    total = AuditEvent.objects.count()
    services.checkpoint_create()
    start = time.perf_counter()
    result = services.verify_log()
    verify_time = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"audit log does not verify: {result}")
    start = time.perf_counter()
    read = sum(1 for _ in AuditEvent.objects.order_by("seq").values_list(*columns).iterator(2000))
    read_time = time.perf_counter() - start
    emit(
        "audit_append",
        "verify_events_per_s",
        total / verify_time,
        "events/s",
        read / read_time,
        verify_time / read_time,
        events=total,
        database=connection.vendor,
    )
    with connection.schema_editor() as editor:
        editor.delete_model(plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events to append (5000)")
    parser.add_argument("--chunk", type=int, default=500, help="events per alternating chunk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as data_dir:
        setup_django(data_dir)
        run(args.events, args.chunk)


if __name__ == "__main__":
    main()
