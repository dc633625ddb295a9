"""Background work of capture (Huey): OCR of scans, one version per task. Thin: the work and
its bookkeeping are in `services.version_run_ocr`."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import services


# Retries: a worker killed mid-page leaves the version pending; a retry finds it so. A real OCR
# failure is recorded on the version by the service and is not retried.
@db_task(retries=2, retry_delay=30)
def ocr_version(version_id: str) -> str | None:
    """Run OCR on a pending version; its new status, or None when there was nothing to do."""
    version = services.version_run_ocr(version_id=version_id)
    return version.ocr_status if version is not None else None
