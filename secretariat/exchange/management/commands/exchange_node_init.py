"""`manage.py exchange_node_init --node-id ID --name NAME --address https://host:port
[--request FILE]`: make this installation an exchange node (or change its name and address),
and write the request the directory authority needs to list it (stdout when no file). Runs as
the system. Bad input: exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.core.errors import DomainError
from secretariat.exchange import identity


class Command(BaseCommand):
    help = "Make this installation an exchange node and print its directory request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--node-id", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--address", required=True, help="https://host:port of exchange_serve")
        parser.add_argument("--request", help="write the directory request (JSON) to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            node = identity.node_init(
                actor=None,
                node_id=options["node_id"],
                name=options["name"],
                address=options["address"],
            )
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=2) from exc
        request = json.dumps(identity.request_document(node), ensure_ascii=False, indent=2)
        if options["request"]:
            Path(options["request"]).write_text(request + "\n", encoding="utf-8")
            self.stdout.write(f"node {node.node_id} ready; request written to {options['request']}")
        else:
            self.stdout.write(request)
