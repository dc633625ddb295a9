"""Background exchange work (Huey): deliver the outbox, import received documents. Thin: the
work is in `worker.deliver_due` and `services.import_package`, both safe to run twice."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import directory, services, worker


@db_task()
def deliver_outbox() -> int:
    return worker.deliver_due()


@db_periodic_task(crontab(minute="*"))
def deliver_outbox_periodically() -> int:
    """Every minute: what is due again after a failed attempt."""
    return worker.deliver_due()


@db_task(retries=3, retry_delay=60)
def import_received() -> int:
    """Import the documents of the packages just received (idempotent)."""
    return services.import_pending()


@db_periodic_task(crontab(minute="*/5"))
def import_pending_packages() -> int:
    """Every five minutes: received documents whose import did not run (a worker was down)."""
    return services.import_pending()


@db_periodic_task(crontab(minute="7", hour="*/6"))
def rebuild_directory() -> int | None:
    """On the directory authority: republish with fresh CRLs before the old ones expire."""
    row = directory.rebuild(actor=None)
    return row.version if row is not None else None


@db_periodic_task(crontab(minute="37"))
def refresh_directory() -> int | None:
    """On the other nodes: fetch the authority's directory every hour (when its address is
    set), so revocations and new nodes arrive without an operator."""
    if not settings.EXCHANGE_DIRECTORY_URL or directory.is_authority():
        return None
    return directory.refresh(actor=None, url=settings.EXCHANGE_DIRECTORY_URL).version
