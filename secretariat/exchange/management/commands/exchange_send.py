"""`manage.py exchange_send [FILE --from CODE --to CODE [--to CODE ...] --subject TEXT
[--number N] [--notation X] [--urgency U] [--type T]] [--deliver] [--json]`.

With a FILE: capture it as a document of the unit CODE and queue it for the external
organizations, in one transaction. With `--deliver`: then deliver the outbox now (one pass;
what fails is retried later by the worker). Runs as the system. Bad input: exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from secretariat.core.errors import DomainError
from secretariat.documents.models import Urgency
from secretariat.documents.services import (
    IncomingFile,
    capture_prepare,
    clean_metadata,
    documents_capture_prepared_nondurable,
)
from secretariat.exchange import services, worker
from secretariat.orgs.models import Unit


class Command(BaseCommand):
    help = "Send a file to external organizations through the exchange, and/or deliver the outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?")
        parser.add_argument("--from", dest="from_code")
        parser.add_argument("--to", action="append", default=[], dest="to_codes")
        parser.add_argument("--subject", default="")
        parser.add_argument("--number", default="")
        parser.add_argument("--notation", default="")
        parser.add_argument("--urgency", default=Urgency.NORMAL, choices=list(Urgency.values))
        parser.add_argument("--deliver", action="store_true", help="deliver the outbox now")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result: dict[str, Any] = {}
        if options["file"]:
            result["packages"] = self._send(options)
        elif not options["deliver"]:
            raise CommandError("Give a file to send, or --deliver.", returncode=2)
        if options["deliver"]:
            result["settled"] = worker.deliver_due()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for package in result.get("packages", []):
                self.stdout.write(f"queued {package['package_id']} for {package['to_org']}")
            if "settled" in result:
                self.stdout.write(f"{result['settled']} package(s) delivered or refused")

    def _send(self, options: dict[str, Any]) -> list[dict[str, str]]:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.", returncode=2)
        if not options["from_code"] or not options["to_codes"]:
            raise CommandError("Give --from CODE and at least one --to CODE.", returncode=2)
        unit = Unit.objects.filter(code=options["from_code"], active=True).first()
        if unit is None:
            raise CommandError(f"No active unit {options['from_code']} here.", returncode=2)
        try:
            metadata = clean_metadata(
                {
                    "subject": options["subject"] or path.stem,
                    "number": options["number"],
                    "notation": options["notation"],
                    "urgency": options["urgency"],
                }
            )
            prepared = capture_prepare([IncomingFile(name=path.name, data=path.read_bytes())])
            with transaction.atomic(durable=True):
                (document,) = documents_capture_prepared_nondurable(
                    actor=None, unit=unit, prepared=prepared, metadata=metadata
                )
                rows = services.send_document_nondurable(
                    actor=None, document=document, unit=unit, to_codes=options["to_codes"]
                )
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=2) from exc
        return [
            {"package_id": str(row.package_id), "to_org": row.to_org, "document": str(document.pk)}
            for row in rows
        ]
