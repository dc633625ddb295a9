"""`manage.py import_units PATH [--format csv|json]`: import units from a file, all or nothing.

Runs as the system (no acting user, audited as such): scope checks do not apply. On any bad line
nothing is imported, every problem is printed on standard error and the exit status is 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.orgs import io
from secretariat.orgs.errors import ImportFailed


class Command(BaseCommand):
    help = "Import units from a CSV or JSON file (as the system); nothing is imported on error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--format", choices=[f.value for f in io.Format], help="default: from the extension"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}", returncode=2) from exc
        try:
            result = io.tree_import(
                actor=None, content=content, fmt=options["format"] or "", filename=path.name
            )
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path.name}: {problem}")
            raise CommandError(str(exc.message), returncode=2) from exc
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        )
