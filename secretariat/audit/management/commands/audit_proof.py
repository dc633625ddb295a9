"""`manage.py audit_proof EVENT`: print the inclusion proof of one event (JSON)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.audit import proofs, selectors


class Command(BaseCommand):
    help = (
        "Print a JSON proof that an audit event (UUID or seq) is included in the latest signed "
        "checkpoint covering it. Check it with secretariat/audit/merkle.py, which runs alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event", help="event id (UUID) or sequence number")

    def handle(self, *args: Any, **options: Any) -> None:
        event = selectors.event_by_ref(options["event"])
        if event is None:
            raise CommandError(f"no audit event {options['event']!r}", returncode=1)
        try:
            document = proofs.proof_document(event)
        except proofs.NoCoveringCheckpoint:
            raise CommandError(
                f"no checkpoint covers event {event.id} (seq {event.seq}) yet: run "
                "`manage.py audit_checkpoint` first, then ask again",
                returncode=1,
            ) from None
        self.stdout.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
