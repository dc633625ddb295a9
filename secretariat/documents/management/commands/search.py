"""`manage.py search "QUERY" --user USERNAME --json`: the search page from the command line, with
exactly that user's scope. `--rebuild` indexes every document again."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.core.errors import DomainError
from secretariat.documents.search import reindex_all, search_documents


class Command(BaseCommand):
    help = "Search the documents USERNAME may read; --json prints the hits as a JSON list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="?", default="", help="words, or a phrase in quotes")
        parser.add_argument("--user", help="search as this user (their scope applies)")
        parser.add_argument("--json", action="store_true", help="print a JSON list of hits")
        parser.add_argument("--limit", type=int, default=20, help="hits to return (20)")
        parser.add_argument("--order", choices=["newest", "relevance"], default="newest")
        parser.add_argument("--rebuild", action="store_true", help="index every document again")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            count = reindex_all()
            self.stdout.write(f"indexed {count} documents")
            return
        if not options["user"]:
            raise CommandError("--user USERNAME is required", returncode=2)
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            self.stderr.write(f"unknown or inactive user: {options['user']}")
            sys.exit(2)
        try:
            page = search_documents(
                user=user, query=options["query"], limit=options["limit"], order=options["order"]
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        hits = [
            {
                "id": str(hit.id),
                "subject": hit.subject,
                "snippet": str(hit.snippet),
                "notation": hit.notation,
                "unit": hit.unit_code,
                "date": hit.date.isoformat(),
            }
            for hit in page.hits
        ]
        if options["json"]:
            self.stdout.write(json.dumps(hits, ensure_ascii=False, indent=2))
            return
        for hit in hits:
            self.stdout.write(f"{hit['date']}  {hit['notation'] or '-':<20} {hit['subject']}")
        if not hits:
            self.stdout.write("no document matches")
