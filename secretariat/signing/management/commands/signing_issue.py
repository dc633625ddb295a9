"""`manage.py signing_issue --user USERNAME | --unit CODE [--purpose personal|seal]
[--valid-days N] [--pkcs11-module SO --token-label L --key-label K --pin-env VAR] [--json]`:
a certificate of the built-in authority for a person or a unit.

Without `--pkcs11-module` the key goes where the node keeps keys (the HSM when
SECRETARIAT_SIGNING_PKCS11_MODULE is set, else a sealed PKCS#12 for the demo). With it, the key
pair is generated on that device's token; the PIN is read from the environment variable named by
`--pin-env` (never from the command line, which other users of the machine can read). Signing
later uses the node's configured module with the credential's token and key labels.

Runs as the system (audited without an acting user). Bad input: a message and exit status 2.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from secretariat.accounts.models import User
from secretariat.core.errors import DomainError
from secretariat.orgs.models import Unit
from secretariat.signing import pki
from secretariat.signing.models import CredentialPurpose


class Command(BaseCommand):
    help = "Issue a signing certificate of the built-in authority to a user or a unit."

    def add_arguments(self, parser: CommandParser) -> None:
        holder = parser.add_mutually_exclusive_group(required=True)
        holder.add_argument("--user", help="username of the person")
        holder.add_argument("--unit", help="code of the unit (organization seal)")
        parser.add_argument(
            "--purpose",
            choices=[CredentialPurpose.PERSONAL.value, CredentialPurpose.SEAL.value],
            help="default: personal for --user, seal for --unit",
        )
        parser.add_argument("--valid-days", type=int, default=pki.CERT_VALIDITY_DAYS)
        parser.add_argument("--pkcs11-module", help="PKCS#11 module (.so) holding the new key")
        parser.add_argument("--token-label", default="", help="label of the token")
        parser.add_argument("--key-label", default="", help="label for the new key pair")
        parser.add_argument(
            "--pin-env", default="", help="name of the environment variable holding the PIN"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = unit = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user named {options['user']!r}.", returncode=2)
        else:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit with the code {options['unit']!r}.", returncode=2)
        purpose = options["purpose"] or (
            CredentialPurpose.PERSONAL if user is not None else CredentialPurpose.SEAL
        )
        try:
            if options["pkcs11_module"]:
                credential = self._on_device(options, purpose=purpose, user=user, unit=unit)
            else:
                credential = pki.issue_credential(
                    actor=None,
                    purpose=purpose,
                    user=user,
                    unit=unit,
                    valid_days=options["valid_days"],
                )
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(pki.describe(credential), ensure_ascii=False))
        else:
            self.stdout.write(
                f"issued {credential.serial} to {credential.subject} "
                f"({credential.get_backend_display()}), valid until {credential.not_after:%Y-%m-%d}"
            )

    def _on_device(self, options: dict[str, Any], *, purpose: str, user: Any, unit: Any) -> Any:
        if not options["token_label"] or not options["key_label"] or not options["pin_env"]:
            raise CommandError(
                "--pkcs11-module needs --token-label, --key-label and --pin-env.", returncode=2
            )
        pin = os.environ.get(options["pin_env"])
        if not pin:
            raise CommandError(
                f"The environment variable {options['pin_env']} (the PIN) is not set.",
                returncode=2,
            )
        if not 1 <= options["valid_days"] <= pki.CA_VALIDITY_DAYS:
            raise CommandError("--valid-days must be between 1 and 7300.", returncode=2)
        if purpose == CredentialPurpose.PERSONAL and user is None:
            raise CommandError("A personal certificate needs --user.", returncode=2)
        if purpose == CredentialPurpose.SEAL and unit is None:
            raise CommandError("An organization seal needs --unit.", returncode=2)
        with transaction.atomic(durable=True):
            return pki.issue_pkcs11_credential(
                actor=None,
                purpose=purpose,
                subject=pki.subject_for_holder(user=user, unit=unit),
                user=user,
                unit=unit,
                module=options["pkcs11_module"],
                token_label=options["token_label"],
                key_label=options["key_label"],
                pin=pin,
                valid_days=options["valid_days"],
            )
