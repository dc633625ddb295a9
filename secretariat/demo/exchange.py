"""The demo province as an exchange node, idempotently: this installation and two other nodes
of the federation (the Party Central Office, the provincial People's Committee) in a directory
it signs itself. The other nodes do not run in the demo: what the demo sends to them waits in
the outbox (`/exchange/`), retried, as it would while a recipient is down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings

from secretariat.exchange import directory, identity

PEERS = [
    (
        "vn.dang.vptw",
        "Văn phòng Trung ương Đảng",
        [
            ("000.00.00.G01", "Văn phòng Trung ương Đảng"),
            ("000.00.00.G02", "Ban Tổ chức Trung ương"),
        ],
    ),
    ("vn.ubnd.lamdong", "UBND tỉnh Lâm Đồng", [("000.00.00.A29", "Ủy ban nhân dân tỉnh Lâm Đồng")]),
]


def _raw(key: Any) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def seed_exchange(*, say: Callable[[str], None]) -> None:
    if directory.snapshot() is not None:
        say("exchange: already a node")
        return
    host, _sep, port = str(settings.EXCHANGE_LISTEN).rpartition(":")
    me = identity.node_init(
        actor=None,
        node_id="vn.tinhuy.demo",
        name=str(settings.NODE_NAME),
        address=f"https://{host or '127.0.0.1'}:{port or '9443'}",
    )
    requests = [identity.request_document(me)]
    for node_id, name, organizations in PEERS:
        requests.append(
            {
                "node_id": node_id,
                "name": name,
                "address": f"https://{node_id}.example:9443",
                # Keys of nodes that do not run here: generated, and thrown away.
                "signing_key": _raw(Ed25519PrivateKey.generate().public_key()),
                "encryption_key": _raw(X25519PrivateKey.generate().public_key()),
                "organizations": [{"code": code, "name": label} for code, label in organizations],
            }
        )
    row = directory.import_(actor=None, raw=directory.build(actor=None, requests=requests))
    say(f"exchange: node {me.node_id}, directory version {row.version} ({len(requests)} nodes)")
