"""The signed directory of the federation: which node serves which organization code, at which
address, with which keys and TLS certificate.

The directory authority (the node the federation chose; in tests and standalone use, any node)
builds it from the nodes' requests: it certifies each node's TLS key with its CA and signs the
whole with its node key. Every node pins the authority's key on its first import and then only
accepts newer versions signed by it. Packages from organizations that the directory in force
does not list are refused.

Document layout (JSON, canonical, `sig` over everything else)::

    {"directory": 1, "version": 7, "issued_at": "...", "authority": "<ed25519 hex>",
     "ca_certificates": ["<PEM>"], "crls": ["<base64 DER>"],
     "nodes": [{"node_id", "name", "address", "signing_key", "encryption_key",
                "certificate": "<PEM>", "via": "", "organizations": [{"code", "name"}]}],
     "sig": "<hex>"}
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from django.db import transaction
from django.utils.translation import gettext as _

from secretariat.audit.services import record
from secretariat.core import clock, keys
from secretariat.core.errors import Conflict, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.signing import pki

from . import identity, tls
from .envelope import canonical
from .models import Directory, DirectoryNode, DirectoryOrganization, NodeIdentity

FORMAT = 1


class DirectoryError(ValidationFailed):
    pass


# --- Building (on the authority) ---------------------------------------------------------------


def _check_request(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DirectoryError(_("A node request is a JSON object."))
    node_id = str(raw.get("node_id", "")).strip().lower()
    if not identity.NODE_ID.match(node_id):
        raise DirectoryError(_("A node request has no valid node id."))
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(str(raw.get("signing_key", ""))))
        X25519PublicKey.from_public_bytes(bytes.fromhex(str(raw.get("encryption_key", ""))))
    except ValueError as exc:
        raise DirectoryError(
            _("The keys of node %(node)s are not valid.") % {"node": node_id}
        ) from exc
    organizations = raw.get("organizations")
    if not isinstance(organizations, list) or not organizations:
        raise DirectoryError(_("Node %(node)s lists no organization.") % {"node": node_id})
    orgs = []
    for item in organizations:
        if not isinstance(item, dict) or not str(item.get("code", "")).strip():
            raise DirectoryError(
                _("Node %(node)s lists an organization without code.") % {"node": node_id}
            )
        orgs.append(
            {"code": str(item["code"]).strip()[:32], "name": str(item.get("name", ""))[:255]}
        )
    return {
        "node_id": node_id,
        "name": str(raw.get("name", node_id))[:200],
        "address": identity.check_address(str(raw.get("address", ""))),
        "signing_key": str(raw["signing_key"]).lower(),
        "encryption_key": str(raw["encryption_key"]).lower(),
        "via": str(raw.get("via", "")).strip().lower(),
        "organizations": orgs,
    }


def build(
    *,
    actor: Any | None,
    requests: Sequence[Any],
    version: int | None = None,
    valid_days: int = 365,
    certificates: dict[str, bytes] | None = None,
) -> bytes:
    """Certify every node's key (unless `certificates` gives a node's PEM, e.g. one to keep)
    and sign a directory. The version is one more than the last this node built or imported,
    unless given."""
    nodes = [_check_request(raw) for raw in requests]
    seen_nodes: set[str] = set()
    owners: dict[str, str] = {}
    for node in nodes:
        if node["node_id"] in seen_nodes:
            raise DirectoryError(_("Node %(node)s is listed twice.") % {"node": node["node_id"]})
        seen_nodes.add(node["node_id"])
        for org in node["organizations"]:
            if org["code"] in owners:
                raise DirectoryError(
                    _("Organization %(code)s is listed by two nodes.") % {"code": org["code"]}
                )
            owners[org["code"]] = node["node_id"]
    for node in nodes:
        if node["via"] and node["via"] not in seen_nodes:
            raise DirectoryError(
                _("Node %(node)s is reached through an unknown node.") % {"node": node["node_id"]}
            )
    kept = certificates or {}
    for node in nodes:
        pem = kept.get(node["node_id"])
        if pem is None:
            cert = tls.issue_node_certificate(
                actor=actor,
                node_id=node["node_id"],
                address=node["address"],
                public_key=Ed25519PublicKey.from_public_bytes(bytes.fromhex(node["signing_key"])),
                valid_days=valid_days,
            )
            pem = cert.public_bytes(serialization.Encoding.PEM)
        node["certificate"] = pem.decode("ascii")
    last = Directory.objects.order_by("-version").values_list("version", flat=True).first() or 0
    document = {
        "directory": FORMAT,
        "version": version if version is not None else last + 1,
        "issued_at": clock.now().astimezone(dt.UTC).isoformat(),
        "authority": identity.signing_public_hex(),
        "ca_certificates": [
            pki.authority_certificate().public_bytes(serialization.Encoding.PEM).decode("ascii")
        ],
        "crls": [base64.b64encode(pki.crl_der()).decode("ascii")],
        "nodes": nodes,
    }
    signature = keys.node_signing_key().sign(canonical(document)).hex()
    return canonical({**document, "sig": signature})


# --- Importing (on every node) --------------------------------------------------------------


def _verify(raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DirectoryError(_("The directory is not valid JSON.")) from exc
    if not isinstance(document, dict) or document.get("directory") != FORMAT:
        raise DirectoryError(_("This file is not a Secretariat directory."))
    signature = document.pop("sig", "")
    try:
        authority = Ed25519PublicKey.from_public_bytes(bytes.fromhex(str(document["authority"])))
        authority.verify(bytes.fromhex(str(signature)), canonical(document))
    except (KeyError, ValueError, InvalidSignature) as exc:
        raise DirectoryError(_("The directory's signature does not verify.")) from exc
    if not isinstance(document.get("version"), int) or not isinstance(document.get("nodes"), list):
        raise DirectoryError(_("The directory has no version or no nodes."))
    for node in document["nodes"]:
        _check_request(node)
        x509.load_pem_x509_certificate(str(node.get("certificate", "")).encode())
    return document


@transaction.atomic(durable=True)
def import_(*, actor: Any | None, raw: bytes, authority: str = "") -> Directory:
    """Put a directory in force. The first import pins its authority (or checks the one given);
    later ones must come from the same authority with a higher version (an older directory
    could bring back a revoked node)."""
    document = _verify(raw)
    identity.require_identity()
    node = for_update(NodeIdentity.objects).get()
    forget()
    transaction.on_commit(forget)
    pinned = node.directory_authority or authority.strip().lower()
    if pinned and document["authority"] != pinned:
        raise DirectoryError(
            _("This directory is signed by another authority than the one trusted.")
        )
    current = Directory.objects.order_by("-version").first()
    if current is not None and document["version"] <= current.version:
        if document["version"] == current.version and bytes(current.document) == raw:
            return current
        raise Conflict(
            _("Directory version %(new)s is not newer than version %(old)s in force.")
            % {"new": document["version"], "old": current.version}
        )
    if not node.directory_authority:
        node.directory_authority = document["authority"]
        node.save(update_fields=["directory_authority", "updated_at"])
    row = Directory.objects.create(
        version=document["version"],
        authority=document["authority"],
        issued_at=dt.datetime.fromisoformat(document["issued_at"]),
        document=raw,
    )
    DirectoryOrganization.objects.all().delete()
    DirectoryNode.objects.all().delete()
    for entry in document["nodes"]:
        cert = x509.load_pem_x509_certificate(entry["certificate"].encode())
        saved = DirectoryNode.objects.create(
            node_id=entry["node_id"],
            name=entry["name"][:200],
            address=entry["address"],
            signing_key=entry["signing_key"],
            encryption_key=entry["encryption_key"],
            certificate=cert.public_bytes(serialization.Encoding.DER),
            via=entry.get("via", ""),
        )
        DirectoryOrganization.objects.bulk_create(
            DirectoryOrganization(code=org["code"], name=org["name"], node=saved)
            for org in entry["organizations"]
        )
    record(
        actor=actor,
        action="exchange.directory_imported",
        obj=row,
        after={
            "version": row.version,
            "authority": row.authority,
            "nodes": [entry["node_id"] for entry in document["nodes"]],
        },
    )
    return row


# --- The directory in force, as the services read it --------------------------------------


@dataclass(frozen=True)
class Peer:
    node_id: str
    name: str
    address: str
    signing_key: Ed25519PublicKey
    encryption_key: X25519PublicKey
    certificate: x509.Certificate
    certificate_der: bytes
    via: str


@dataclass(frozen=True)
class Snapshot:
    version: int
    nodes: dict[str, Peer]
    organizations: dict[str, str]  # code -> node id
    organization_names: dict[str, str]
    ca_certificates: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]
    ca_pems: tuple[bytes, ...]
    crl_ders: tuple[bytes, ...]

    def node_of(self, code: str) -> Peer | None:
        node_id = self.organizations.get(code)
        return self.nodes.get(node_id) if node_id else None

    def next_hop(self, peer: Peer) -> Peer:
        return self.nodes.get(peer.via, peer) if peer.via else peer

    def certificate_problem(self, peer: Peer, at: dt.datetime | None = None) -> str | None:
        """tls.check_certificate, remembered per node for a minute (signatures of the chain and
        the CRL need not be verified again for every package)."""
        when = at or clock.now()
        key = (self.version, peer.node_id, int(when.timestamp() // 60))
        if key in _problems:
            return _problems[key]
        found = tls.check_certificate(
            peer.certificate, ca_certificates=self.ca_certificates, crls=self.crls, at=when
        )
        if len(_problems) > 1000:
            _problems.clear()
        _problems[key] = found
        return found


_cache: dict[str, Snapshot] = {}
_problems: dict[tuple[int, str, int], str | None] = {}
_cache_lock = threading.Lock()


_checked: tuple[float, Snapshot | None] | None = None


def snapshot() -> Snapshot | None:
    """The directory in force, parsed once per version and process; which version is in force
    is read again after CACHE_SECONDS (an import here forgets at once)."""
    global _checked
    now = time.monotonic()
    if _checked is not None and now - _checked[0] < identity.CACHE_SECONDS:
        return _checked[1]
    found = _load()
    _checked = (now, found)
    return found


def forget() -> None:
    """Read which directory is in force next time (after an import, and between tests)."""
    global _checked
    _checked = None


def _load() -> Snapshot | None:
    row = Directory.objects.order_by("-version").only("version").first()
    if row is None:
        return None
    key = f"{row.version}:{row.pk}"
    with _cache_lock:
        found = _cache.get(key)
    if found is not None:
        return found
    row = Directory.objects.only("version", "document").get(pk=row.pk)
    document = json.loads(bytes(row.document))
    nodes = {}
    organizations = {}
    names = {}
    for entry in document["nodes"]:
        cert = x509.load_pem_x509_certificate(entry["certificate"].encode())
        nodes[entry["node_id"]] = Peer(
            node_id=entry["node_id"],
            name=entry["name"],
            address=entry["address"],
            signing_key=Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry["signing_key"])),
            encryption_key=X25519PublicKey.from_public_bytes(
                bytes.fromhex(entry["encryption_key"])
            ),
            certificate=cert,
            certificate_der=cert.public_bytes(serialization.Encoding.DER),
            via=entry.get("via", ""),
        )
        for org in entry["organizations"]:
            organizations[org["code"]] = entry["node_id"]
            names[org["code"]] = org["name"]
    ca_pems = tuple(pem.encode("ascii") for pem in document.get("ca_certificates", []))
    crl_ders = tuple(base64.b64decode(item) for item in document.get("crls", []))
    found = Snapshot(
        version=row.version,
        nodes=nodes,
        organizations=organizations,
        organization_names=names,
        ca_certificates=tuple(x509.load_pem_x509_certificate(pem) for pem in ca_pems),
        crls=tuple(x509.load_der_x509_crl(der) for der in crl_ders),
        ca_pems=ca_pems,
        crl_ders=crl_ders,
    )
    with _cache_lock:
        _cache.clear()
        _problems.clear()
        _cache[key] = found
    return found


def require_snapshot() -> Snapshot:
    found = snapshot()
    if found is None:
        raise Conflict(
            _("No exchange directory is in force: import one (exchange_directory import).")
        )
    return found


def latest_document() -> bytes | None:
    row = Directory.objects.order_by("-version").only("document").first()
    return bytes(row.document) if row is not None else None


# --- Keeping it current --------------------------------------------------------------------


def is_authority() -> bool:
    node = identity.identity()
    return node is not None and node.directory_authority == identity.signing_public_hex()


def certificates_in_force() -> dict[str, bytes]:
    """Each node's certificate (PEM) in the directory in force: what a new version keeps."""
    raw = latest_document()
    if raw is None:
        return {}
    return {
        entry["node_id"]: str(entry["certificate"]).encode("ascii")
        for entry in json.loads(raw)["nodes"]
    }


def rebuild(*, actor: Any | None) -> Directory | None:
    """On the authority: the directory in force again, as a new version with the current CRLs
    (the certificates kept), put in force here. The CRLs in a directory expire: the listener
    refuses every handshake once they have, so this runs every few hours (tasks.py)."""
    raw = latest_document()
    if raw is None or not is_authority():
        return None
    requests = json.loads(raw)["nodes"]
    return import_(
        actor=actor,
        raw=build(actor=actor, requests=requests, certificates=certificates_in_force()),
    )


def refresh(*, actor: Any | None, url: str) -> Directory:
    """Fetch the authority's directory over the exchange channel and put it in force (the same
    version again changes nothing)."""
    from . import transport, worker

    me = identity.require_identity()
    snap = require_snapshot()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise DirectoryError(_("The directory address must be an https:// URL."))
    status, body = transport.post(
        address=f"https://{parts.netloc}",
        path=parts.path or "/exchange/v1/directory",
        body=b"",
        context=worker.client_context(snap, me.node_id),  # type: ignore[arg-type]
    )
    if status != 200:
        raise DirectoryError(
            _("The directory could not be fetched (HTTP %(status)s).") % {"status": status}
        )
    return import_(actor=actor, raw=body)
