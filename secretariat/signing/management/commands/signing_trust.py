"""`manage.py signing_trust FILE [--json]`: add the certificates of FILE (one PEM bundle or one
DER certificate) to the trust store: self-signed CA certificates as roots, other CA
certificates as intermediates. All or nothing; runs as the system. Bad input: exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.core.errors import DomainError
from secretariat.signing import trust


class Command(BaseCommand):
    help = "Add root and intermediate certificates (PEM bundle or DER) to the trust store."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        try:
            added = trust.add_anchors(actor=None, data=data)
        except DomainError as exc:
            raise CommandError(f"{path.name}: {exc.message}", returncode=2) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "added": [
                            {
                                "id": str(a.pk),
                                "kind": a.kind,
                                "subject": a.subject,
                                "fingerprint": a.fingerprint,
                                "not_after": a.not_after.isoformat(),
                            }
                            for a in added
                        ]
                    },
                    ensure_ascii=False,
                )
            )
        else:
            for anchor in added:
                self.stdout.write(f"added {anchor.kind}: {anchor.subject} ({anchor.fingerprint})")
