"""`manage.py signing_revoke SERIAL [--reason R] [--json]`: revoke a certificate of the built-in
authority (the CRL and OCSP say so at once), or withdraw an imported one. SERIAL is the serial
number in hex (colons and case ignored) or the SHA-256 fingerprint. Runs as the system. Bad
input: exit status 2."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from secretariat.core.errors import DomainError
from secretariat.signing import pki
from secretariat.signing.models import Credential

HEX = re.compile(r"^[0-9a-f]{1,64}$")


class Command(BaseCommand):
    help = "Revoke a signing certificate by serial number or fingerprint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("serial", help="serial number (hex) or SHA-256 fingerprint")
        parser.add_argument(
            "--reason", default="unspecified", choices=sorted(pki.REVOCATION_REASONS)
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = options["serial"].replace(":", "").strip().lower()
        if not HEX.match(wanted):
            raise CommandError("Give the serial number in hex or the fingerprint.", returncode=2)
        # Serial numbers are stored without leading zeros.
        found = list(
            Credential.objects.filter(Q(serial=wanted.lstrip("0") or "0") | Q(fingerprint=wanted))
            .select_related("user", "unit")
            .order_by("-issued_here")[:3]
        )
        if not found:
            raise CommandError(f"No certificate with serial or fingerprint {wanted}.", returncode=2)
        if len(found) > 1:
            raise CommandError(
                "Several certificates have this serial number: give the fingerprint.",
                returncode=2,
            )
        try:
            credential = pki.revoke(actor=None, credential=found[0], reason=options["reason"])
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(pki.describe(credential), ensure_ascii=False))
        else:
            verb = "revoked" if credential.issued_here else "withdrawn"
            self.stdout.write(
                f"{verb} {credential.serial} ({credential.subject}): {options['reason']}"
            )
