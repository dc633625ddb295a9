"""This node's identity in the federation: its id, address, keys.

The signing key is the node key every other signature of the node uses
(`core.keys.node_signing_key`); it is also the key of the node's TLS certificate, so the channel
and the packages authenticate the same key. Packages are encrypted to a separate X25519 key,
generated here and sealed by the master key."""

from __future__ import annotations

import functools
import re
import time
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.db import transaction
from django.utils.translation import gettext as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit.services import record
from secretariat.core import keys
from secretariat.core.errors import Conflict, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.orgs.models import Unit

from .models import NodeIdentity

NODE_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,62}[a-z0-9]$")
_SEAL_CONTEXT = "exchange.node.x25519"


class NotConfigured(Conflict):
    """The node has no exchange identity yet (`exchange_node_init`)."""


# Read on every package: kept a few seconds per process (node_init forgets it at once here;
# other processes see a change within CACHE_SECONDS).
CACHE_SECONDS = 5.0
_cached: tuple[float, NodeIdentity | None] | None = None


def identity() -> NodeIdentity | None:
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < CACHE_SECONDS:
        return _cached[1]
    found = NodeIdentity.objects.first()
    _cached = (now, found)
    return found


def forget() -> None:
    """Read the identity from the database next time (after a change, and between tests)."""
    global _cached
    _cached = None


def require_identity() -> NodeIdentity:
    found = identity()
    if found is None:
        raise NotConfigured(
            _("This installation is not an exchange node yet: run exchange_node_init.")
        )
    return found


def check_address(address: str) -> str:
    parts = urlsplit(address.strip())
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        raise ValidationFailed(
            _("The node address must look like https://host:port."),
            field_errors={"address": [_("Enter https://host:port.")]},
        )
    return f"https://{parts.netloc}"


def signing_public_hex() -> str:
    return keys.public_key_hex(keys.node_public_key())


@transaction.atomic(durable=True)
def node_init(*, actor: Any | None, node_id: str, name: str, address: str) -> NodeIdentity:
    """Make this installation a node, or change its name and address. The node id is for
    life: the federation knows the node by it."""
    if actor is not None:
        policy.require(actor, Action.SIGNING_MANAGE, Unit.get_first_root_node())
    node_id = node_id.strip().lower()
    if not NODE_ID.match(node_id):
        raise ValidationFailed(
            _("A node id is 3 to 64 lowercase letters, digits, dots and dashes."),
            field_errors={"node_id": [_("Letters, digits, dots and dashes.")]},
        )
    name = name.strip()[:200]
    if not name:
        raise ValidationFailed(_("Give the node a name."), field_errors={"name": [_("Required.")]})
    address = check_address(address)
    forget()
    transaction.on_commit(forget)
    existing = for_update(NodeIdentity.objects).first()
    if existing is not None:
        if existing.node_id != node_id:
            raise Conflict(
                _("This node is already %(node)s; a node does not change its id.")
                % {"node": existing.node_id}
            )
        before = {"name": existing.name, "address": existing.address}
        existing.name, existing.address = name, address
        existing.save(update_fields=["name", "address", "updated_at"])
        record(
            actor=actor,
            action="exchange.node_updated",
            obj=existing,
            before=before,
            after={"name": name, "address": address},
        )
        return existing
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    node = NodeIdentity.objects.create(
        node_id=node_id,
        name=name,
        address=address,
        encryption_key_sealed=keys.seal(raw, context=_SEAL_CONTEXT),
        encryption_public=private.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex(),
    )
    record(
        actor=actor,
        action="exchange.node_initialised",
        obj=node,
        after={
            "node_id": node_id,
            "address": address,
            "signing_key": signing_public_hex(),
            "encryption_key": node.encryption_public,
        },
    )
    return node


def encryption_key(node: NodeIdentity) -> X25519PrivateKey:
    return _encryption_key(node.encryption_public, bytes(node.encryption_key_sealed))


@functools.lru_cache(maxsize=4)
def _encryption_key(public_hex: str, sealed: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(keys.unseal(sealed, context=_SEAL_CONTEXT))


def published_units() -> list[Unit]:
    """The organizations this node receives for: every active unit of its tree."""
    return list(Unit.objects.filter(active=True).order_by("path"))


def request_document(node: NodeIdentity) -> dict[str, Any]:
    """What the directory authority needs to list this node (and to certify its TLS key)."""
    return {
        "node_id": node.node_id,
        "name": node.name,
        "address": node.address,
        "signing_key": signing_public_hex(),
        "encryption_key": node.encryption_public,
        "organizations": [{"code": unit.code, "name": unit.name} for unit in published_units()],
    }
