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
            sender, receiver = cluster["a"], cluster["b"]
            # B only receives here: its imports (capture of each document) wait for Huey.
            receiver.env_extra["SECRETARIAT_EXCHANGE_WORKER"] = "false"
            receiver.start()
            sender.start()
            rate, baseline = _measure(sender, receiver, args.packages, args.size)
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
    from secretariat.exchange import directory, identity, services, transport, worker
    from secretariat.exchange.models import OutboxFrame, OutboxPackage, OutboxState
    from secretariat.orgs.models import Unit

    unit = Unit.objects.get(code=A)
    pdf = _pdf_of_about(size)
    document = document_capture(
        actor=None,
        unit=unit,
        file=IncomingFile("cv.pdf", pdf),
        metadata={"subject": "Bench", "number": "1", "notation": "CV/TU"},
    )

    def delivered() -> int:
        return OutboxPackage.objects.filter(state=OutboxState.DELIVERED).count()

    def wait_for(total: int) -> None:
        deadline = time.monotonic() + 600
        while delivered() < total:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {delivered()} of {total} delivered")
            time.sleep(0.02)

    # Node A's listener runs its delivery worker, as in production: dispatches (here, this
    # process) queue packages while the worker sends them. Warm up both nodes first.
    with transaction.atomic():
        services.send_document_nondurable(actor=None, document=document, unit=unit, to_codes=[B])
    wait_for(1)
    started = time.perf_counter()
    for _ in range(count):
        with transaction.atomic():
            services.send_document_nondurable(
                actor=None, document=document, unit=unit, to_codes=[B]
            )
    queued_at = time.perf_counter()
    wait_for(count + 1)
    elapsed = time.perf_counter() - started
    print(
        f"# queueing {queued_at - started:.2f} s, all delivered after {elapsed:.2f} s",
        file=sys.stderr,
    )

    frame = bytes(OutboxFrame.objects.order_by("-package__created_at").first().frame)  # type: ignore[union-attr]
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


def _pdf_of_about(size: int) -> bytes:
    """A one-page PDF of about `size` bytes that does not compress (a scan-like noise image):
    the bytes that travel are what a real signed scan would weigh."""
    import io
    import math

    from PIL import Image

    side = max(16, int(math.sqrt(size / 1.23)))
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=72.0, quality=95)
    return out.getvalue()


if __name__ == "__main__":
    main()
