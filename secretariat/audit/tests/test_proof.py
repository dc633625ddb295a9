"""`audit_proof` prints a proof the standalone `merkle.verify_proof_document` accepts, and any
forged field makes it fail."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from secretariat.audit import merkle
from secretariat.core import keys

pytestmark = pytest.mark.django_db


def _proof(ref: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("audit_proof", ref, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def sealed(record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]) -> dict[str, Any]:
    """11 events, a checkpoint at 7 and one at 11."""
    events = record_events(7)
    first = make_checkpoint()
    events += record_events(4, data={"code": "Số 12-NQ/TU"})
    second = make_checkpoint()
    return {"events": events, "first": first, "second": second}


@pytest.mark.parametrize("seq", [1, 4, 7, 8, 11])
def test_proof_verifies_standalone(sealed: dict[str, Any], seq: int) -> None:
    event = sealed["events"][seq - 1]
    doc = _proof(str(event.id))
    assert doc["event"]["id"] == str(event.id)
    # Against the latest checkpoint covering the event.
    assert doc["checkpoint"]["id"] == str(sealed["second"].id)
    assert doc["tree_size"] == 11
    assert doc["leaf_index"] == seq - 1
    node_key = keys.public_key_hex(keys.node_public_key())
    assert merkle.verify_proof_document(doc, node_key) == (True, "ok")
    assert merkle.verify_proof_document(doc) == (True, "ok")


def test_proof_by_seq_equals_proof_by_id(sealed: dict[str, Any]) -> None:
    event = sealed["events"][2]
    assert _proof("3")["event"] == _proof(str(event.id))["event"]


def _set(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    forged = copy.deepcopy(doc)
    *parents, last = dotted.split(".")
    target = forged
    for part in parents:
        target = target[part]
    target[last] = value
    return forged


def test_forged_proofs_fail(sealed: dict[str, Any]) -> None:
    doc = _proof("4")
    node_key = keys.public_key_hex(keys.node_public_key())
    first = sealed["first"]
    forgeries = {
        "changed event field": _set(doc, "event.action", "accounts.forged"),
        "changed event field and its hashes": _forge_event_and_hashes(doc),
        "changed path element": _set(doc, "audit_path", ["00" * 32, *doc["audit_path"][1:]]),
        "path element removed": _set(doc, "audit_path", doc["audit_path"][:-1]),
        "wrong index": _set(doc, "leaf_index", 4),
        "wrong index and seq": _set(_set(doc, "leaf_index", 4), "event.seq", 5),
        "root of another checkpoint": _set(
            _set(doc, "root_hash", first.root_hash), "checkpoint.root_hash", first.root_hash
        ),
        "another tree size": _set(_set(doc, "tree_size", 7), "checkpoint.tree_size", 7),
        "bad signature": _set(doc, "checkpoint.signature", "00" * 64),
        "signed text changed": _set(
            doc, "checkpoint.signed_text", doc["checkpoint"]["signed_text"] + " "
        ),
        "signing time changed": _set(doc, "checkpoint.signed_at", "2020-01-01T00:00:00+00:00"),
    }
    for name, forged in forgeries.items():
        ok, reason = merkle.verify_proof_document(forged, node_key)
        assert not ok, name
        assert reason, name


def _forge_event_and_hashes(doc: dict[str, Any]) -> dict[str, Any]:
    """A forger who also recomputes the event and leaf hashes still cannot reach the root."""
    forged = _set(doc, "event.action", "accounts.forged")
    event_hash = merkle.hashlib.sha256(merkle.canonical_json(forged["event"])).hexdigest()
    forged["event_hash"] = event_hash
    forged["leaf_hash"] = merkle.leaf_hash(bytes.fromhex(event_hash)).hex()
    return forged


def test_other_public_key_fails(sealed: dict[str, Any]) -> None:
    doc = _proof("4")
    stranger = keys.public_key_hex(Ed25519PrivateKey.generate().public_key())
    assert merkle.verify_proof_document(doc, stranger)[0] is False


def test_resigned_by_a_forger_fails_against_the_node_key(sealed: dict[str, Any]) -> None:
    """A forger re-signs a forged head with their own key and embeds it: only the trusted key
    given by the verifier catches it."""
    doc = _proof("4")
    forger = Ed25519PrivateKey.generate()
    forged = _set(doc, "public_key", keys.public_key_hex(forger.public_key()))
    forged["checkpoint"]["key_id"] = keys.key_id(forger.public_key())
    forged["checkpoint"]["signature"] = forger.sign(
        forged["checkpoint"]["signed_text"].encode()
    ).hex()
    assert merkle.verify_proof_document(forged) == (True, "ok")  # self-consistent…
    node_key = keys.public_key_hex(keys.node_public_key())
    assert merkle.verify_proof_document(forged, node_key)[0] is False  # …but not the node's


def test_malformed_document_fails_cleanly(sealed: dict[str, Any]) -> None:
    doc = _proof("4")
    del doc["audit_path"]
    ok, reason = merkle.verify_proof_document(doc)
    assert not ok
    assert "malformed" in reason
    assert merkle.verify_proof_document(_set(_proof("4"), "audit_path", ["zz"]))[0] is False


def test_no_covering_checkpoint_exits_1(
    record_events: Callable[..., Any], make_checkpoint: Callable[[], Any]
) -> None:
    record_events(2)
    make_checkpoint()
    late = record_events(1)[0]
    with pytest.raises(CommandError, match="audit_checkpoint") as failure:
        call_command("audit_proof", str(late.id))
    assert failure.value.returncode == 1


def test_unknown_event_exits_1(db: Any) -> None:
    with pytest.raises(CommandError, match="no audit event") as failure:
        call_command("audit_proof", "not-an-id")
    assert failure.value.returncode == 1
