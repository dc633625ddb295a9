"""`manage.py exchange_status [--json] [--limit N]`: this node, the directory in force, and
the message log: outbox, inbox and quarantine with their states (the newest N of each)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secretariat.exchange import selectors


class Command(BaseCommand):
    help = "Show the exchange node's state and message log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        status = selectors.status(limit=max(0, options["limit"]))
        if options["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False, default=str))
            return
        node = status["node"]
        if node is None:
            self.stdout.write("not an exchange node (run exchange_node_init)")
            return
        self.stdout.write(f"node {node['node_id']} at {node['address']}")
        self.stdout.write(f"directory version {status['directory_version']}")
        for box in ("outbox", "inbox"):
            counts = (
                ", ".join(f"{state} {count}" for state, count in status[box].items()) or "empty"
            )
            self.stdout.write(f"{box}: {counts}")
        self.stdout.write(f"quarantine: {status['quarantine']['waiting']} waiting")
