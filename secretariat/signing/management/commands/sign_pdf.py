"""Sign a PDF file on the server, as a user, with a visible stamp (DOMAIN.md §4).

    python manage.py sign_pdf IN OUT --user USERNAME [--level B-T]
        [--pkcs11-module SO --token-label L --key-label K --pin-env VAR] [--json]

The key is the user's active personal certificate (a sealed PKCS#12 in the demo: `seed_demo`
gives the demo users theirs; the HSM in production), or the PKCS#11 key given on the command
line, whose certificate is read from the token. The PIN is read from the environment variable
named by --pin-env, never from the command line (it would be in the shell history and in `ps`).
Problems (unknown user, no certificate, not a PDF, unreadable file, bad level, wrong PIN) are
reported in one sentence with exit status 2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from secretariat.core import clock
from secretariat.core.errors import DomainError
from secretariat.signing import pades, services
from secretariat.signing.appearance import Stamp
from secretariat.signing.models import Credential, CredentialPurpose


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def personal_credential(user: Any) -> Credential | None:
    """The user's current personal certificate (the newest still valid)."""
    now = clock.now()
    return (
        Credential.objects.filter(
            user=user,
            purpose=CredentialPurpose.PERSONAL,
            active=True,
            revoked_at__isnull=True,
            not_before__lte=now,
            not_after__gt=now,
        )
        .order_by("-not_after")
        .first()
    )


def stamp_for(user: Any, credential: Credential | None) -> Stamp:
    """The visible signature of `user`: name, primary post and its unit, signature image."""
    position = (
        user.positions.filter(ended_on__isnull=True)
        .select_related("unit")
        .order_by("-is_primary", "created_at")
        .first()
    )
    image = credential.image if credential is not None else None
    return Stamp(
        signer_name=user.full_name or user.username,
        title=position.title if position is not None else "",
        unit=position.unit.display_name if position is not None else "",
        signature_image=bytes(image) if image else None,
        verify_url=f"{settings.PUBLIC_URL.rstrip('/')}/signing/verify",
    )


class Command(BaseCommand):
    help = "Sign a PDF (PAdES) as a user, with their certificate or a PKCS#11 key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", metavar="IN", help="the PDF to sign")
        parser.add_argument("output", metavar="OUT", help="where to write the signed PDF")
        parser.add_argument("--user", required=True, metavar="USERNAME", help="who signs")
        parser.add_argument(
            "--level",
            default=None,
            help=f"PAdES level: {', '.join(pades.LEVELS)} (default: the node's setting)",
        )
        parser.add_argument("--pkcs11-module", metavar="SO", help="PKCS#11 library (.so)")
        parser.add_argument("--token-label", metavar="L", help="label of the token")
        parser.add_argument("--key-label", metavar="K", help="label of the key (and certificate)")
        parser.add_argument(
            "--pin-env", metavar="VAR", help="environment variable holding the token's PIN"
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    @no_translations  # messages in English, whatever the node's language
    def handle(self, *args: Any, **options: Any) -> None:
        level = options["level"]
        if level is not None and level not in pades.LEVELS:
            raise _fail(f"Unknown level {level!r}: choose one of {', '.join(pades.LEVELS)}.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise _fail(f"Unknown or inactive user {options['user']!r}.")
        source = Path(options["input"])
        target = Path(options["output"])
        try:
            pdf = source.read_bytes()
        except OSError as error:
            raise _fail(f"Cannot read {source}: {error.strerror or error}.") from error
        if b"%PDF-" not in pdf[:1024]:
            raise _fail(f"{source} is not a PDF.")
        if not os.access(target.parent.resolve(), os.W_OK):
            raise _fail(f"Cannot write {target}: its folder does not exist or is read-only.")

        device = [options[k] for k in ("pkcs11_module", "token_label", "key_label", "pin_env")]
        try:
            if any(device):
                signed = self._with_device(user, pdf, level, options)
            else:
                credential = personal_credential(user)
                if credential is None:
                    raise _fail(f"{user.username} has no valid personal signing certificate.")
                signed = services.sign(
                    actor=user,
                    credential=credential,
                    pdf=pdf,
                    level=level,
                    stamp=stamp_for(user, credential),
                )
        except DomainError as error:
            raise _fail(str(error.message)) from error

        try:
            target.write_bytes(signed.pdf)
        except OSError as error:
            raise _fail(f"Cannot write {target}: {error.strerror or error}.") from error
        summary = {
            "out": str(target),
            "sha256": signed.details["output_sha256"],
            "signer": signed.details["certificate_subject"],
            "level": signed.details["level"],
            "signed_at": signed.details["signed_at"],
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                f"Signed {source} -> {target} ({summary['level']}) by {summary['signer']}; "
                f"sha256 {summary['sha256']}"
            )

    def _with_device(
        self, user: Any, pdf: bytes, level: str | None, options: dict[str, Any]
    ) -> services.SignedPdf:
        names = {
            "pkcs11_module": "--pkcs11-module",
            "token_label": "--token-label",
            "key_label": "--key-label",
            "pin_env": "--pin-env",
        }
        missing = [flag for key, flag in names.items() if not options[key]]
        if missing:
            raise _fail(f"A PKCS#11 key needs {', '.join(missing)} as well.")
        pin = os.environ.get(options["pin_env"])
        if not pin:
            raise _fail(f"The environment variable {options['pin_env']} (the PIN) is not set.")
        return services.sign_with_device(
            actor=user,
            module=options["pkcs11_module"],
            token_label=options["token_label"],
            key_label=options["key_label"],
            pin=pin,
            pdf=pdf,
            level=level,
            stamp=stamp_for(user, None),
        )
