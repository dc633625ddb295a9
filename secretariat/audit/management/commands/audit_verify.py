"""`manage.py audit_verify`: exit 0 when the audit log is intact, 1 naming the first bad event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from secretariat.audit import services


class Command(BaseCommand):
    help = "Verify the audit log: hash chain, signed checkpoints and the checkpoint file."

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.verify_log()
        if not result.ok:
            raise CommandError(
                f"audit log FAILED at event {result.event_id or '-'} "
                f"(seq {result.seq if result.seq is not None else '-'}): {result.reason}",
                returncode=1,
            )
        self.stdout.write(
            f"audit log OK: {result.events} events, {result.checkpoints} checkpoints verified"
        )
