"""The package envelope: what travels between nodes, and the signed receipts that answer it.

A package is one frame::

    b"SXP1" | u32 header length | header (canonical JSON) | u32 trace length | trace (JSON)
           | ciphertext

- The **header** names the package (`id`, a UUID), its `kind` (document, status), the sending
  node and organization, the recipient node and organization, the creation time and the SHA-256
  and size of the ciphertext. The sending node signs it (Ed25519, the node key, `sig`), so the
  signature covers the ciphertext through its digest.
- The **ciphertext** is the edXML, encrypted end to end to the recipient node's X25519 key with
  HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), its `info` bound to the
  package id, kind and both ends: a relay can neither read it nor move it to another package.
- The **trace** lists the relays a package went through. It is outside the sender's signature
  (a relay appends to it); each hop signs its own entry, chained to the previous one.

A receipt is a small signed JSON object: the receiving node says it accepted (or rejected, with a
reason) the package with this id and this digest.

Everything here is pure: keys in, bytes out. Which keys belong to which node is the directory's
business (`directory.py`), what a node does with a package the services'.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

MAGIC = b"SXP1"
VERSION = 1
KINDS = ("document", "status")
_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
_U32 = struct.Struct(">I")
# A header or a trace larger than this is not ours: refuse before parsing JSON.
MAX_HEADER_BYTES = 16 * 1024
MAX_TRACE_BYTES = 64 * 1024
MAX_HOPS = 8


class EnvelopeError(Exception):
    """A frame, a signature or a ciphertext that does not check. `reason` is a stable code
    (malformed, bad_signature, cannot_decrypt, …) that travels in the rejection receipt."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


def canonical(value: Any) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("aware datetimes only")
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_time(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise EnvelopeError("malformed", "time is not a string")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise EnvelopeError("malformed", "bad time") from exc
    if parsed.tzinfo is None:
        raise EnvelopeError("malformed", "time without zone")
    return parsed


@dataclass(frozen=True, slots=True)
class Header:
    id: str
    kind: str
    from_node: str
    from_org: str
    to_node: str
    to_org: str
    created_at: dt.datetime
    size: int
    digest: str
    sig: str = ""

    def unsigned(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "id": self.id,
            "kind": self.kind,
            "from_node": self.from_node,
            "from_org": self.from_org,
            "to_node": self.to_node,
            "to_org": self.to_org,
            "created_at": _iso(self.created_at),
            "size": self.size,
            "digest": self.digest,
        }

    def encryption_info(self) -> bytes:
        """HPKE `info`: binds the ciphertext to this package and its two ends."""
        return b"secretariat-exchange-v1\x00" + canonical(
            [self.id, self.kind, self.from_node, self.from_org, self.to_node, self.to_org]
        )


@dataclass(frozen=True, slots=True)
class Hop:
    node: str
    at: dt.datetime
    sig: str

    def as_json(self) -> dict[str, str]:
        return {"node": self.node, "at": _iso(self.at), "sig": self.sig}


@dataclass(frozen=True, slots=True)
class Package:
    header: Header
    trace: tuple[Hop, ...]
    ciphertext: bytes
    frame: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        """The identity of the package's content: the ciphertext's SHA-256 (hex), the same at
        every hop (the trace changes, this does not)."""
        return self.header.digest


# --- Sealing and opening -----------------------------------------------------------------------


def seal(
    *,
    plaintext: bytes,
    kind: str,
    from_node: str,
    from_org: str,
    to_node: str,
    to_org: str,
    signing_key: Ed25519PrivateKey,
    recipient_key: X25519PublicKey,
    created_at: dt.datetime,
    package_id: str | None = None,
) -> Package:
    """Encrypt `plaintext` to the recipient node and sign the header with the sending node's
    key. Returns the package with its frame."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    pid = package_id or str(uuid.uuid4())
    draft = Header(
        id=pid,
        kind=kind,
        from_node=from_node,
        from_org=from_org,
        to_node=to_node,
        to_org=to_org,
        created_at=created_at,
        size=0,
        digest="",
    )
    ciphertext = _SUITE.encrypt(plaintext, recipient_key, info=draft.encryption_info())
    unsigned = Header(
        id=pid,
        kind=kind,
        from_node=from_node,
        from_org=from_org,
        to_node=to_node,
        to_org=to_org,
        created_at=created_at,
        size=len(ciphertext),
        digest=hashlib.sha256(ciphertext).hexdigest(),
    )
    sig = signing_key.sign(canonical(unsigned.unsigned())).hex()
    header = Header(**{**_fields(unsigned), "sig": sig})
    return Package(
        header=header, trace=(), ciphertext=ciphertext, frame=_frame(header, (), ciphertext)
    )


def _fields(header: Header) -> dict[str, Any]:
    return {name: getattr(header, name) for name in Header.__slots__}


def _frame(header: Header, trace: Sequence[Hop], ciphertext: bytes) -> bytes:
    head = canonical({**header.unsigned(), "sig": header.sig})
    hops = canonical([hop.as_json() for hop in trace])
    return b"".join((MAGIC, _U32.pack(len(head)), head, _U32.pack(len(hops)), hops, ciphertext))


def parse(frame: bytes) -> Package:
    """Read a frame without trusting it: structure only (signature and decryption come after
    the sender is known)."""
    view = memoryview(frame)
    if len(view) < 12 or bytes(view[:4]) != MAGIC:
        raise EnvelopeError("malformed", "not a Secretariat package")
    (head_len,) = _U32.unpack_from(view, 4)
    if head_len > MAX_HEADER_BYTES or 8 + head_len + 4 > len(view):
        raise EnvelopeError("malformed", "header length")
    head_raw = bytes(view[8 : 8 + head_len])
    offset = 8 + head_len
    (trace_len,) = _U32.unpack_from(view, offset)
    offset += 4
    if trace_len > MAX_TRACE_BYTES or offset + trace_len > len(view):
        raise EnvelopeError("malformed", "trace length")
    trace_raw = bytes(view[offset : offset + trace_len])
    ciphertext = bytes(view[offset + trace_len :])
    try:
        head = json.loads(head_raw)
        hops_raw = json.loads(trace_raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError("malformed", "header is not JSON") from exc
    header = _header(head)
    if header.size != len(ciphertext):
        raise EnvelopeError("malformed", "ciphertext length")
    if hashlib.sha256(ciphertext).hexdigest() != header.digest:
        raise EnvelopeError("tampered", "the ciphertext does not match its digest")
    trace = _trace(hops_raw)
    return Package(header=header, trace=trace, ciphertext=ciphertext, frame=frame)


def _text(head: dict[str, Any], name: str, limit: int = 128) -> str:
    value = head.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise EnvelopeError("malformed", f"header field {name}")
    return value


def _header(head: Any) -> Header:
    if not isinstance(head, dict) or head.get("v") != VERSION:
        raise EnvelopeError("malformed", "unknown envelope version")
    try:
        package_id = str(uuid.UUID(_text(head, "id")))
    except ValueError as exc:
        raise EnvelopeError("malformed", "package id") from exc
    kind = _text(head, "kind")
    if kind not in KINDS:
        raise EnvelopeError("malformed", "package kind")
    size = head.get("size")
    if not isinstance(size, int) or size < 0:
        raise EnvelopeError("malformed", "size")
    return Header(
        id=package_id,
        kind=kind,
        from_node=_text(head, "from_node"),
        from_org=_text(head, "from_org"),
        to_node=_text(head, "to_node"),
        to_org=_text(head, "to_org"),
        created_at=parse_time(head.get("created_at")),
        size=size,
        digest=_text(head, "digest"),
        sig=_text(head, "sig"),
    )


def _trace(raw: Any) -> tuple[Hop, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_HOPS:
        raise EnvelopeError("malformed", "trace")
    hops = []
    for item in raw:
        if not isinstance(item, dict):
            raise EnvelopeError("malformed", "trace entry")
        hops.append(
            Hop(node=_text(item, "node"), at=parse_time(item.get("at")), sig=_text(item, "sig"))
        )
    return tuple(hops)


def verify(package: Package, sender_key: Ed25519PublicKey) -> None:
    """The sending node signed this header (and so this ciphertext)."""
    try:
        sender_key.verify(bytes.fromhex(package.header.sig), canonical(package.header.unsigned()))
    except (InvalidSignature, ValueError) as exc:
        raise EnvelopeError("bad_signature", "the sender's signature does not verify") from exc


def open_(package: Package, recipient_key: X25519PrivateKey) -> bytes:
    """Decrypt the content; only the recipient node's key opens it."""
    try:
        return _SUITE.decrypt(
            package.ciphertext, recipient_key, info=package.header.encryption_info()
        )
    except Exception as exc:  # the HPKE binding raises several types for a failed open
        raise EnvelopeError(
            "cannot_decrypt", "the package does not open with this node's key"
        ) from exc


# --- Relays --------------------------------------------------------------------------------


def _hop_payload(package_id: str, digest: str, previous: str, node: str, at: dt.datetime) -> bytes:
    return canonical(["hop", package_id, digest, previous, node, _iso(at)])


def add_hop(package: Package, *, node: str, key: Ed25519PrivateKey, at: dt.datetime) -> Package:
    """A relay's entry: it signs the package id, the content digest and the previous entry."""
    if len(package.trace) >= MAX_HOPS:
        raise EnvelopeError("too_many_hops", "the package went through too many relays")
    previous = package.trace[-1].sig if package.trace else ""
    sig = key.sign(_hop_payload(package.header.id, package.digest, previous, node, at)).hex()
    trace = (*package.trace, Hop(node=node, at=at, sig=sig))
    return Package(
        header=package.header,
        trace=trace,
        ciphertext=package.ciphertext,
        frame=_frame(package.header, trace, package.ciphertext),
    )


def verify_trace(package: Package, keys: dict[str, Ed25519PublicKey]) -> None:
    """Every relay entry signed by the relay it names, in order."""
    previous = ""
    for hop in package.trace:
        key = keys.get(hop.node)
        if key is None:
            raise EnvelopeError("unknown_relay", f"relay {hop.node} is not in the directory")
        try:
            key.verify(
                bytes.fromhex(hop.sig),
                _hop_payload(package.header.id, package.digest, previous, hop.node, hop.at),
            )
        except (InvalidSignature, ValueError) as exc:
            raise EnvelopeError(
                "bad_signature", f"relay {hop.node}'s entry does not verify"
            ) from exc
        previous = hop.sig


# --- Batches -------------------------------------------------------------------------------


def pack_batch(frames: Sequence[bytes]) -> bytes:
    """Several frames in one request body: each preceded by its length (one copy of each)."""
    return b"".join(part for frame in frames for part in (_U32.pack(len(frame)), frame))


def unpack_batch(body: bytes, *, max_frames: int) -> list[bytes]:
    frames: list[bytes] = []
    view = memoryview(body)
    offset = 0
    while offset < len(view):
        if offset + 4 > len(view) or len(frames) >= max_frames:
            raise EnvelopeError("malformed", "batch framing")
        (length,) = _U32.unpack_from(view, offset)
        offset += 4
        if offset + length > len(view):
            raise EnvelopeError("malformed", "batch framing")
        frames.append(bytes(view[offset : offset + length]))
        offset += length
    return frames


# --- Receipts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    package_id: str
    node: str
    accepted: bool
    reason: str
    detail: str
    digest: str
    at: dt.datetime
    sig: str = ""

    def unsigned(self) -> dict[str, Any]:
        return {
            "receipt": VERSION,
            "package_id": self.package_id,
            "node": self.node,
            "accepted": self.accepted,
            "reason": self.reason,
            "detail": self.detail[:500],
            "digest": self.digest,
            "at": _iso(self.at),
        }

    def to_bytes(self) -> bytes:
        return canonical({**self.unsigned(), "sig": self.sig})


def sign_receipt(
    *,
    package_id: str,
    node: str,
    accepted: bool,
    reason: str,
    detail: str,
    digest: str,
    at: dt.datetime,
    key: Ed25519PrivateKey,
) -> Receipt:
    draft = Receipt(package_id, node, accepted, reason, detail[:500], digest, at)
    return Receipt(**{**_receipt_fields(draft), "sig": key.sign(canonical(draft.unsigned())).hex()})


def _receipt_fields(receipt: Receipt) -> dict[str, Any]:
    return {name: getattr(receipt, name) for name in Receipt.__slots__}


def parse_receipt(data: bytes | dict[str, Any]) -> Receipt:
    try:
        raw = json.loads(data) if isinstance(data, bytes | bytearray) else data
    except ValueError as exc:
        raise EnvelopeError("malformed", "receipt is not JSON") from exc
    if not isinstance(raw, dict) or raw.get("receipt") != VERSION:
        raise EnvelopeError("malformed", "not a receipt")
    accepted = raw.get("accepted")
    if not isinstance(accepted, bool):
        raise EnvelopeError("malformed", "receipt verdict")
    reason = raw.get("reason", "")
    detail = raw.get("detail", "")
    if not isinstance(reason, str) or not isinstance(detail, str):
        raise EnvelopeError("malformed", "receipt reason")
    return Receipt(
        package_id=_text(raw, "package_id"),
        node=_text(raw, "node"),
        accepted=accepted,
        reason=reason,
        detail=detail,
        digest=_text(raw, "digest"),
        at=parse_time(raw.get("at")),
        sig=_text(raw, "sig"),
    )


def verify_receipt(receipt: Receipt, key: Ed25519PublicKey) -> None:
    try:
        key.verify(bytes.fromhex(receipt.sig), canonical(receipt.unsigned()))
    except (InvalidSignature, ValueError) as exc:
        raise EnvelopeError("bad_signature", "the receipt's signature does not verify") from exc


def package_id_of(frame: bytes) -> str | None:
    """The id named in a frame's header, without checking the rest (to look up earlier
    deliveries, and to name the package in a rejection); None when there is no header."""
    if len(frame) < 8 or frame[:4] != MAGIC:
        return None
    (head_len,) = _U32.unpack_from(frame, 4)
    if head_len > MAX_HEADER_BYTES or 8 + head_len > len(frame):
        return None
    try:
        head = json.loads(frame[8 : 8 + head_len])
        return str(uuid.UUID(str(head["id"])))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


__all__ = [
    "EnvelopeError",
    "Header",
    "Hop",
    "Package",
    "Receipt",
    "X25519PrivateKey",
    "add_hop",
    "canonical",
    "open_",
    "pack_batch",
    "parse",
    "parse_receipt",
    "seal",
    "sign_receipt",
    "unpack_batch",
    "verify",
    "verify_receipt",
    "verify_trace",
]
