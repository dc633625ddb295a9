"""`manage.py export_units [--format csv|json]`: the whole tree on standard output.

Runs as the system (no acting user): every unit is exported, parents before children.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secretariat.orgs import io


class Command(BaseCommand):
    help = "Export every unit as CSV or JSON on standard output (as the system)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format", choices=[f.value for f in io.Format], default=io.Format.CSV.value
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(io.tree_export(user=None, fmt=options["format"]), ending="")
