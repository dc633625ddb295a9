"""The periodic checkpoint job runs through a real queue: Huey on Redis and on SQLite."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from huey import RedisHuey, SqliteHuey

from secretariat.audit import services
from secretariat.audit.models import AuditEvent, Checkpoint
from secretariat.audit.tasks import audit_checkpoint, checkpoint_due


@pytest.fixture(params=["redis", "sqlite"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "redis":
        huey = RedisHuey("secretariat-test-queue", url="redis://127.0.0.1:6379/13")
    else:
        huey = SqliteHuey("secretariat-test-queue", filename=str(tmp_path / "queue.sqlite3"))
    huey.flush()
    yield huey
    huey.flush()


# The job closes its database connection when done, as every Huey job must (djhuey's
# `db_periodic_task`), so the test cannot run inside a rolled-back transaction.
@pytest.mark.django_db(transaction=True)
def test_checkpoint_job_goes_through_the_queue(
    queue: Any, tree: dict[str, Any], make_user: Any
) -> None:
    actor = make_user("actor")
    with transaction.atomic():
        services.record(actor=actor, action="orgs.unit_updated", unit=tree["cell_a"])
    job = queue.task()(audit_checkpoint.func)  # the very function the periodic task runs

    result = job()
    assert len(queue) == 1  # enqueued, not run
    assert not Checkpoint.objects.exists()

    queue.execute(queue.dequeue())

    checkpoint = Checkpoint.objects.get()
    assert result.get() == str(checkpoint.id)
    assert checkpoint.tree_size == AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("minutes", "hour", "minute", "due"),
    [
        (15, 10, 0, True),
        (15, 10, 45, True),
        (15, 10, 7, False),
        (7, 0, 0, True),
        (7, 1, 3, True),
        (7, 1, 4, False),
    ],
)
def test_checkpoint_schedule_follows_the_setting(
    settings: Any, minutes: int, hour: int, minute: int, due: bool
) -> None:
    settings.AUDIT_CHECKPOINT_MINUTES = minutes
    assert checkpoint_due(dt.datetime(2026, 11, 26, hour, minute, tzinfo=dt.UTC)) is due
