"""Delivering the outbox: store and forward until the next node returns a signed receipt.

Due packages are claimed with a short lease (several workers may run), grouped by next hop and
sent several to a request; each receipt is checked (signed by that node, for this package and
this digest) before the package counts as delivered. A failed attempt is retried with
exponential backoff and jitter; a package older than the maximum age expires (the recipient
would refuse it as a replay)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q

from secretariat.audit.services import record
from secretariat.core import clock, keys
from secretariat.core.locks import for_update

from . import bulk, directory, envelope, identity, timeline, tls, transport
from .models import OutboxFrame, OutboxPackage, OutboxState

logger = logging.getLogger(__name__)

PATH = "/exchange/v1/packages"
LEASE = dt.timedelta(minutes=2)
SENDERS = 2


def backoff(attempts: int) -> dt.timedelta:
    """Exponential backoff with jitter (a recipient coming back up is not stampeded): the
    first retry after about `EXCHANGE_RETRY_SECONDS`, doubling up to `EXCHANGE_RETRY_MAX_SECONDS`."""
    base = float(settings.EXCHANGE_RETRY_SECONDS)
    ceiling = min(float(settings.EXCHANGE_RETRY_MAX_SECONDS), base * (2 ** min(attempts - 1, 20)))
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 (jitter, not a secret)


# A claimed package: its row and its frame.
Claimed = tuple[OutboxPackage, bytes]


def _claim(limit: int) -> list[Claimed]:
    now = clock.now()
    with transaction.atomic():
        rows = list(
            for_update(
                OutboxPackage.objects.filter(
                    state=OutboxState.QUEUED, next_attempt_at__lte=now
                ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            )
            .order_by("next_attempt_at")
            .only("pk", "package_id", "next_hop", "digest", "attempts", "created_at")[:limit]
        )
        if rows:
            OutboxPackage.objects.filter(pk__in=[row.pk for row in rows]).update(
                lease_until=now + LEASE
            )
    if not rows:
        return []
    # Read after the claim's transaction: a frame never changes, and the lease keeps the
    # package ours meanwhile.
    frames = dict(
        OutboxFrame.objects.filter(package_id__in=[row.pk for row in rows]).values_list(
            "package_id", "frame"
        )
    )
    return [(row, bytes(frames[row.pk])) for row in rows if row.pk in frames]


_contexts: dict[tuple[int, str], object] = {}
_contexts_lock = threading.Lock()


def client_context(snap: directory.Snapshot, node_id: str) -> object:
    """The TLS client context for this directory version (our certificate is in it)."""
    key = (snap.version, node_id)
    with _contexts_lock:
        found = _contexts.get(key)
    if found is None:
        own = snap.nodes[node_id]
        found = tls.ssl_context(
            server=False,
            certificate_pem=own.certificate.public_bytes(serialization.Encoding.PEM),
            key=keys.node_signing_key(),
            ca_pems=list(snap.ca_pems),
            crl_ders=list(snap.crl_ders),
        )
        with _contexts_lock:
            _contexts.clear()
            _contexts[key] = found
    return found


def deliver_due(*, limit: int | None = None) -> int:
    """One pass over the due packages. Returns how many were settled (delivered or refused)."""
    me = identity.identity()
    snap = directory.snapshot()
    if me is None or snap is None or me.node_id not in snap.nodes:
        return 0
    claimed = _claim(limit or int(settings.EXCHANGE_WORKER_BATCH))
    by_hop: dict[str, list[Claimed]] = defaultdict(list)
    for item in claimed:
        by_hop[item[0].next_hop].append(item)
    jobs = [(hop, chunk) for hop, packages in by_hop.items() for chunk in _chunks(packages)]
    if len(jobs) < 2:
        return sum(_send(me.node_id, snap, hop, chunk) for hop, chunk in jobs)
    # Two requests in flight: the next node reads one batch while this one records the
    # receipts of the other (and two next hops are served at once).
    with ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="exchange-send") as pool:
        return sum(pool.map(lambda job: _send_in_thread(me.node_id, snap, *job), jobs))


def _send_in_thread(node_id: str, snap: directory.Snapshot, hop: str, chunk: list[Claimed]) -> int:
    try:
        return _send(node_id, snap, hop, chunk)
    finally:
        connections.close_all()  # this thread's own connections


def _chunks(claimed: Sequence[Claimed]) -> list[list[Claimed]]:
    limit_frames = int(settings.EXCHANGE_BATCH_FRAMES)
    limit_bytes = int(settings.EXCHANGE_BATCH_BYTES)
    chunks: list[list[Claimed]] = []
    current: list[Claimed] = []
    size = 0
    for item in claimed:
        length = len(item[1])
        if current and (len(current) >= limit_frames or size + length > limit_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += length
    if current:
        chunks.append(current)
    return chunks


def _send(node_id: str, snap: directory.Snapshot, hop: str, chunk: list[Claimed]) -> int:
    rows = [row for row, _frame in chunk]
    peer = snap.nodes.get(hop)
    if peer is None:
        _failed(rows, f"node {hop} is no longer in the directory")
        return 0
    body = envelope.pack_batch([frame for _row, frame in chunk])
    try:
        status, answer = transport.post(
            address=peer.address,
            path=PATH,
            body=body,
            context=client_context(snap, node_id),  # type: ignore[arg-type]
            content_type="application/vnd.secretariat.packages",
        )
    except transport.TransportError as exc:
        _failed(rows, f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason)
        return 0
    if status != 200:
        _failed(rows, f"HTTP {status}: {answer[:200].decode('utf-8', 'replace')}")
        return 0
    try:
        receipts = [envelope.parse_receipt(item) for item in json.loads(answer)["receipts"]]
    except (ValueError, KeyError, TypeError, envelope.EnvelopeError) as exc:
        _failed(rows, f"unreadable answer from {hop}: {exc}")
        return 0
    if len(receipts) != len(rows):
        _failed(rows, f"{hop} answered {len(receipts)} receipts for {len(rows)} packages")
        return 0
    return _settle(peer, rows, receipts)


def _settle(
    peer: directory.Peer, rows: list[OutboxPackage], receipts: list[envelope.Receipt]
) -> int:
    now = clock.now()
    bad: list[tuple[OutboxPackage, str]] = []
    good: list[tuple[OutboxPackage, envelope.Receipt]] = []
    for row, receipt in zip(rows, receipts, strict=True):
        try:
            envelope.verify_receipt(receipt, peer.signing_key)
        except envelope.EnvelopeError:
            bad.append((row, f"the receipt from {peer.node_id} is not signed by it"))
            continue
        if receipt.package_id != str(row.package_id) or receipt.digest != row.digest:
            bad.append((row, f"the receipt from {peer.node_id} is for another package"))
            continue
        good.append((row, receipt))
    with transaction.atomic(durable=True):
        locked = {
            row.pk: row
            for row in for_update(
                OutboxPackage.objects.filter(
                    pk__in=[row.pk for row, _receipt in good], state=OutboxState.QUEUED
                )
            )
        }
        changed: list[tuple[OutboxPackage, envelope.Receipt]] = []
        for row, receipt in good:
            found = locked.get(row.pk)
            if found is None:  # settled meanwhile (a retry's receipt came first)
                continue
            found.state = OutboxState.DELIVERED if receipt.accepted else OutboxState.REJECTED
            found.receipt = receipt.to_bytes()
            found.delivered_at = now
            found.lease_until = None
            found.attempts += 1
            found.last_error = "" if receipt.accepted else f"{receipt.reason}: {receipt.detail}"
            found.last_error = found.last_error[:500]
            changed.append((found, receipt))
        bulk.update([found for found, _receipt in changed], _SETTLED_FIELDS)
        timeline.deliveries_recorded(
            [(found, receipt.accepted, found.last_error, receipt.at) for found, receipt in changed]
        )
        _record_settled(peer, changed)
    for row, reason in bad:
        _failed([row], reason)
    return len(changed)


_SETTLED_FIELDS = ("state", "receipt", "delivered_at", "lease_until", "attempts", "last_error")


def _record_settled(
    peer: directory.Peer, changed: Sequence[tuple[OutboxPackage, envelope.Receipt]]
) -> None:
    """One audit event for the packages the next node accepted together, each with its id,
    digest and receipt; one per refusal, with the reason."""
    delivered = [(row, receipt) for row, receipt in changed if receipt.accepted]
    if delivered:
        record(
            actor=None,
            action="exchange.packages_delivered",
            object_type=OutboxPackage._meta.label_lower,
            object_id=str(delivered[0][0].pk) if len(delivered) == 1 else "",
            data={
                "node": peer.node_id,
                "count": len(delivered),
                "packages": [
                    {
                        "package": str(row.package_id),
                        "digest": row.digest,
                        "reason": receipt.reason,
                        "receipt_sig": receipt.sig[:32],
                    }
                    for row, receipt in delivered
                ],
            },
        )
    for row, receipt in changed:
        if not receipt.accepted:
            record(
                actor=None,
                action="exchange.package_refused",
                obj=row,
                data={
                    "package": str(row.package_id),
                    "node": peer.node_id,
                    "digest": row.digest,
                    "reason": receipt.reason,
                    "receipt_sig": receipt.sig[:32],
                },
            )


def _failed(rows: Sequence[OutboxPackage], reason: str) -> None:
    """Try again later; expire what is too old to be accepted anyway."""
    from .services import max_age

    now = clock.now()
    with transaction.atomic(durable=True):
        for row in rows:
            locked = for_update(OutboxPackage.objects).get(pk=row.pk)
            if locked.state != OutboxState.QUEUED:
                continue
            locked.attempts += 1
            locked.last_error = reason[:500]
            locked.lease_until = None
            locked.next_attempt_at = now + backoff(locked.attempts)
            fields = ["attempts", "last_error", "lease_until", "next_attempt_at", "updated_at"]
            if locked.created_at < now - max_age():
                locked.state = OutboxState.EXPIRED
                fields.append("state")
                record(
                    actor=None,
                    action="exchange.package_expired",
                    obj=locked,
                    data={"package": str(locked.package_id), "reason": reason[:300]},
                )
            locked.save(update_fields=fields)
    logger.info("exchange: %d package(s) not delivered: %s", len(rows), reason)


def run(stop: threading.Event, *, idle_seconds: float = 0.25) -> None:
    """Deliver continuously until `stop` is set (the node's listener runs this in a thread).

    `SENDERS` threads each take the next batch that is due (up to `EXCHANGE_BATCH_FRAMES`
    packages, leased), send it, record its receipts and take the next: one batch is read by
    the next node while the receipts of the other are recorded, and a package queued meanwhile
    leaves with the next batch rather than after a whole pass. This thread imports what was
    received. Each thread keeps its database connections from one round to the next (a round
    comes every quarter of a second even when idle, and opening them again cost more than a
    round of a few packages); a round that fails closes them."""
    senders = [
        threading.Thread(
            target=_sender, args=(stop, idle_seconds), name=f"exchange-send-{n}", daemon=True
        )
        for n in range(SENDERS)
    ]
    for sender in senders:
        sender.start()
    try:
        _loop(stop, idle_seconds, _import_round)
    finally:
        for sender in senders:
            sender.join()


def _sender(stop: threading.Event, idle_seconds: float) -> None:
    _loop(stop, idle_seconds, lambda: deliver_due(limit=int(settings.EXCHANGE_BATCH_FRAMES)))


def _import_round() -> int:
    from .services import import_pending

    return import_pending()


def _loop(stop: threading.Event, idle_seconds: float, round_: Callable[[], int]) -> None:
    """Run `round_` until `stop` is set, pausing after a round that did nothing."""
    try:
        while not stop.is_set():
            try:
                done = round_()
            except Exception:  # keep going: one bad round must not stop the node's outbox
                logger.exception("exchange: worker round failed")
                connections.close_all()
                done = 0
            if done == 0:
                stop.wait(idle_seconds)
    finally:
        connections.close_all()
