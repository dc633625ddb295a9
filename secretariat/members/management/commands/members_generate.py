"""`manage.py members_generate --members N`: synthetic Party members for a demo or a benchmark
ONLY (`members.generator`, bulk path: rows consistent with `lifecycle.derive`, no audit
events). Refuses unless the node runs in DEBUG or DEMO mode or `--yes` is given: never on a
database holding real records."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.members import generator
from secretariat.orgs.models import Unit


class Command(BaseCommand):
    help = "Add synthetic Party members with life-cycle histories (demo and benchmarks only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=5000)
        parser.add_argument("--unit", default="", help="Code of the unit whose cells get them.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--dues-months", type=int, default=0)
        parser.add_argument("--rating-years", type=int, default=0)
        parser.add_argument("--yes", action="store_true", help="Run outside DEBUG/DEMO mode.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.DEMO or options["yes"]):
            raise CommandError(
                "members_generate writes synthetic records: run it in DEBUG or DEMO mode, or "
                "pass --yes on a throwaway database."
            )
        if options["members"] <= 0:
            raise CommandError("--members must be positive.")
        root = None
        if options["unit"]:
            root = Unit.objects.filter(code=options["unit"]).first()
            if root is None:
                raise CommandError(f"No unit with the code {options['unit']}.")
        cells = generator.party_cells(root)
        if not cells:
            raise CommandError("No active Party cell to put members in.")
        started = time.monotonic()
        plans = generator.plan_members(
            options["members"], generator.cell_infos(cells), seed=options["seed"]
        )
        done = generator.bulk_insert(
            plans,
            dues_months=options["dues_months"],
            rating_years=options["rating_years"],
            progress=lambda n: self.stderr.write(f"\r{n} members", ending=""),
        )
        self.stderr.write("")
        self.stdout.write(
            f"{done} members over {len(cells)} cells in {time.monotonic() - started:.0f} s"
        )
