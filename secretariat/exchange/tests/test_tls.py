"""Node certificates of the built-in CA, the application-level check of a peer's certificate,
and the TLS contexts (handshakes run in memory here; over sockets in test_transport.py).

The helpers without a `test_` prefix build TLS material for other tests too."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import stat
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import NotFound, PermissionDenied, ValidationFailed
from secretariat.exchange import tls
from secretariat.signing import pki
from secretariat.signing.models import Credential, CredentialPurpose, KeyBackend

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


@dataclass
class Node:
    node_id: str
    key: Ed25519PrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(PEM)

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(DER)


def make_node(node_id: str = "node-a", address: str = "https://127.0.0.1:9443", **kw: Any) -> Node:
    """A node key and its certificate from the built-in CA (of the test database)."""
    key = Ed25519PrivateKey.generate()
    certificate = tls.issue_node_certificate(
        actor=None, node_id=node_id, address=address, public_key=key.public_key(), **kw
    )
    return Node(node_id, key, certificate)


def ca_pem() -> bytes:
    return pki.authority_certificate().public_bytes(PEM)


def crl_der() -> bytes:
    return pki.crl_der()


@dataclass
class ForeignCA:
    """A CA that is not the federation's: same kind of certificates, another key."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: x509.Name | None = None) -> ForeignCA:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Foreign Root CA")])
        now = clock.now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def node(self, node_id: str = "intruder", host: str = "127.0.0.1") -> Node:
        key = Ed25519PrivateKey.generate()
        now = clock.now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(tls.node_subject(node_id))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        return Node(node_id, key, certificate)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(PEM)


def context_for(
    node: Node, *, server: bool, crls: bool = False, cas: tuple[bytes, ...] | None = None
) -> ssl.SSLContext:
    return tls.ssl_context(
        server=server,
        certificate_pem=node.pem,
        key=node.key,
        ca_pems=cas if cas is not None else (ca_pem(),),
        crl_ders=(crl_der(),) if crls else (),
    )


def handshake(
    client: ssl.SSLContext, server: ssl.SSLContext, *, server_hostname: str = "127.0.0.1"
) -> tuple[ssl.SSLObject, ssl.SSLObject]:
    """A TLS handshake in memory; the first side that refuses raises its ssl error."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_end = client.wrap_bio(to_client, to_server, server_hostname=server_hostname)
    server_end = server.wrap_bio(to_server, to_client, server_side=True)
    done = {"client": False, "server": False}
    for _round in range(10):
        for name, end in (("client", client_end), ("server", server_end)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        if all(done.values()):
            return client_end, server_end
    raise AssertionError("the handshake did not finish")


# --- Issuing ---------------------------------------------------------------------------------


def test_node_certificate_names_the_node_and_its_host_and_serves_both_tls_roles(db: Any) -> None:
    node = make_node("hanoi-central", "https://127.0.0.1:9443")
    cert = node.certificate
    assert tls.node_id_of(cert) == "hanoi-central"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Secretariat exchange node"
    )
    assert isinstance(cert.public_key(), Ed25519PublicKey)
    assert cert.public_key() == node.key.public_key()
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usage) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert key_usage.digital_signature
    assert not key_usage.content_commitment
    cert.verify_directly_issued_by(pki.authority_certificate())
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 365


def test_a_host_name_address_gives_a_dns_name(db: Any) -> None:
    cert = make_node("lamdong", "https://exchange.lamdong.example:8443").certificate
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["exchange.lamdong.example"]
    assert san.get_values_for_type(x509.IPAddress) == []


def test_issuing_records_a_revocable_credential_without_a_key_and_an_audit_event(
    db: Any,
) -> None:
    node = make_node("node-b")
    row = Credential.objects.get(fingerprint=pki.fingerprint(node.der))
    assert row.purpose == CredentialPurpose.NODE
    assert row.backend == KeyBackend.EXTERNAL
    assert row.issued_here
    assert row.user is None
    assert row.unit is None
    assert not row.sealed_pkcs12
    event = AuditEvent.objects.get(action="exchange.node_certificate_issued")
    assert event.object_id == str(row.pk)
    assert event.data["node"] == "node-b"
    assert event.data["serial"] == format(node.certificate.serial_number, "x")


def test_only_node_wide_signing_managers_issue_node_certificates(tree: Any, make_user: Any) -> None:
    clerk = make_user("clerk")
    with pytest.raises(PermissionDenied):
        tls.issue_node_certificate(
            actor=clerk,
            node_id="node-c",
            address="https://127.0.0.1:9443",
            public_key=Ed25519PrivateKey.generate().public_key(),
        )
    assert not Credential.objects.filter(purpose=CredentialPurpose.NODE).exists()


@pytest.mark.parametrize(
    ("node_id", "address"),
    [
        ("", "https://127.0.0.1:9443"),
        ("x" * 65, "https://127.0.0.1:9443"),
        ("node", "http://127.0.0.1:9443"),
        ("node", "127.0.0.1:9443"),
        ("node", "https://:9443"),
        ("node", "https://127.0.0.1:notaport"),
    ],
)
def test_bad_node_ids_and_addresses_are_refused(db: Any, node_id: str, address: str) -> None:
    with pytest.raises(ValidationFailed):
        tls.issue_node_certificate(
            actor=None,
            node_id=node_id,
            address=address,
            public_key=Ed25519PrivateKey.generate().public_key(),
        )


def test_signing_services_do_not_issue_node_credentials(db: Any) -> None:
    with pytest.raises(ValidationFailed, match="exchange directory"):
        pki.issue_credential(actor=None, purpose=CredentialPurpose.NODE)
    with pytest.raises(ValidationFailed, match="no holder"):
        pki._check_holder(CredentialPurpose.NODE, None, pki.Unit(name="x"))


def test_revoking_a_node_certificate_puts_it_on_the_crl(db: Any) -> None:
    node = make_node()
    tls.revoke_node_certificate(actor=None, certificate=node.certificate, reason="superseded")
    crl = x509.load_der_x509_crl(pki.crl_der())
    entry = crl.get_revoked_certificate_by_serial_number(node.certificate.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.superseded
    )
    assert AuditEvent.objects.filter(action="signing.credential_revoked").count() == 1


def test_revoking_an_unknown_certificate_says_so(db: Any) -> None:
    with pytest.raises(NotFound):
        tls.revoke_node_certificate(actor=None, certificate=ForeignCA.create().node().certificate)


# --- Checking a peer's certificate -----------------------------------------------------------


def _check(cert: x509.Certificate, at: dt.datetime | None = None, **kw: Any) -> str | None:
    options: dict[str, Any] = {
        "ca_certificates": [pki.authority_certificate()],
        "crls": [x509.load_der_x509_crl(pki.crl_der())],
        "at": at or clock.now(),
    }
    options.update(kw)
    return tls.check_certificate(cert, **options)


def test_a_current_node_certificate_of_the_ca_passes(db: Any) -> None:
    assert _check(make_node().certificate) is None


def test_a_certificate_of_another_ca_is_untrusted(db: Any) -> None:
    assert _check(ForeignCA.create().node().certificate) == "untrusted"


def test_a_forged_ca_with_the_same_name_is_untrusted(db: Any) -> None:
    forger = ForeignCA.create(name=pki.authority_certificate().subject)
    assert forger.node().certificate.issuer == pki.authority_certificate().subject
    assert _check(forger.node().certificate) == "untrusted"


def test_validity_period_is_checked_at_the_given_time(db: Any) -> None:
    now = clock.now()
    future = make_node(not_before=now + dt.timedelta(days=2)).certificate
    assert _check(future) == "not_yet_valid"
    assert _check(future, at=now + dt.timedelta(days=3)) is None
    expired = make_node(not_before=now - dt.timedelta(days=40), valid_days=30).certificate
    assert _check(expired) == "expired"
    assert _check(expired, at=now - dt.timedelta(days=35)) is None


def test_a_revoked_certificate_is_revoked_from_its_revocation_on(db: Any) -> None:
    node = make_node()
    before = clock.now() - dt.timedelta(seconds=5)
    tls.revoke_node_certificate(actor=None, certificate=node.certificate)
    assert _check(node.certificate) == "revoked"
    assert _check(node.certificate, at=before) is None
    assert _check(node.certificate, crls=[]) is None  # no CRL here: revocation is unknown


def test_a_crl_not_signed_by_the_ca_is_ignored(db: Any) -> None:
    node = make_node()
    forger = ForeignCA.create(name=pki.authority_certificate().subject)
    now = clock.now()
    forged = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.authority_certificate().subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(days=1))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(node.certificate.serial_number)
            .revocation_date(now - dt.timedelta(minutes=1))
            .build()
        )
        .sign(forger.key, hashes.SHA256())
    )
    assert _check(node.certificate, crls=[forged]) is None


def test_a_certificate_for_another_use_is_wrong_usage(db: Any) -> None:
    personal = pki.build_certificate(
        public_key=Ed25519PrivateKey.generate().public_key(),
        subject=tls.node_subject("someone"),
        purpose=CredentialPurpose.PERSONAL,
    )
    assert _check(personal) == "wrong_usage"
    assert _check(pki.authority_certificate()) == "wrong_usage"  # a CA is no node


# --- SSL contexts -----------------------------------------------------------------------------


def test_contexts_require_tls13_and_the_peer_certificate_and_trust_only_the_given_cas(
    db: Any,
) -> None:
    node = make_node()
    for server in (True, False):
        context = context_for(node, server=server)
        assert context.minimum_version == ssl.TLSVersion.TLSv1_3
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.get_ca_certs(binary_form=True) == [pki.authority_certificate_der()]
        assert not context.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
    assert context_for(node, server=False).check_hostname
    assert context_for(node, server=True, crls=True).verify_flags & ssl.VERIFY_CRL_CHECK_LEAF


def test_ed25519_certificates_of_the_rsa_ca_complete_a_mutual_tls13_handshake(db: Any) -> None:
    server_node, client_node = make_node("server"), make_node("client")
    client, server = handshake(
        context_for(client_node, server=False), context_for(server_node, server=True, crls=True)
    )
    assert client.version() == server.version() == "TLSv1.3"
    assert server.getpeercert(binary_form=True) == client_node.der
    assert client.getpeercert(binary_form=True) == server_node.der


def test_the_server_refuses_a_revoked_client_when_given_the_crl(db: Any) -> None:
    server_node, client_node = make_node("server"), make_node("client")
    tls.revoke_node_certificate(actor=None, certificate=client_node.certificate)
    client = context_for(client_node, server=False)
    with pytest.raises(ssl.SSLCertVerificationError, match="revoked"):
        handshake(client, context_for(server_node, server=True, crls=True))
    handshake(client, context_for(server_node, server=True))  # no CRL: not known revoked


def test_the_client_checks_the_servers_name(db: Any) -> None:
    server_node = make_node("server", "https://127.0.0.1:9443")
    client = context_for(make_node("client"), server=False)
    server = context_for(server_node, server=True)
    handshake(client, server, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(client, server, server_hostname="127.0.0.2")


def test_a_certificate_that_is_not_the_keys_is_refused(db: Any) -> None:
    node = make_node()
    with pytest.raises(ValidationFailed, match="does not belong"):
        tls.ssl_context(
            server=True,
            certificate_pem=node.pem,
            key=Ed25519PrivateKey.generate(),
            ca_pems=[ca_pem()],
            crl_ders=[],
        )


def test_unreadable_material_is_refused_clearly(db: Any) -> None:
    node = make_node()
    base: dict[str, Any] = {
        "server": True,
        "certificate_pem": node.pem,
        "key": node.key,
        "ca_pems": [ca_pem()],
        "crl_ders": [],
    }
    with pytest.raises(ValidationFailed, match="not a PEM certificate"):
        tls.ssl_context(**{**base, "certificate_pem": b"junk"})
    with pytest.raises(ValidationFailed, match="at least one CA"):
        tls.ssl_context(**{**base, "ca_pems": []})
    with pytest.raises(ValidationFailed, match="CRL"):
        tls.ssl_context(**{**base, "crl_ders": [b"junk"]})


@pytest.mark.parametrize("memory_only", [True, False])
def test_key_material_lives_in_a_private_file_only_while_loading(
    monkeypatch: pytest.MonkeyPatch, memory_only: bool
) -> None:
    if not memory_only:
        monkeypatch.delattr(os, "memfd_create", raising=False)  # a platform without memfd
    with tls._private_file(b"secret") as path:
        with open(path, "rb") as handle:
            assert handle.read() == b"secret"
        if not memory_only:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert not os.path.exists(path)
