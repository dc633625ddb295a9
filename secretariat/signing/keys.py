"""Where a credential's private key is, turned into a pyHanko signer.

- `pkcs12`: the sealed PKCS#12 of the built-in authority (demo, tests).
- `pkcs11`: a key on a PKCS#11 device reachable from the server (the HSM; SoftHSM2 in tests),
  at `settings.SIGNING_PKCS11_MODULE`, on the token and under the key label the credential
  names, opened with the caller's PIN or `settings.SIGNING_HSM_PIN`.
- `workstation`: the key is on the official's USB token; only the signing agent can use it.

`open_signer` is the way to sign: it closes the PKCS#11 session when the block ends.
`raw_signer` gives the bare RSA/SHA-256 signature function the built-in time-stamp authority
needs (it builds its own CMS structure).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.sign import signers
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from secretariat.core.errors import Conflict

from . import pkcs11 as p11
from .models import Credential, KeyBackend
from .pki import authority_certificate_der, credential_pkcs12


class KeyUnavailable(Conflict):
    """The server cannot use this credential's key (it is on a workstation token, the device
    is not configured or absent, the PIN is wrong). The message is translated and can be shown
    to the user."""


def _device_message(error: p11.DeviceError) -> str:
    if isinstance(error, p11.WrongPin):
        return _("The key's device refused the PIN.")
    if isinstance(error, p11.ModuleUnavailable):
        return _("The signing device (PKCS#11 module) is not configured or cannot be loaded.")
    if isinstance(error, p11.TokenNotFound):
        return _("The token holding this key is not present.")
    if isinstance(error, p11.KeyNotFound):
        return _("The key of this certificate is not on its token.")
    return _("The signing device cannot be used.")


def _chain(credential: Credential) -> list[asn1_x509.Certificate]:
    if credential.issued_here:
        return [asn1_x509.Certificate.load(authority_certificate_der())]
    return []


def _check_usable(credential: Credential) -> None:
    if credential.backend == KeyBackend.WORKSTATION:
        raise KeyUnavailable(
            _("This key is on the official's own token: sign with the signing agent.")
        )
    if not credential.active or credential.revoked_at is not None:
        raise KeyUnavailable(_("This certificate is revoked or no longer active."))


def _pkcs11_location(credential: Credential) -> tuple[str, str, str]:
    module_path = settings.SIGNING_PKCS11_MODULE
    if not module_path:
        raise KeyUnavailable(
            _("The signing device (PKCS#11 module) is not configured or cannot be loaded.")
        )
    token_label = credential.pkcs11_token_label or settings.SIGNING_HSM_TOKEN_LABEL
    return module_path, token_label, credential.pkcs11_key_label


@contextlib.contextmanager
def _pkcs11_session(credential: Credential, pin: str | None) -> Iterator[Any]:
    module_path, token_label, key_label = _pkcs11_location(credential)
    try:
        with p11.session(
            module_path, token_label=token_label, pin=pin or settings.SIGNING_HSM_PIN
        ) as opened:
            p11.find_private_key(opened, label=key_label)
            yield opened
    except p11.DeviceError as error:
        raise KeyUnavailable(_device_message(error)) from error


def _pkcs11_signer(credential: Credential, opened: Any) -> PKCS11Signer:
    return PKCS11Signer(
        opened,
        key_label=credential.pkcs11_key_label,
        signing_cert=asn1_x509.Certificate.load(bytes(credential.certificate)),
        ca_chain=_chain(credential),
        other_certs_to_pull=(),
    )


@contextlib.contextmanager
def open_signer(credential: Credential, *, pin: str | None = None) -> Iterator[Any]:
    """A pyHanko `Signer` for the credential's key, with its certificate and chain, usable
    inside the block (a PKCS#11 session stays open until the block ends)."""
    _check_usable(credential)
    if credential.backend == KeyBackend.PKCS12:
        yield _pkcs12_signer(credential)
        return
    if credential.backend == KeyBackend.PKCS11:
        with _pkcs11_session(credential, pin) as opened:
            yield _pkcs11_signer(credential, opened)
        return
    raise KeyUnavailable(_("This key cannot be used by the server."))


def signer_for(credential: Credential, *, pin: str | None = None) -> Any:
    """A pyHanko `Signer` for the credential's key. Prefer `open_signer`: a PKCS#11 signer
    returned here keeps its session open until the signer is garbage-collected."""
    _check_usable(credential)
    if credential.backend == KeyBackend.PKCS12:
        return _pkcs12_signer(credential)
    if credential.backend == KeyBackend.PKCS11:
        manager = _pkcs11_session(credential, pin)
        opened = manager.__enter__()
        signer = _pkcs11_signer(credential, opened)
        weakref.finalize(signer, manager.__exit__, None, None, None)
        return signer
    raise KeyUnavailable(_("This key cannot be used by the server."))


# --- PKCS#12 (demo) ------------------------------------------------------------------------
# Unsealing and parsing a PKCS#12 costs milliseconds; the parsed key is kept in memory per
# credential (keyed by id and fingerprint, which never change for a row), as an HSM keeps its.

_PKCS12_CACHE_SIZE = 256
_pkcs12_cache: dict[tuple[str, str], tuple[rsa.RSAPrivateKey, Any]] = {}


def _pkcs12_material(credential: Credential) -> tuple[rsa.RSAPrivateKey, Any]:
    cache_key = (str(credential.id), credential.fingerprint)
    found = _pkcs12_cache.get(cache_key)
    if found is None:
        key, certificate, _extra = pkcs12.load_key_and_certificates(
            credential_pkcs12(credential), None
        )
        assert isinstance(key, rsa.RSAPrivateKey)
        assert certificate is not None
        if len(_pkcs12_cache) >= _PKCS12_CACHE_SIZE:
            _pkcs12_cache.clear()
        found = _pkcs12_cache[cache_key] = (key, certificate)
    return found


def _pkcs12_signer(credential: Credential) -> Any:
    key, _certificate = _pkcs12_material(credential)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(bytes(credential.certificate)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs(_chain(credential)),
    )


# --- Raw signatures ------------------------------------------------------------------------


@contextlib.contextmanager
def raw_signer(
    credential: Credential, *, pin: str | None = None
) -> Iterator[Callable[[bytes], bytes]]:
    """A function signing bytes with the credential's key, RSA PKCS#1 v1.5 with SHA-256."""
    _check_usable(credential)
    if credential.backend == KeyBackend.PKCS12:
        key, _certificate = _pkcs12_material(credential)
        yield lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return
    if credential.backend == KeyBackend.PKCS11:
        with _pkcs11_session(credential, pin) as opened:

            def sign(data: bytes) -> bytes:
                try:
                    return p11.sign_sha256(opened, label=credential.pkcs11_key_label, data=data)
                except p11.DeviceError as error:
                    raise KeyUnavailable(_device_message(error)) from error

            yield sign
        return
    raise KeyUnavailable(_("This key cannot be used by the server."))
