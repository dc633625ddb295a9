"""RFC 9162 Merkle trees: against a naive transcription of §2.1 and the CT test vectors."""

from __future__ import annotations

import hashlib

import pytest

from secretariat.audit import merkle
from secretariat.core.canonical import canonical_json


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def naive_mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) transcribed from RFC 9162 §2.1.1, over raw leaf data."""
    n = len(leaves)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return _sha(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) transcribed from RFC 9162 §2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


LEAVES = [f"leaf-{i}".encode() for i in range(40)]
HASHED = [merkle.leaf_hash(d) for d in LEAVES]


@pytest.mark.parametrize("n", range(41))
def test_root_matches_the_rfc_definition(n: int) -> None:
    assert merkle.root(HASHED[:n]) == naive_mth(LEAVES[:n])


def test_roots_at_many_sizes_in_one_pass() -> None:
    sizes = [0, 1, 2, 3, 7, 8, 9, 31, 32, 33, 40]
    assert dict(merkle.roots_at(iter(HASHED), sizes)) == {n: naive_mth(LEAVES[:n]) for n in sizes}


@pytest.mark.parametrize("n", range(1, 41))
def test_inclusion_proofs_for_every_index(n: int) -> None:
    tree_root = naive_mth(LEAVES[:n])
    for m in range(n):
        path = merkle.inclusion_proof(m, HASHED[:n])
        assert path == naive_path(m, LEAVES[:n])
        assert merkle.verify_inclusion(HASHED[m], m, n, path, tree_root)
        # The same path proves nothing for another leaf, index, size or root.
        other = (m + 1) % n
        if other != m:
            assert not merkle.verify_inclusion(HASHED[other], m, n, path, tree_root)
            assert not merkle.verify_inclusion(HASHED[m], other, n, path, tree_root)
        assert not merkle.verify_inclusion(HASHED[m], m, n, path, _sha(b"other root"))
        if path:
            assert not merkle.verify_inclusion(HASHED[m], m, n, path[:-1], tree_root)
            assert not merkle.verify_inclusion(HASHED[m], m, n, [*path, path[-1]], tree_root)
            forged = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
            assert not merkle.verify_inclusion(HASHED[m], m, n, forged, tree_root)


def test_index_outside_the_tree_fails() -> None:
    assert not merkle.verify_inclusion(HASHED[0], 3, 3, [], merkle.root(HASHED[:3]))
    assert not merkle.verify_inclusion(HASHED[0], -1, 3, [], merkle.root(HASHED[:3]))
    with pytest.raises(IndexError):
        merkle.inclusion_proof(3, HASHED[:3])


# The eight leaves and roots used by the Certificate Transparency reference tests (RFC 6962 has
# the same tree hashing as RFC 9162 §2.1).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_certificate_transparency_vectors() -> None:
    hashed = [merkle.leaf_hash(d) for d in CT_LEAVES]
    assert [merkle.root(hashed[:n]).hex() for n in range(1, 9)] == CT_ROOTS
    assert [p.hex() for p in merkle.inclusion_proof(0, hashed)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


def test_compact_range_resumes_from_a_stored_frontier() -> None:
    first = merkle.CompactRange()
    for h in HASHED[:13]:
        first.append(h)
    resumed = merkle.CompactRange(first.size, first.subtrees)
    for h in HASHED[13:]:
        resumed.append(h)
    assert resumed.root() == naive_mth(LEAVES)
    with pytest.raises(ValueError, match="one subtree per bit"):
        merkle.CompactRange(13, first.subtrees[:1])


def test_standalone_canonical_json_equals_the_platform_one() -> None:
    value = {"b": [1, 2.5, None], "a": "Đảng ủy", "c": {"z": True, "y": "x"}}
    assert merkle.canonical_json(value) == canonical_json(value)
