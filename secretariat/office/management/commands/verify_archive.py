"""`manage.py verify_archive PACKAGE.zip [--public-key HEX ...]`: check an archive transfer
package of a case file.

Exit status 0 when intact; 1 with each problem on its own line otherwise (Decree 30 Art. 31: the
archive checks what it receives); 2 when a given public key is malformed.

The manifest's signature must come from a trusted key: by default this node's keys (current and
`SECRETARIAT_AUDIT_TRUSTED_PUBLIC_KEYS`); at the archive, which does not hold the sender's node
key, the sender's published public key is given with `--public-key` (then only the given keys
are trusted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secretariat.office import archive


class Command(BaseCommand):
    help = (
        "Verify a case file's archive package (the manifest's signature by a trusted node key,"
        " its digest, every file's SHA-256)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("package", help="the .zip exported from a closed case file")
        parser.add_argument(
            "--public-key",
            action="append",
            dest="public_keys",
            metavar="HEX",
            help=(
                "the sending node's Ed25519 public key (64 hex digits); may be repeated. Without"
                " it, this node's own keys are trusted."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["package"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.stderr.write(f"{path}: {exc.strerror or exc}")
            raise SystemExit(1) from exc
        try:
            # A pure check of bytes (no database, nothing written): the archive's own function.
            problems = archive.verify(data, public_keys=options["public_keys"])
        except ValueError as exc:
            self.stderr.write(f"--public-key: {exc}")
            raise SystemExit(2) from exc
        if problems:
            for problem in problems:
                self.stderr.write(f"{path}: {problem}")
            raise SystemExit(1)
        self.stdout.write(f"{path}: intact")
