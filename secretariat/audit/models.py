"""The append-only, hash-chained audit log and its signed checkpoints.

Rows are never updated or deleted: database triggers refuse it (see `triggers.py`). Actor and unit
are plain identifiers, not foreign keys, so that the log outlives what it speaks of.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from secretariat.core.ids import uuid7


class AuditEvent(models.Model):
    # Position in the chain, 1, 2, 3…: a gap is a deleted event.
    seq = models.BigIntegerField(primary_key=True)
    id = models.UUIDField(unique=True, default=uuid7, editable=False)
    at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    unit_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True, db_index=True)
    before_digest = models.CharField(max_length=64, blank=True)
    after_digest = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(_("client address"), max_length=64, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def object_summary(self) -> str:
        """What the event is about, in the words an auditor recognises (a code, a user name)."""
        data = self.data if isinstance(self.data, dict) else {}
        for key in ("code", "username", "user", "name"):
            if data.get(key):
                return str(data[key])
        return self.object_type_label

    @property
    def object_type_label(self) -> str:
        """The object's kind in the reader's language ("user", "unit"), else its label."""
        from django.apps import apps

        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type


class Checkpoint(models.Model):
    """A signed RFC 9162 tree head over the first `tree_size` events."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    last_event_id = models.UUIDField(null=True, blank=True)
    last_event_hash = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField()
    node = models.CharField(max_length=100)
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    # The compact range (perfect subtree roots, hex, largest first) at `tree_size`: the next
    # checkpoint hashes only the events appended since. Not signed and not trusted by
    # `audit_verify`, which recomputes every root from the events.
    frontier = models.JSONField(default=list)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["tree_size", "signed_at"]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size} {self.root_hash[:12]}"
