"""Merkle trees of RFC 9162 (Certificate Transparency 2.0), §2.1, and the audit proof check.

Standalone on purpose: no Django import, so an outside verifier can copy this one file and check
a proof printed by `manage.py audit_proof` with only the standard library and `cryptography`.

The leaf data of an audit event is the 32 raw bytes of its chain hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

EMPTY_ROOT = hashlib.sha256(b"").digest()
PROOF_FORMAT = "secretariat-audit-proof/v1"
CHECKPOINT_FORMAT = "secretariat-audit-checkpoint/v1"


def leaf_hash(data: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over already-hashed leaves; SHA-256 of nothing for the empty tree."""
    frontier = CompactRange()
    for h in leaf_hashes:
        frontier.append(h)
    return frontier.root()


class CompactRange:
    """The perfect subtrees covering leaves 0..n-1, largest first: one per bit set in n.

    Appending is amortized O(1) and the root at the current size costs O(log n), so one pass over
    millions of leaves yields the root at every checkpoint size without keeping the leaves.
    """

    __slots__ = ("size", "subtrees")

    def __init__(self, size: int = 0, subtrees: Sequence[bytes] = ()) -> None:
        if len(subtrees) != bin(size).count("1"):
            raise ValueError("a compact range holds one subtree per bit set in its size")
        self.size = size
        self.subtrees = list(subtrees)

    def append(self, leaf: bytes) -> None:
        self.subtrees.append(leaf)
        # Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
        carry = self.size
        while carry & 1:
            right = self.subtrees.pop()
            self.subtrees[-1] = node_hash(self.subtrees[-1], right)
            carry >>= 1
        self.size += 1

    def root(self) -> bytes:
        # Folding right to left reproduces RFC 9162's split at the largest power of two < n:
        # the leftmost subtree is exactly D[0:k], the rest is MTH(D[k:n]) by the same argument.
        if not self.subtrees:
            return EMPTY_ROOT
        acc = self.subtrees[-1]
        for left in reversed(self.subtrees[:-1]):
            acc = node_hash(left, acc)
        return acc


def roots_at(leaf_hashes: Iterable[bytes], sizes: Iterable[int]) -> Iterator[tuple[int, bytes]]:
    """(size, root) for each requested size, in one pass over the leaves."""
    wanted = sorted(set(sizes))
    frontier = CompactRange()
    pending = iter(wanted)
    target = next(pending, None)
    while target == 0:
        yield 0, EMPTY_ROOT
        target = next(pending, None)
    for h in leaf_hashes:
        if target is None:
            return
        frontier.append(h)
        while target == frontier.size:
            yield target, frontier.root()
            target = next(pending, None)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, ordered from the leaf's sibling up to the root."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise IndexError(f"leaf index {index} outside a tree of size {n}")
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    # Iterative form of the recursion: descend towards the leaf, collect the sibling subtree root
    # at each level, and reverse at the end (the recursion appends the deepest sibling first).
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(root(leaf_hashes[lo + k : hi]))
            hi = lo + k
        else:
            path.append(root(leaf_hashes[lo : lo + k]))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if index < 0 or index >= tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- Audit-specific pieces, duplicated from the Django side so this file stands alone ---------


def canonical_json(value: Any) -> bytes:
    """Must equal `secretariat.core.canonical.canonical_json` (a test checks they agree)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def checkpoint_text(
    *,
    node: str,
    tree_size: int,
    root_hash: str,
    last_event_id: str,
    last_event_hash: str,
    signed_at: str,
) -> str:
    """The exact text a checkpoint's Ed25519 signature covers (UTF-8)."""
    return "\n".join(
        [
            CHECKPOINT_FORMAT,
            node,
            str(tree_size),
            root_hash,
            last_event_id,
            last_event_hash,
            signed_at,
        ]
    )


def verify_signature(public_key_hex: str, signature_hex: str, text: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id_of(public_key_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


def verify_proof_document(
    doc: dict[str, Any], public_key_hex: str | None = None
) -> tuple[bool, str]:
    """Check an inclusion proof printed by `audit_proof`: (True, "ok") or (False, why).

    Pass the node's published `public_key_hex` to trust only that key; without it the key embedded
    in the document is used, which proves consistency but not who signed.
    """
    try:
        return _verify_proof_document(doc, public_key_hex)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return False, f"malformed proof document: {exc!r}"


def _verify_proof_document(doc: dict[str, Any], trusted_key: str | None) -> tuple[bool, str]:
    if doc.get("format") != PROOF_FORMAT:
        return False, f"unknown format {doc.get('format')!r}"
    event = doc["event"]
    checkpoint = doc["checkpoint"]
    event_hash = hashlib.sha256(canonical_json(event)).hexdigest()
    if event_hash != doc["event_hash"]:
        return False, "the event body does not hash to event_hash"
    leaf = leaf_hash(bytes.fromhex(event_hash))
    if leaf.hex() != doc["leaf_hash"]:
        return False, "leaf_hash is not SHA-256(0x00 || event hash)"
    index = doc["leaf_index"]
    if not isinstance(index, int) or isinstance(index, bool) or index != event["seq"] - 1:
        return False, "leaf_index does not match the event's position (seq - 1)"
    tree_size = doc["tree_size"]
    if tree_size != checkpoint["tree_size"] or doc["root_hash"] != checkpoint["root_hash"]:
        return False, "tree_size or root_hash differ from the signed checkpoint"
    path = [bytes.fromhex(p) for p in doc["audit_path"]]
    if not verify_inclusion(leaf, index, tree_size, path, bytes.fromhex(checkpoint["root_hash"])):
        return False, "the audit path does not lead to the checkpoint root"
    text = checkpoint_text(
        node=checkpoint["node"],
        tree_size=checkpoint["tree_size"],
        root_hash=checkpoint["root_hash"],
        last_event_id=checkpoint["last_event_id"],
        last_event_hash=checkpoint["last_event_hash"],
        signed_at=checkpoint["signed_at"],
    )
    if text != checkpoint["signed_text"]:
        return False, "signed_text does not match the checkpoint fields"
    key = trusted_key or doc["public_key"]
    if key_id_of(key) != checkpoint["key_id"]:
        return False, "the checkpoint was signed by another key"
    if not verify_signature(key, checkpoint["signature"], text):
        return False, "the checkpoint signature is not valid"
    return True, "ok"
