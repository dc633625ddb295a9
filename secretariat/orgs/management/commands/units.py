"""`manage.py units [--json]`: every unit of the tree.

Runs as the system (no acting user): it sees all units. The `--json` output is a contract used by
scripts and tests: a JSON list of `{"code", "name", "kind", "parent_code", "active"}` in tree order
(parents before children).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secretariat.orgs import selectors


class Command(BaseCommand):
    help = "List every unit of the organization tree (as the system)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        units = list(selectors.units_visible_to(user=None))
        parents = selectors.parent_codes(units)
        if options["json"]:
            rows = [
                {
                    "code": u.code,
                    "name": u.name,
                    "kind": u.kind,
                    "parent_code": parents[u.path],
                    "active": u.active,
                }
                for u in units
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for u in units:
            indent = "  " * (u.depth - 1)
            state = "" if u.active else "  [inactive]"
            self.stdout.write(f"{u.code:<16} {indent}{u.name} ({u.abbreviation}, {u.kind}){state}")
