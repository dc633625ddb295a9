"""The official's USB token through its PKCS#11 module (python-pkcs11).

The private key never leaves the token: the agent logs in with the PIN, finds the signing key and
the certificate stored next to it (same CKA_ID, or same label), and asks the token to sign
(CKM_SHA256_RSA_PKCS). The PIN is used for the login only; it is never kept nor printed.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11 import exceptions as p11

from .errors import AgentError


@dataclass(frozen=True)
class TokenConfig:
    module: str  # path of the PKCS#11 library (.so / .dll)
    token_label: str | None = None  # None: the only token present
    key_label: str | None = None  # None: the only signing key on the token


@dataclass
class OpenToken:
    session: Any
    key: Any
    key_id: bytes | None
    key_label: str
    certificate_der: bytes

    @property
    def certificate_sha256(self) -> str:
        return hashlib.sha256(self.certificate_der).hexdigest()

    def sign_sha256_rsa(self, data: bytes) -> bytes:
        """PKCS#1 v1.5 signature over SHA-256 of `data`, computed by the token."""
        try:
            return bytes(self.key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
        except p11.PKCS11Error as error:
            raise AgentError("token", f"The token could not sign: {_name(error)}.") from error


def _name(error: Exception) -> str:
    return type(error).__name__


def _library(module: str) -> Any:
    if not module:
        raise AgentError(
            "module",
            "No PKCS#11 module is configured: give --module (the token's library, e.g."
            " /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so).",
        )
    try:
        return pkcs11.lib(module)
    except (OSError, RuntimeError, p11.PKCS11Error) as error:
        raise AgentError(
            "module", f"The PKCS#11 module {module} cannot be loaded ({error})."
        ) from error


def _token(library: Any, label: str | None) -> Any:
    try:
        if label:
            return library.get_token(token_label=label)
        tokens = list(library.get_tokens())
    except p11.NoSuchToken as error:
        raise AgentError(
            "token_not_found", f"No token labelled “{label}” is plugged in."
        ) from error
    except p11.PKCS11Error as error:
        raise AgentError("token", f"The token cannot be read: {_name(error)}.") from error
    if not tokens:
        raise AgentError("token_not_found", "No token is plugged in.")
    if len(tokens) > 1:
        labels = ", ".join(sorted(str(t.label) for t in tokens))
        raise AgentError(
            "token_not_found",
            f"Several tokens are plugged in ({labels}): choose one with --token-label.",
        )
    return tokens[0]


def _login(token: Any, pin: str) -> Any:
    try:
        return token.open(user_pin=pin)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as error:
        raise AgentError("pin_incorrect", "The PIN is incorrect.") from error
    except p11.PinLocked as error:
        raise AgentError(
            "pin_locked",
            "The token is locked after too many wrong PINs: ask for it to be unlocked.",
        ) from error
    except p11.PinExpired as error:
        raise AgentError("pin_locked", "The token's PIN has expired: change it first.") from error
    except p11.PKCS11Error as error:
        raise AgentError("token", f"The token refused the login: {_name(error)}.") from error


def _attribute(obj: Any, attribute: Attribute) -> Any:
    try:
        return obj[attribute]
    except (p11.PKCS11Error, KeyError):
        return None


def _key_and_certificate(session: Any, key_label: str | None) -> tuple[Any, bytes]:
    template: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
    if key_label:
        template[Attribute.LABEL] = key_label
    keys = list(session.get_objects(template))
    if not keys:
        where = f" labelled “{key_label}”" if key_label else ""
        raise AgentError("key_not_found", f"No private key{where} is on the token.")
    if len(keys) > 1:
        raise AgentError(
            "key_not_found", "Several keys are on the token: choose one with --key-label."
        )
    key = keys[0]
    certificate = None
    key_id = _attribute(key, Attribute.ID)
    if key_id:
        certificate = next(
            iter(
                session.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id}
                )
            ),
            None,
        )
    label = _attribute(key, Attribute.LABEL)
    if certificate is None and label:
        certificate = next(
            iter(
                session.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}
                )
            ),
            None,
        )
    if certificate is None:
        raise AgentError("key_not_found", "The key's certificate is not on the token.")
    return key, bytes(certificate[Attribute.VALUE])


@contextmanager
def open_token(config: TokenConfig, pin: str) -> Iterator[OpenToken]:
    """Log in to the token with `pin`; the session is closed when the block ends."""
    token = _token(_library(config.module), config.token_label)
    session = _login(token, pin)
    try:
        key, certificate_der = _key_and_certificate(session, config.key_label)
        key_id = _attribute(key, Attribute.ID)
        yield OpenToken(
            session=session,
            key=key,
            key_id=bytes(key_id) if key_id else None,
            key_label=str(_attribute(key, Attribute.LABEL) or ""),
            certificate_der=certificate_der,
        )
    finally:
        with contextlib.suppress(p11.PKCS11Error):
            session.close()
