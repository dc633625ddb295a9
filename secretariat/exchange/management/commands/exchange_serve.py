"""Run the exchange listener (mutual TLS, `/exchange/v1/` only) and the delivery worker.

    python manage.py exchange_serve [--host 127.0.0.1] [--port 9443] [--no-worker]
    python manage.py exchange_serve ... --certificate node.pem --ca ca.pem [--ca other-ca.pem]
        [--crl crl.der ...] [--key key.pem]

Without `--certificate`, the node's certificate, the federation's CAs and their CRLs come from
the directory in force, read again every minute (an imported directory applies to new
connections without a restart). `--no-worker` (or SECRETARIAT_EXCHANGE_WORKER=false) leaves
delivering the outbox to Huey.

Once it accepts connections it prints one line, `exchange listener ready on https://host:port`
(with the real port when `--port 0`). SIGTERM or Ctrl+C stops it gracefully (exit status 0);
SIGHUP reads the files again and uses them for new connections (a new CRL, a renewed
certificate).
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.core.errors import DomainError
from secretariat.exchange import node
from secretariat.exchange import server as listener


class Command(BaseCommand):
    help = "Serve the node-to-node exchange endpoints over mutual TLS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="default: SECRETARIAT_EXCHANGE_LISTEN")
        parser.add_argument("--port", type=int, default=None, help="0: any free port")
        parser.add_argument(
            "--certificate", default="", help="this node's certificate (PEM, then its chain)"
        )
        parser.add_argument(
            "--ca", action="append", default=[], help="a trusted CA certificate (PEM)"
        )
        parser.add_argument(
            "--crl", action="append", default=[], help="a CRL (DER or PEM), one per CA"
        )
        parser.add_argument(
            "--key", default="", help="the TLS key (PEM, Ed25519); default: the node key"
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not deliver the outbox in this process"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        default_host, _sep, default_port = str(settings.EXCHANGE_LISTEN).rpartition(":")
        if options["host"] is None:
            options["host"] = default_host.strip("[]") or "127.0.0.1"
        if options["port"] is None:
            try:
                options["port"] = int(default_port)
            except ValueError as exc:
                raise CommandError(
                    "SECRETARIAT_EXCHANGE_LISTEN must be host:port.", returncode=2
                ) from exc
        if options["certificate"] and not options["ca"]:
            raise CommandError("Give --ca with --certificate.", returncode=2)

        def material() -> listener.TLSMaterial:
            if not options["certificate"]:
                found = node.tls_material()
                if found is None:
                    raise CommandError(
                        "This node is not in an exchange directory yet: run exchange_node_init, "
                        "then exchange_directory import.",
                        returncode=2,
                    )
                return found
            return listener.TLSMaterial(
                certificate_pem=_read(options["certificate"]),
                ca_pems=tuple(_read(path) for path in options["ca"]),
                crl_ders=tuple(_read(path) for path in options["crl"]),
                key=_key(options["key"]) if options["key"] else None,
            )

        def ready(server: listener.ExchangeServer) -> None:
            self.stdout.write(f"exchange listener ready on {server.url}")
            self.stdout.flush()

        try:
            server = listener.ExchangeServer(
                host=options["host"],
                port=options["port"],
                material=material(),
                on_started=ready,
                refresh=None if options["certificate"] else node.tls_material,
                refresh_seconds=60.0,
            )
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        except OSError as error:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {error}"
            ) from error

        def reload(_number: int, _frame: Any) -> None:
            try:
                server.update_tls(material())
            except (CommandError, DomainError, ValueError) as error:
                self.stderr.write(f"exchange listener: reload refused: {error}")
            else:
                self.stdout.write("exchange listener: TLS material reloaded")

        previous = signal.signal(signal.SIGHUP, reload)
        stop = None
        if settings.EXCHANGE_WORKER and not options["no_worker"]:
            _thread, stop = node.start_worker()
        try:
            server.run()
        finally:
            if stop is not None:
                stop.set()
            signal.signal(signal.SIGHUP, previous)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from error


def _key(path: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(_read(path), password=None)
    except ValueError as error:
        raise CommandError(f"{path} is not a PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise CommandError(f"{path} is not an Ed25519 key")
    return key
