"""`manage.py exchange_directory ACTION ...`: the federation's signed directory.

- `request [--out FILE]`: this node's request (JSON) for the directory authority.
- `build --request FILE ... [--via NODE=RELAY ...] [--keep-certificates] [--valid-days N]
  [--version N] --out FILE`: on the authority: certify each node's key and sign a directory.
- `import FILE [--authority HEX]`: put a directory in force (the first import pins its
  authority; later ones must be newer and from the same authority).
- `refresh [--url URL]`: fetch the authority's directory over the exchange channel and import it.
- `revoke NODE`: on the authority: revoke a node's certificate (rebuild and publish after).
- `show [--json]`: the directory in force.
Runs as the system. Bad input: exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from secretariat.core.errors import DomainError
from secretariat.exchange import directory, identity, tls, transport


class Command(BaseCommand):
    help = "Build, import, refresh and show the exchange directory."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        request = sub.add_parser("request")
        request.add_argument("--out")
        build = sub.add_parser("build")
        build.add_argument("--request", action="append", required=True, dest="requests")
        build.add_argument("--via", action="append", default=[], help="NODE=RELAY")
        build.add_argument("--keep-certificates", action="store_true")
        build.add_argument("--valid-days", type=int, default=365)
        build.add_argument("--version", type=int)
        build.add_argument("--out", required=True)
        imp = sub.add_parser("import")
        imp.add_argument("file")
        imp.add_argument("--authority", default="")
        refresh = sub.add_parser("refresh")
        refresh.add_argument("--url", default="")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("node")
        show = sub.add_parser("show")
        show.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"])(options)
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=2) from exc
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc), returncode=2) from exc

    def _request(self, options: dict[str, Any]) -> None:
        text = json.dumps(
            identity.request_document(identity.require_identity()), ensure_ascii=False, indent=2
        )
        if options["out"]:
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
        else:
            self.stdout.write(text)

    def _build(self, options: dict[str, Any]) -> None:
        requests = [
            json.loads(Path(path).read_text(encoding="utf-8")) for path in options["requests"]
        ]
        via = dict(item.split("=", 1) for item in options["via"])
        for request in requests:
            if isinstance(request, dict) and request.get("node_id") in via:
                request["via"] = via[request["node_id"]]
        kept = directory.certificates_in_force() if options["keep_certificates"] else {}
        document = directory.build(
            actor=None,
            requests=requests,
            version=options["version"],
            valid_days=options["valid_days"],
            certificates=kept,
        )
        Path(options["out"]).write_bytes(document)
        self.stdout.write(f"directory written to {options['out']} ({len(requests)} nodes)")

    def _import(self, options: dict[str, Any]) -> None:
        row = directory.import_(
            actor=None, raw=Path(options["file"]).read_bytes(), authority=options["authority"]
        )
        self.stdout.write(f"directory version {row.version} in force")

    def _refresh(self, options: dict[str, Any]) -> None:
        url = options["url"] or settings.EXCHANGE_DIRECTORY_URL
        if not url:
            raise CommandError(
                "Give --url or set SECRETARIAT_EXCHANGE_DIRECTORY_URL.", returncode=2
            )
        before = directory.snapshot()
        try:
            row = directory.refresh(actor=None, url=url)
        except transport.TransportError as exc:
            raise CommandError(
                f"The directory could not be fetched: {exc.reason}", returncode=1
            ) from exc
        if before is not None and row.version == before.version:
            self.stdout.write(f"directory version {row.version} already in force")
        else:
            self.stdout.write(f"directory version {row.version} in force")

    def _revoke(self, options: dict[str, Any]) -> None:
        snap = directory.require_snapshot()
        peer = snap.nodes.get(options["node"])
        if peer is None:
            raise CommandError(f"No node {options['node']} in the directory.", returncode=2)
        tls.revoke_node_certificate(
            actor=None, certificate=peer.certificate, reason="key_compromise"
        )
        self.stdout.write(
            f"certificate of {peer.node_id} revoked; build and publish a new directory"
        )

    def _show(self, options: dict[str, Any]) -> None:
        snap = directory.require_snapshot()
        rows = [
            {
                "node_id": peer.node_id,
                "name": peer.name,
                "address": peer.address,
                "via": peer.via,
                "certificate_expires": peer.certificate.not_valid_after_utc.isoformat(),
                "certificate_problem": snap.certificate_problem(peer),
                "organizations": sorted(
                    code for code, node_id in snap.organizations.items() if node_id == peer.node_id
                ),
            }
            for peer in snap.nodes.values()
        ]
        if options["json"]:
            self.stdout.write(
                json.dumps({"version": snap.version, "nodes": rows}, ensure_ascii=False)
            )
            return
        self.stdout.write(f"directory version {snap.version}")
        for row in rows:
            problem = f" [{row['certificate_problem']}]" if row["certificate_problem"] else ""
            codes = ", ".join(str(code) for code in row["organizations"] or [])
            self.stdout.write(f"  {row['node_id']} {row['address']}{problem}: {codes}")
