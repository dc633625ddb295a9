"""Test-only actions run inside a test node's environment (see nodes.py), printing JSON.

python -m secretariat.exchange.tests.node_tool unit CODE NAME
python -m secretariat.exchange.tests.node_tool send COUNT --from CODE --to CODE [--to ...]
    [--size BYTES]
python -m secretariat.exchange.tests.node_tool register-received
python -m secretariat.exchange.tests.node_tool revoke EDXML_DOCUMENT_ID
python -m secretariat.exchange.tests.node_tool counts
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def main(argv: list[str]) -> Any:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secretariat.config.settings")
    django.setup()
    from django.db import transaction

    from secretariat.documents import registers
    from secretariat.documents.models import Document
    from secretariat.documents.services import (
        IncomingFile,
        capture_prepare,
        documents_capture_prepared_nondurable,
    )
    from secretariat.documents.tests.factories import text_pdf
    from secretariat.exchange import services
    from secretariat.exchange.models import InboxPackage, InboxState, OutboxPackage
    from secretariat.orgs.models import Unit, UnitKind

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="action", required=True)
    unit = sub.add_parser("unit")
    unit.add_argument("code")
    unit.add_argument("name")
    send = sub.add_parser("send")
    send.add_argument("count", type=int)
    send.add_argument("--from", dest="from_code", required=True)
    send.add_argument("--to", dest="to_codes", action="append", required=True)
    send.add_argument("--size", type=int, default=0, help="pad the PDF to about this size")
    sub.add_parser("register-received")
    revoke = sub.add_parser("revoke")
    revoke.add_argument("document_id")
    sub.add_parser("counts")
    args = parser.parse_args(argv)

    if args.action == "unit":
        found = Unit.objects.filter(code=args.code).first()
        if found is None:
            found = Unit.objects.add_root(
                create_kwargs={
                    "name": args.name,
                    "kind": UnitKind.PROVINCIAL_COMMITTEE,
                    "code": args.code,
                    "abbreviation": "TU",
                }
            )
        return {"unit": found.code}

    if args.action == "send":
        source = Unit.objects.get(code=args.from_code)
        sent = []
        for index in range(args.count):
            pdf = text_pdf([f"Công văn số {index + 1}", "Kính gửi các cơ quan"])
            if args.size > len(pdf):
                # An incremental-update-free pad: a PDF comment after %%EOF is still a PDF.
                pdf += b"\n%" + b"x" * (args.size - len(pdf)) + b"\n"
            prepared = capture_prepare([IncomingFile(f"cv-{index + 1}.pdf", pdf)])
            with transaction.atomic(durable=True):
                (document,) = documents_capture_prepared_nondurable(
                    actor=None,
                    unit=source,
                    prepared=prepared,
                    metadata={
                        "subject": f"Công văn số {index + 1}",
                        "number": str(index + 1),
                        "notation": "CV/TU",
                    },
                )
                rows = services.send_document_nondurable(
                    actor=None, document=document, unit=source, to_codes=args.to_codes
                )
            sent += [
                {
                    "package_id": str(row.package_id),
                    "to": row.to_org,
                    "document_id": row.edxml_document_id,
                }
                for row in rows
            ]
        return {"sent": sent}

    if args.action == "register-received":
        done = []
        for row in InboxPackage.objects.filter(
            state=InboxState.IMPORTED, document__isnull=False
        ).select_related("document"):
            assert row.document is not None
            if not row.document.entries.exists():
                registers.register_document(actor=None, document=row.document, kind="incoming")
                done.append(str(row.package_id))
        return {"registered": done}

    if args.action == "revoke":
        original = (
            OutboxPackage.objects.filter(edxml_document_id=args.document_id, business="new")
            .select_related("document", "document__unit")
            .first()
        )
        assert original is not None
        assert original.document is not None
        with transaction.atomic(durable=True):
            rows = services.send_document_nondurable(
                actor=None,
                document=original.document,
                unit=original.document.unit,
                to_codes=[original.to_org],
                business="revoke",
                reason="Ban hành nhầm",
                replaces=[args.document_id],
            )
        return {"sent": [str(row.package_id) for row in rows]}

    if args.action == "counts":
        return {
            "documents": Document.objects.count(),
            "inbox": InboxPackage.objects.count(),
            "imported": InboxPackage.objects.filter(state=InboxState.IMPORTED).count(),
            "received_documents": InboxPackage.objects.filter(document__isnull=False).count(),
            "distinct_received_documents": InboxPackage.objects.filter(document__isnull=False)
            .values("document")
            .distinct()
            .count(),
        }
    raise SystemExit(2)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), ensure_ascii=False))
