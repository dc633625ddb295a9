"""`manage.py ingest PATH [PATH...] --unit CODE --register incoming --json [--user USERNAME]`:
capture files from disk (a scanner's folder, a migration), read them (OCR in the foreground)
and register them. One JSON object per line per file; a refused file prints
`{"path": ..., "error": ...}`, stores nothing, and makes the command exit 2 once every other
file has been processed. Acts as the system unless `--user` is given."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from secretariat.core.errors import DomainError
from secretariat.documents import services, storage
from secretariat.documents.models import Document, RegisterKind
from secretariat.orgs.models import Unit


def _result(path: str, document: Document, register_kind: str | None) -> dict[str, Any]:
    version = document.versions.select_related("original").order_by("-number").first()
    assert version is not None
    entry = (
        document.entries.filter(register__kind=register_kind).order_by("-created_at").first()
        if register_kind
        else None
    )
    return {
        "path": path,
        "id": str(document.id),
        "sha256": version.original_id,
        "number": entry.number if entry is not None else None,
        "notation": document.notation,
        "ocr_status": version.ocr_status,
        "ocr_chars": len(version.text),
        "pages": document.page_count,
        "content_type": version.original.content_type,
        "suggested": document.suggested,
        **({"ocr_error": version.ocr_error} if version.ocr_error else {}),
    }


class Command(BaseCommand):
    help = "Capture, OCR and register files from disk into a unit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files to capture")
        parser.add_argument("--unit", required=True, help="electronic code of the unit")
        parser.add_argument(
            "--register",
            choices=list(RegisterKind.values),
            help="register each document in this register of the unit (e.g. incoming)",
        )
        parser.add_argument("--user", help="act as this user (their rights apply)")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    @no_translations  # messages in English, whatever the node's language
    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"unknown unit: {options['unit']}", returncode=2)
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None or not actor.is_active:
                raise CommandError(f"unknown or inactive user: {options['user']}", returncode=2)
        failed = 0
        for raw in options["paths"]:
            line = self._ingest_one(raw, unit=unit, actor=actor, register=options["register"])
            failed += "error" in line
            if options["json"]:
                self.stdout.write(json.dumps(line, ensure_ascii=False))
            elif "error" in line:
                self.stderr.write(f"{raw}: {line['error']}")
            else:
                self.stdout.write(
                    f"{raw}: {line['id']} number {line['number']} {line['notation']}"
                    f" ({line['ocr_chars']} characters)"
                )
        if failed:
            sys.exit(2)

    def _ingest_one(
        self, raw: str, *, unit: Unit, actor: Any, register: str | None
    ) -> dict[str, Any]:
        path = Path(raw)
        try:
            data = path.read_bytes()
        except OSError as exc:
            return {"path": raw, "error": f"cannot read the file: {exc.strerror or exc}"}
        try:
            document = services.document_capture(
                actor=actor,
                unit=unit,
                file=services.IncomingFile(name=path.name, data=data),
                metadata={},
                run_ocr="now",
                register_kind=register,
            )
        except DomainError as exc:
            return {"path": raw, "error": str(exc.message)}
        except storage.FileIntegrityError as exc:
            return {"path": raw, "error": f"storage integrity error: {exc}"}
        return _result(raw, document, register)
