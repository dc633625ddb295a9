"""Validate the signatures of a PDF file.

    python manage.py validate_pdf FILE [--trust-root PEM ...] [--no-fetch] [--json]

With --json, prints {"signatures": [{"signer", "indication", "sub_indication", "intact",
"trusted", "modified_after_signing", "signed_at", …}]} (each signature's full report; see
`signing.validation.SignatureReport`). `--trust-root` files (PEM, possibly several certificates,
or DER) are trusted in addition to the trust store.

Exit status: 0 when every signature is TOTAL-PASSED, 1 when one is not, 2 when the file cannot
be checked (unreadable, not a PDF, no signature, bad trust root), with the reason on stderr
(and {"error": …} on stdout with --json).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from secretariat.core.errors import DomainError
from secretariat.signing import validation

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL
)


class Command(BaseCommand):
    help = "Validate the signatures of a PDF (ETSI EN 319 102-1 verdict per signature)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the PDF to check")
        parser.add_argument(
            "--trust-root",
            action="append",
            default=[],
            metavar="PEM",
            help="a root certificate file (PEM or DER) to trust as well; repeat for several",
        )
        parser.add_argument(
            "--no-fetch",
            action="store_true",
            help="do not fetch revocation data from the addresses in the certificates",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    @no_translations  # messages in English, whatever the node's language
    def handle(self, *args: Any, **options: Any) -> None:
        self._json = bool(options["json"])
        source = Path(options["file"])
        try:
            pdf = source.read_bytes()
        except OSError as error:
            raise self._fail(f"Cannot read {source}: {error.strerror or error}.") from error
        roots = [der for name in options["trust_root"] for der in self._roots(Path(name))]
        try:
            report = validation.validate(
                pdf, extra_roots=roots, allow_fetching=not options["no_fetch"]
            )
        except DomainError as error:
            raise self._fail(f"{source}: {error.message}") from error
        if not report.signatures:
            raise self._fail(f"{source} has no digital signature.")

        if self._json:
            self.stdout.write(
                json.dumps(
                    {"signatures": [s.to_dict() for s in report.signatures]}, ensure_ascii=False
                )
            )
        else:
            for number, signature in enumerate(report.signatures, start=1):
                self.stdout.write(self._line(number, signature))
        if report.status != validation.PASSED:
            raise CommandError(
                f"{source}: not every signature is valid ({report.status}).", returncode=1
            )

    def _roots(self, path: Path) -> list[bytes]:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise self._fail(f"Cannot read {path}: {error.strerror or error}.") from error
        found = _PEM_CERTIFICATE.findall(data) if b"-----BEGIN" in data else [data]
        if not found:
            raise self._fail(f"{path} holds no certificate.")
        roots = []
        for item in found:
            try:
                roots.append(validation.certificate_der(item))
            except ValueError as error:
                raise self._fail(f"{path} is not a certificate (PEM or DER).") from error
        return roots

    def _fail(self, message: str) -> CommandError:
        if self._json:
            self.stdout.write(json.dumps({"error": message}, ensure_ascii=False))
        return CommandError(message, returncode=2)

    @staticmethod
    def _line(number: int, signature: validation.SignatureReport) -> str:
        verdict = signature.indication + (
            f"/{signature.sub_indication}" if signature.sub_indication else ""
        )
        when = ""
        if signature.signed_at:
            when = f" at {signature.signed_at['time']}" + (
                " (claimed)" if signature.signed_at["claimed"] else " (time-stamped)"
            )
        return (
            f"Signature {number} ({signature.field_name}): {verdict} — "
            f"{signature.signer or '?'}{when}; "
            f"intact={'yes' if signature.intact else 'no'}, "
            f"trusted={'yes' if signature.trusted else 'no'}, "
            f"revocation={signature.revocation.get('status')}, "
            f"changed after signing={'yes' if signature.modified_after_signing else 'no'}, "
            f"level={signature.level or signature.format}"
        )
