"""Mutual TLS between exchange nodes (DESIGN.md "Nodes and exchange").

A node's TLS key is its Ed25519 node key (`core.keys.node_signing_key`); its certificate is
issued by the federation CA, which in tests and standalone use is the built-in CA of the node
that operates the directory (`signing.pki`). Issued certificates are recorded as signing
credentials of purpose "node", so `pki.revoke` and `pki.crl_der()` cover them.

TLS 1.3 only: it is the version where Ed25519 certificates are usable (and the only one we need
between nodes running the same software).

Why keys go through a file: Python's `ssl` loads certificates and keys from files only. The key
is written encrypted under a one-time random password, to a memory-only file (`memfd`) where
the platform has one, else to a 0600 file in a private 0700 directory, removed as soon as
OpenSSL has read it. CRLs also need a file: `load_verify_locations(cadata=...)` reads
certificates only, while a PEM file given as `cafile` may hold certificates and CRLs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import transaction
from django.utils.translation import gettext as _

from secretariat.audit.services import record
from secretariat.core.errors import NotFound, ValidationFailed
from secretariat.signing import pki
from secretariat.signing.models import Credential, CredentialPurpose, KeyBackend

NODE_ORGANIZATION = "Secretariat exchange node"
NODE_VALIDITY_DAYS = 365
NODE_ID_MAX_LENGTH = 64
DEFAULT_PORT = 443

# The reason codes of `check_certificate`.
UNTRUSTED = "untrusted"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
REVOKED = "revoked"
WRONG_USAGE = "wrong_usage"
PROBLEMS = (UNTRUSTED, NOT_YET_VALID, EXPIRED, REVOKED, WRONG_USAGE)


# --- Addresses ---------------------------------------------------------------------------------


def parse_address(address: str) -> tuple[str, int]:
    """(host, port) of a node address `https://host[:port]` (IPv6 literals in brackets)."""
    try:
        parts = urlsplit(address.strip())
        port = parts.port or DEFAULT_PORT
    except ValueError as error:
        raise ValidationFailed(
            _("The node address must look like https://host:port."),
            field_errors={"address": []},
        ) from error
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationFailed(
            _("The node address must look like https://host:port."),
            field_errors={"address": []},
        )
    return parts.hostname, port


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# --- Issuing and revoking ----------------------------------------------------------------------


def node_subject(node_id: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, NODE_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, node_id),
        ]
    )


def node_id_of(certificate: x509.Certificate) -> str:
    """The node id a node certificate names (its common name); "" when it names none."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def issue_node_certificate(
    *,
    actor: Any,
    node_id: str,
    address: str,
    public_key: Ed25519PublicKey,
    valid_days: int = NODE_VALIDITY_DAYS,
    not_before: dt.datetime | None = None,
) -> x509.Certificate:
    """A TLS certificate of the built-in CA for a node's Ed25519 key: subject CN=node id, the
    address's host as subject alternative name, usable as TLS server and client. Recorded as a
    credential (no key kept here) so revocation and the CRL cover it.

    Composes in the caller's transaction (the directory certifies every node while it builds
    a directory), hence not durable."""
    pki.require_node_wide(actor)
    node_id = (node_id or "").strip()
    if not node_id or len(node_id) > NODE_ID_MAX_LENGTH:
        raise ValidationFailed(
            _("Give a node id of at most %(limit)d characters.") % {"limit": NODE_ID_MAX_LENGTH},
            field_errors={"node_id": []},
        )
    host, _port = parse_address(address)
    if not isinstance(public_key, Ed25519PublicKey):
        raise ValidationFailed(
            _("A node's key must be an Ed25519 public key."), field_errors={"public_key": []}
        )
    if not 1 <= valid_days <= pki.CA_VALIDITY_DAYS:
        raise ValidationFailed(_("The validity must be between 1 day and 20 years."))
    with transaction.atomic():
        certificate = pki.build_certificate(
            public_key=public_key,
            subject=node_subject(node_id),
            purpose=CredentialPurpose.NODE,
            valid_days=valid_days,
            not_before=not_before,
            alt_names=[host],
        )
        row = pki.credential_row(
            certificate,
            purpose=CredentialPurpose.NODE,
            backend=KeyBackend.EXTERNAL,
            issued_here=True,
        )
        row.save()
        record(
            actor=actor,
            action="exchange.node_certificate_issued",
            obj=row,
            data={
                "node": node_id,
                "address": address,
                "subject": row.subject,
                "serial": row.serial,
                "fingerprint": row.fingerprint,
                "not_after": row.not_after.isoformat(),
            },
        )
    return certificate


def node_credential(certificate: x509.Certificate) -> Credential | None:
    """The credential row of a node certificate issued here, if any."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Credential.objects.filter(
        fingerprint=pki.fingerprint(der), purpose=CredentialPurpose.NODE
    ).first()


def revoke_node_certificate(
    *, actor: Any, certificate: x509.Certificate, reason: str = "unspecified"
) -> None:
    """Revoke a node certificate of the built-in CA: the next CRL lists it, and peers that
    load that CRL refuse the node's handshakes. Durable (pki.revoke): call it from a view,
    a command or a task, not inside another transaction."""
    row = node_credential(certificate)
    if row is None:
        raise NotFound(_("This exchange node certificate was not issued here."))
    pki.revoke(actor=actor, credential=row, reason=reason)


# --- Checking a peer's certificate ------------------------------------------------------------


def check_certificate(
    certificate: x509.Certificate,
    *,
    ca_certificates: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    at: dt.datetime,
) -> str | None:
    """None when `certificate` is a valid node certificate at `at`, else why not: "untrusted"
    (not issued by one of the CAs, or its signature does not verify), "wrong_usage" (not for
    both TLS client and server), "not_yet_valid", "expired", "revoked" (listed by a CRL that
    its CA signed, revoked at or before `at`).

    A CA without a CRL here is not an error: the caller decides whether revocation must be
    known (the TLS layer, given CRLs, insists on one per CA)."""
    issuer = next((ca for ca in ca_certificates if _issued_by(certificate, ca)), None)
    if issuer is None:
        return UNTRUSTED
    if not _fit_for_tls(certificate):
        return WRONG_USAGE
    if at < certificate.not_valid_before_utc:
        return NOT_YET_VALID
    if at > certificate.not_valid_after_utc:
        return EXPIRED
    for crl in crls:
        if crl.issuer != issuer.subject or not _crl_signed_by(crl, issuer):
            continue
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is not None and entry.revocation_date_utc <= at:
            return REVOKED
    return None


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except Exception:  # any failure (names, algorithm, signature) means "not issued by it"
        return False
    return True


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _fit_for_tls(certificate: x509.Certificate) -> bool:
    extensions = certificate.extensions
    with contextlib.suppress(x509.ExtensionNotFound):
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    with contextlib.suppress(x509.ExtensionNotFound):
        if not extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            return False
    try:
        usages = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.SERVER_AUTH in usages and ExtendedKeyUsageOID.CLIENT_AUTH in usages


# --- SSL contexts ------------------------------------------------------------------------------


class NodeContext(ssl.SSLContext):
    """An SSLContext that remembers the certificate it presents and what it trusts. Servers
    under asyncio or uvloop close a refused connection without sending the TLS alert that says
    why, so the client explains a refusal by checking its own certificate
    (`transport.TransportError` "our_certificate_*")."""

    certificate: x509.Certificate | None = None
    ca_certificates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()


def ssl_context(
    *,
    server: bool,
    certificate_pem: bytes,
    key: Ed25519PrivateKey,
    ca_pems: Sequence[bytes],
    crl_ders: Sequence[bytes],
) -> NodeContext:
    """A TLS 1.3 context for the exchange: presents `certificate_pem` (the node certificate,
    then any intermediates) with `key`; requires the peer's certificate and trusts exactly the
    CAs of `ca_pems` (never the system store). Given CRLs, the peer's certificate is checked
    against them, and then every CA that issues peers needs its CRL here, still current (a
    missing or expired CRL refuses the handshake: refresh the directory).

    A client context checks the server's name against the host of the address it dials, so
    the server certificate's SAN must name it (an IP address SAN for an IP address)."""
    certificates = _load_pem_certificates(certificate_pem, what=_("node certificate"))
    authorities = [
        cert for pem in ca_pems for cert in _load_pem_certificates(pem, what=_("CA certificate"))
    ]
    if not authorities:
        raise ValidationFailed(_("Give at least one CA certificate to trust."))
    crls = [_load_crl(der) for der in crl_ders]

    context = NodeContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    context.certificate = certificates[0]
    context.ca_certificates = tuple(authorities)
    context.crls = tuple(crls)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    if server:
        # The client waits for these tickets right after its handshake (transport.py): they
        # say the server accepted the client's certificate.
        context.num_tickets = 2
    else:
        context.check_hostname = True
    pem = serialization.Encoding.PEM
    chain = b"".join(cert.public_bytes(pem) for cert in certificates)
    password = secrets.token_bytes(32)
    encrypted_key = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(password)
    )
    with _private_file(chain + encrypted_key) as path:
        try:
            context.load_cert_chain(path, password=password)
        except ssl.SSLError as error:
            raise ValidationFailed(
                _("The node certificate does not belong to the node's key.")
            ) from error
    trust = b"".join(cert.public_bytes(pem) for cert in authorities)
    trust += b"".join(crl.public_bytes(pem) for crl in crls)
    with _private_file(trust) as path:
        context.load_verify_locations(cafile=path)
    if crls:
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return context


def _load_pem_certificates(data: bytes, *, what: str) -> list[x509.Certificate]:
    try:
        found = x509.load_pem_x509_certificates(bytes(data))
    except ValueError as error:
        raise ValidationFailed(
            _("The %(what)s is not a PEM certificate.") % {"what": what}
        ) from error
    return found


def _load_crl(data: bytes) -> x509.CertificateRevocationList:
    data = bytes(data)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data.strip())
        return x509.load_der_x509_crl(data)
    except ValueError as error:
        raise ValidationFailed(_("A revocation list (CRL) cannot be read.")) from error


@contextlib.contextmanager
def _private_file(data: bytes) -> Iterator[str]:
    """A path OpenSSL can open, holding `data`, readable by this process only and gone when
    the block ends: a memory-only file on Linux, else a 0600 file in a fresh 0700 directory."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None and os.path.isdir("/proc/self/fd"):
        fd = memfd_create("secretariat-tls", getattr(os, "MFD_CLOEXEC", 0))
        try:
            _write_all(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    directory = tempfile.mkdtemp(prefix="secretariat-tls-")  # mode 0700
    try:
        path = os.path.join(directory, "material.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
