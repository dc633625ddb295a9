"""`manage.py audit_checkpoint`: sign a tree head over the audit log now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from secretariat.audit import services


class Command(BaseCommand):
    help = "Sign a checkpoint (Merkle tree head) over every audit event so far."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = services.checkpoint_create()
        if checkpoint is None:
            self.stdout.write("audit log is empty: no checkpoint")
            return
        self.stdout.write(
            f"checkpoint {checkpoint.id}: tree size {checkpoint.tree_size}, "
            f"root {checkpoint.root_hash}"
        )
