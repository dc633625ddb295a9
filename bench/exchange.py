"""Exchange throughput between two nodes on loopback (metric `packages_per_s`).

Node B runs `exchange_serve` in its own process (its own database and keys); this process is
node A. Timed, end to end: build the edXML of a ~100 KB document, sign and encrypt the
package and queue it (one transaction per package, as a dispatch does), then deliver the outbox
over mutual TLS until every package has B's signed receipt — B verifies, decrypts, parses,
stores (sealed at rest) and signs a receipt per package. Several packages travel in one
request (`SECRETARIAT_EXCHANGE_BATCH_FRAMES`); each keeps its own receipt.

Baseline, same run, same listener: plain HTTPS POSTs of the same package bytes, one per
request on a kept-alive connection, to B's `/exchange/v1/ping` (read and discarded).
`ratio` = our seconds per package / the baseline's (target ≤ 3; target rate ≥ 200/s).

    python bench/exchange.py [--packages 600] [--size 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import emit

A, B = "000.00.00.A01", "000.00.00.B01"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", type=int, default=600)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()

    from secretariat.exchange.tests.nodes import Cluster

    with tempfile.TemporaryDirectory(prefix="bench-exchange-") as scratch:
        cluster = Cluster(Path(scratch), [("a", A), ("b", B)])
        try:
            cluster.initialise()
            receiver = cluster["b"]
            receiver.env_extra["SECRETARIAT_EXCHANGE_WORKER"] = (
                "false"  # import off: transport only
            )
            receiver.start()
            rate, baseline = _measure(cluster["a"], receiver, args.packages, args.size)
        finally:
            cluster.close()
    emit(
        "exchange",
        "packages_per_s",
        rate,
        "packages/s",
        baseline,
        baseline / rate,
        packages=args.packages,
        size=args.size,
    )


def _measure(sender: object, receiver: object, count: int, size: int) -> tuple[float, float]:
    # This process becomes node A.
    os.environ.update(sender.env())  # type: ignore[attr-defined]
    import django

    django.setup()
    from django.db import transaction

    from secretariat.documents.services import IncomingFile, document_capture
    from secretariat.documents.tests.factories import text_pdf
    from secretariat.exchange import directory, identity, services, transport, worker
    from secretariat.exchange.models import OutboxPackage, OutboxState
    from secretariat.orgs.models import Unit

    unit = Unit.objects.get(code=A)
    pdf = text_pdf(["Công văn số 1", "Kính gửi các cơ quan"])
    pdf += b"\n%" + b"x" * max(0, size - len(pdf)) + b"\n"
    document = document_capture(
        actor=None,
        unit=unit,
        file=IncomingFile("cv.pdf", pdf),
        metadata={"subject": "Bench", "number": "1", "notation": "CV/TU"},
    )

    # Warm up both paths (connections, caches, JIT-free but lazy imports).
    with transaction.atomic():
        services.send_document_nondurable(actor=None, document=document, unit=unit, to_codes=[B])
    while worker.deliver_due():
        pass

    started = time.perf_counter()
    for _ in range(count):
        with transaction.atomic():
            services.send_document_nondurable(
                actor=None, document=document, unit=unit, to_codes=[B]
            )
    while OutboxPackage.objects.filter(state=OutboxState.QUEUED).exists():
        worker.deliver_due()
    elapsed = time.perf_counter() - started
    delivered = OutboxPackage.objects.filter(state=OutboxState.DELIVERED).count()
    assert delivered == count + 1, f"{delivered} delivered of {count + 1}"

    frame = bytes(OutboxPackage.objects.order_by("-created_at").first().frame)  # type: ignore[union-attr]
    snap = directory.require_snapshot()
    context = worker.client_context(snap, identity.require_identity().node_id)
    address = snap.nodes[receiver.node_id].address  # type: ignore[attr-defined]
    transport.post(address=address, path="/exchange/v1/ping", body=frame, context=context)  # type: ignore[arg-type]
    started = time.perf_counter()
    for _ in range(count):
        status, _body = transport.post(
            address=address,
            path="/exchange/v1/ping",
            body=frame,
            context=context,  # type: ignore[arg-type]
        )
        assert status == 200
    baseline_elapsed = time.perf_counter() - started
    return count / elapsed, count / baseline_elapsed


if __name__ == "__main__":
    main()
