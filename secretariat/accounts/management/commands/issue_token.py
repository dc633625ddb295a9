"""`manage.py issue_token USERNAME [--name NAME]`: print a new API bearer token for a user.

Only the token goes to stdout, so a script can capture it: `TOKEN=$(manage.py issue_token bob)`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.accounts import tokens
from secretariat.accounts.models import User


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it (shown once; only its digest is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.", returncode=2)
        # The operator at the console is not a platform user: the audit event has no actor and
        # names the token's owner in its data.
        _token, secret = tokens.token_issue(actor=None, user=user, name=options["name"][:100])
        self.stdout.write(secret)
