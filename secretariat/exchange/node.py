"""Running this installation as a node: the exchange listener with the TLS material of the
directory in force (re-read when a new directory is imported: a new CRL, renewed
certificates), and the delivery worker beside it."""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives import serialization
from django.db import close_old_connections

from . import directory, identity, worker
from .server import TLSMaterial


def tls_material() -> TLSMaterial | None:
    """This node's certificate and the federation's CAs and CRLs, from the directory in force
    (None until this node is in one)."""
    close_old_connections()
    try:
        me = identity.identity()
        snap = directory.snapshot()
        if me is None or snap is None or me.node_id not in snap.nodes:
            return None
        own = snap.nodes[me.node_id]
        return TLSMaterial(
            certificate_pem=own.certificate.public_bytes(serialization.Encoding.PEM),
            ca_pems=tuple(snap.ca_pems),
            crl_ders=tuple(snap.crl_ders),
        )
    finally:
        close_old_connections()


def start_worker() -> tuple[threading.Thread, threading.Event]:
    """The delivery worker in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="exchange-worker", daemon=True)
    thread.start()
    return thread, stop
