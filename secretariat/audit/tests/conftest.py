"""Audit test fixtures: private key and checkpoint file per test, events made by the service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from secretariat.audit import services
from secretariat.audit.models import AuditEvent


@pytest.fixture(autouse=True)
def audit_paths(settings: Any, tmp_path: Path) -> Path:
    """A fresh node key and checkpoint file for every test, never the developer's var/."""
    settings.KEYS_DIR = tmp_path / "keys"
    settings.NODE_SIGNING_KEY = ""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit" / "checkpoints.log"
    return Path(settings.AUDIT_CHECKPOINT_FILE)


@pytest.fixture
def record_events(db: Any) -> Callable[..., list[AuditEvent]]:
    """record_events(n, actor=None, unit=None, action="test.event"): n events, via the service."""

    def _record(n: int, **kwargs: Any) -> list[AuditEvent]:
        kwargs.setdefault("actor", None)
        kwargs.setdefault("action", "test.event")
        events = []
        for i in range(n):
            with transaction.atomic():
                events.append(services.record(object_type="test.thing", object_id=str(i), **kwargs))
        return events

    return _record


@pytest.fixture
def make_checkpoint(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Sign a checkpoint and run its after-commit work (the file line), as a real commit would."""

    def _make() -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return services.checkpoint_create()

    return _make
