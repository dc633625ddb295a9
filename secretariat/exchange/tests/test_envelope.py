"""The package envelope on its own: keys in, bytes out (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from secretariat.exchange import envelope

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def keys():
    return {
        "sender": Ed25519PrivateKey.generate(),
        "relay": Ed25519PrivateKey.generate(),
        "recipient": X25519PrivateKey.generate(),
        "other": X25519PrivateKey.generate(),
    }


def _seal(keys, plaintext=b"<edXML/>" * 100, **changes):
    values = {
        "plaintext": plaintext,
        "kind": "document",
        "from_node": "node.a",
        "from_org": "000.00.00.A01",
        "to_node": "node.b",
        "to_org": "000.00.00.B01",
        "signing_key": keys["sender"],
        "recipient_key": keys["recipient"].public_key(),
        "created_at": NOW,
    } | changes
    return envelope.seal(**values)


def test_sealed_package_opens_for_its_recipient_only(keys):
    package = _seal(keys, plaintext="Văn bản số 12/QĐ-UBND".encode())
    parsed = envelope.parse(package.frame)
    envelope.verify(parsed, keys["sender"].public_key())
    assert envelope.open_(parsed, keys["recipient"]) == "Văn bản số 12/QĐ-UBND".encode()
    assert "Văn bản".encode() not in package.frame
    with pytest.raises(envelope.EnvelopeError) as error:
        envelope.open_(parsed, keys["other"])
    assert error.value.reason == "cannot_decrypt"
    assert parsed.header.to_org == "000.00.00.B01"
    assert parsed.header.created_at == NOW


def test_same_plaintext_twice_gives_different_ciphertexts(keys):
    first, second = _seal(keys), _seal(keys)
    assert first.ciphertext != second.ciphertext
    assert first.header.id != second.header.id


def test_tampered_ciphertext_is_detected(keys):
    frame = bytearray(_seal(keys).frame)
    frame[-5] ^= 0x01
    with pytest.raises(envelope.EnvelopeError) as error:
        envelope.parse(bytes(frame))
    assert error.value.reason == "tampered"


def test_forged_signature_and_rewritten_header_are_detected(keys):
    package = _seal(keys)
    with pytest.raises(envelope.EnvelopeError) as error:
        envelope.verify(envelope.parse(package.frame), Ed25519PrivateKey.generate().public_key())
    assert error.value.reason == "bad_signature"
    # Re-addressed to another organization by a relay: the signature no longer covers it.
    rewritten = package.frame.replace(b"000.00.00.B01", b"000.00.00.B02")
    with pytest.raises(envelope.EnvelopeError) as error:
        envelope.verify(envelope.parse(rewritten), keys["sender"].public_key())
    assert error.value.reason == "bad_signature"


def test_ciphertext_moved_into_another_package_does_not_open(keys):
    """The HPKE info binds the ciphertext to the header: a relay cannot graft it elsewhere."""
    original = _seal(keys)
    other = _seal(keys, to_org="000.00.00.B02")
    grafted = envelope.Package(
        header=other.header, trace=(), ciphertext=original.ciphertext, frame=b""
    )
    with pytest.raises(envelope.EnvelopeError):
        envelope.open_(grafted, keys["recipient"])


def test_relay_hops_are_signed_and_chained(keys):
    package = envelope.add_hop(_seal(keys), node="node.relay", key=keys["relay"], at=NOW)
    parsed = envelope.parse(package.frame)
    assert [hop.node for hop in parsed.trace] == ["node.relay"]
    envelope.verify(parsed, keys["sender"].public_key())  # the sender's signature still holds
    envelope.verify_trace(parsed, {"node.relay": keys["relay"].public_key()})
    with pytest.raises(envelope.EnvelopeError) as error:
        envelope.verify_trace(parsed, {"node.relay": Ed25519PrivateKey.generate().public_key()})
    assert error.value.reason == "bad_signature"
    with pytest.raises(envelope.EnvelopeError) as error:
        envelope.verify_trace(parsed, {})
    assert error.value.reason == "unknown_relay"


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"SXP1",
        b"not a package at all",
        b"SXP1\xff\xff\xff\xff{}",
        b"SXP1\x00\x00\x00\x02{}\x00\x00\x00\x00",
    ],
)
def test_malformed_frames_are_refused(frame):
    with pytest.raises(envelope.EnvelopeError) as error:
        envelope.parse(frame)
    assert error.value.reason == "malformed"


def test_receipts_are_signed_and_checked(keys):
    receipt = envelope.sign_receipt(
        package_id="0192f0c4-1c5e-7000-8000-000000000001",
        node="node.b",
        accepted=False,
        reason="bad_signature",
        detail="forged",
        digest="ab" * 32,
        at=NOW,
        key=keys["sender"],
    )
    parsed = envelope.parse_receipt(receipt.to_bytes())
    assert parsed == receipt
    envelope.verify_receipt(parsed, keys["sender"].public_key())
    forged = envelope.parse_receipt(
        receipt.to_bytes().replace(b'"accepted":false', b'"accepted":true')
    )
    with pytest.raises(envelope.EnvelopeError):
        envelope.verify_receipt(forged, keys["sender"].public_key())


def test_batches_round_trip_and_refuse_bad_framing():
    frames = [b"one", b"", b"three" * 1000]
    assert envelope.unpack_batch(envelope.pack_batch(frames), max_frames=10) == frames
    with pytest.raises(envelope.EnvelopeError):
        envelope.unpack_batch(envelope.pack_batch(frames)[:-1], max_frames=10)
    with pytest.raises(envelope.EnvelopeError):
        envelope.unpack_batch(envelope.pack_batch(frames), max_frames=2)
