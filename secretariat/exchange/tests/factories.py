"""A federation inside one test database: this node plus peers whose keys the test holds, so
that packages from "another node" can be sealed in-process. The directory is built and
imported by the real code (certificates from the built-in CA)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from secretariat.core import clock
from secretariat.documents.tests.factories import text_pdf
from secretariat.exchange import directory, edxml, envelope, identity
from secretariat.exchange.models import NodeIdentity


def _hex(key: Any) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


@dataclass
class Peer:
    node_id: str
    codes: Sequence[str]
    via: str = ""
    signing_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    encryption_key: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)

    def request(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "name": f"Node {self.node_id}",
            "address": f"https://{self.node_id}.test:9443",
            "signing_key": _hex(self.signing_key.public_key()),
            "encryption_key": _hex(self.encryption_key.public_key()),
            "via": self.via,
            "organizations": [{"code": code, "name": f"Cơ quan {code}"} for code in self.codes],
        }


@dataclass
class Federation:
    me: NodeIdentity
    peers: dict[str, Peer]

    def document(
        self,
        *,
        from_org: str,
        to_org: str,
        document_id: str = "",
        business: edxml.DocumentKind = "new",
        replaced: Sequence[str] = (),
        subject: str = "Về việc tổ chức hội nghị sơ kết công tác chuyển đổi số",
    ) -> bytes:
        return edxml.build_document(
            edxml.DocumentMessage(
                document_id=document_id or f"{from_org},{clock.now().timestamp()}",
                from_=edxml.Organization(organ_id=from_org, organ_name=f"Cơ quan {from_org}"),
                to=[edxml.Organization(organ_id=to_org)],
                code=edxml.Code(number="12", notation="CV-VPTW"),
                promulgation_date=dt.date(2026, 11, 20),
                place="Hà Nội",
                subject=subject,
                signer=edxml.Signer(position="Chánh Văn phòng", full_name="Nguyễn Văn An"),
                priority=edxml.PRIORITY_URGENT,
                business=edxml.BusinessInfo(document_type=business, replaced=list(replaced)),
                attachments=[
                    edxml.Attachment(
                        content_id="1",
                        name="cong-van-12.pdf",
                        content_type="application/pdf",
                        data=text_pdf([subject, "Kính gửi: Tỉnh ủy"]),
                    )
                ],
            )
        )

    def seal(
        self,
        peer_id: str,
        *,
        plaintext: bytes,
        from_org: str,
        to_org: str,
        kind: str = "document",
        created_at: dt.datetime | None = None,
        to_node: str | None = None,
        recipient_key: Any = None,
    ) -> envelope.Package:
        peer = self.peers[peer_id]
        return envelope.seal(
            plaintext=plaintext,
            kind=kind,
            from_node=peer.node_id,
            from_org=from_org,
            to_node=to_node or self.me.node_id,
            to_org=to_org,
            signing_key=peer.signing_key,
            recipient_key=recipient_key or identity.encryption_key(self.me).public_key(),
            created_at=created_at or clock.now(),
        )


def make_federation(
    *,
    peers: Sequence[Peer] = (),
    node_id: str = "node.local",
    revoke: Sequence[str] = (),
    expired: Sequence[str] = (),
) -> Federation:
    """This node (its units from the test tree) and `peers` (by default one, `peer.g01`,
    serving G01 and 000.00.00.G01), in a directory this node signs as the authority."""
    from secretariat.exchange import tls

    peers = list(peers) or [Peer("peer.g01", ("000.00.00.G01", "G01"))]
    me = identity.node_init(
        actor=None, node_id=node_id, name="Tỉnh ủy (test)", address="https://127.0.0.1:9"
    )
    stale = {}
    for peer in peers:
        if peer.node_id in expired:
            # Valid for 30 days, a year ago.
            certificate = tls.issue_node_certificate(
                actor=None,
                node_id=peer.node_id,
                address=str(peer.request()["address"]),
                public_key=peer.signing_key.public_key(),
                valid_days=30,
                not_before=clock.now() - dt.timedelta(days=365),
            )
            stale[peer.node_id] = certificate.public_bytes(serialization.Encoding.PEM)
    raw = directory.build(
        actor=None,
        requests=[identity.request_document(me), *(peer.request() for peer in peers)],
        certificates=stale,
    )
    directory.import_(actor=None, raw=raw)
    if revoke:
        snap = directory.require_snapshot()
        for peer_id in revoke:
            tls.revoke_node_certificate(actor=None, certificate=snap.nodes[peer_id].certificate)
        raw = directory.build(
            actor=None,
            requests=[identity.request_document(me), *(peer.request() for peer in peers)],
            certificates=directory.certificates_in_force(),
        )
        directory.import_(actor=None, raw=raw)
    return Federation(me=me, peers={peer.node_id: peer for peer in peers})
