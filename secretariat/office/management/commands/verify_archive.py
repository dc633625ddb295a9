"""`manage.py verify_archive PACKAGE.zip`: check an archive transfer package of a case file.

Exit status 0 when intact; 1 with each problem on its own line otherwise (Decree 30 Art. 31: the
archive checks what it receives)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secretariat.office.services.casefiles import archive_verify


class Command(BaseCommand):
    help = "Verify a case file's archive package (manifest digest, every file's SHA-256)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("package", help="the .zip exported from a closed case file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["package"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.stderr.write(f"{path}: {exc.strerror or exc}")
            raise SystemExit(1) from exc
        problems = archive_verify(data)
        if problems:
            for problem in problems:
                self.stderr.write(f"{path}: {problem}")
            raise SystemExit(1)
        self.stdout.write(f"{path}: intact")
