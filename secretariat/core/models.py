"""Base model for every table of the platform."""

from __future__ import annotations

from django.db import models

from secretariat.core import clock
from secretariat.core.ids import uuid7


class BaseModel(models.Model):
    """UUIDv7 primary key, creation and update times."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
