"""`python manage.py seed_demo [--if-empty]`: build the demo province (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.core.errors import DomainError
from secretariat.demo.seed import seed_demo
from secretariat.orgs.models import Unit


class Command(BaseCommand):
    help = (
        "Build the demo province: units, about 150 officials, the demo accounts (demo mode only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds units (used by `make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Unit.objects.exists():
            self.stdout.write("The database already holds units: demo seeding skipped.")
            return
        try:
            seed_demo(log=self.stdout.write)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
