"""PKCS#11 devices: the HSM in the data center, a USB token, SoftHSM2 in tests and the demo.

One place opens sessions, generates key pairs on a device (the private key never leaves it),
reads public keys and writes certificate objects next to their keys (same label and CKA_ID, which
is how pyHanko's `PKCS11Signer` and the officials' desktop tools find the pair).

Errors of the device are turned into `DeviceError` subclasses that say what is wrong in words an
operator understands; `keys` turns them into `KeyUnavailable` for users. PINs are never logged
nor kept beyond the call.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11_errors
from pkcs11.util.x509 import decode_x509_certificate


class DeviceError(Exception):
    """The device cannot do what was asked (not configured, absent, refused)."""


class ModuleUnavailable(DeviceError):
    """The PKCS#11 module (the .so file) cannot be loaded."""


class TokenNotFound(DeviceError):
    """No token with that label is present."""


class WrongPin(DeviceError):
    """The token refused the PIN (or it is locked)."""


class KeyNotFound(DeviceError):
    """No private key with that label on the token."""


# python-pkcs11 initialises a module with C_Initialize(NULL): the module may then assume it is
# never called from two threads at once (SoftHSM2 indeed turns its own locking off and aborts the
# process when two threads sign together). Every call into a module therefore holds this lock —
# for one call only, never across a session, so a thread waiting on another (a signature whose
# time stamp comes from this same process over HTTP) cannot deadlock.
_lock = threading.RLock()


class Locked:
    """A python-pkcs11 session or object whose every call into the module holds `_lock`.
    Searches are read to the end inside the lock; objects they return are wrapped too. It
    stands in for the session given to pyHanko's `PKCS11Signer` (which signs from a thread of
    its own)."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        with _lock:
            value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            with _lock:
                return _wrap(value(*args, **kwargs))

        return call

    def __getitem__(self, key: Any) -> Any:
        with _lock:
            return self._target[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        with _lock:
            self._target[key] = value


def _wrap(result: Any) -> Any:
    if isinstance(result, pkcs11.types.Object):
        return Locked(result)
    if isinstance(result, tuple):
        return tuple(_wrap(item) for item in result)
    if isinstance(result, Iterator):  # searches (Cython generators)
        return [_wrap(item) for item in result]
    return result


def module(path: str) -> Any:
    """The loaded PKCS#11 library at `path` (loaded once per process)."""
    if not path:
        raise ModuleUnavailable("no PKCS#11 module is configured")
    try:
        with _lock:
            return pkcs11.lib(path)
    except (OSError, RuntimeError) as error:
        raise ModuleUnavailable(f"the PKCS#11 module {path} cannot be loaded: {error}") from error


def rescan(path: str) -> None:
    """Make the library see tokens created by another process since it was initialised (SoftHSM2
    reads its token directory, and the `SOFTHSM2_CONF` file, when initialised). This closes every
    open session of this module in the process: only tests and set-up tools call it."""
    lib = module(path)
    with _lock:
        lib.reinitialize()
        # Every session, the logins' included, ended with the reinitialisation.
        for key in [k for k in _logins if k[0] == path]:
            del _logins[key]


# --- Logins ------------------------------------------------------------------------------------
# PKCS#11 logs in an application, not a session: every session of a process on a token shares
# one login, a second C_Login fails (CKR_USER_ALREADY_LOGGED_IN) and the C_Logout of any session
# logs them all out. So the first use of a token opens one session that logs in and stays open
# (the "login"); working sessions open without a PIN, share that login, and close without
# logging anyone out. Signing with an HSM key while the time-stamp authority signs with another
# key of the same HSM, or two requests signing at once, then just work.


@dataclass
class _Login:
    session: Any
    pin_digest: bytes


_logins: dict[tuple[str, str], _Login] = {}


def _digest(pin: str) -> bytes:
    return hashlib.sha256(pin.encode("utf-8")).digest()


def _open(token: Any, *, pin: str | None, rw: bool) -> Any:
    try:
        return token.open(user_pin=pin, rw=rw) if pin is not None else token.open(rw=rw)
    except (
        p11_errors.PinIncorrect,
        p11_errors.PinInvalid,
        p11_errors.PinLenRange,
        p11_errors.ArgumentsBad,
    ) as error:
        raise WrongPin("the token refused the PIN") from error
    except p11_errors.PinLocked as error:
        raise WrongPin("the token's PIN is locked") from error
    except p11_errors.UserAlreadyLoggedIn:
        raise
    except p11_errors.PKCS11Error as error:
        raise DeviceError(f"the token cannot be opened: {type(error).__name__}") from error


def _ensure_login(path: str, token: Any, token_label: str, pin: str) -> None:
    """Log this process in to the token with `pin`, unless it already is with that PIN."""
    key = (path, token_label)
    digest = _digest(pin)
    with _lock:
        found = _logins.get(key)
        if found is not None:
            if hmac.compare_digest(found.pin_digest, digest):
                return
            # Another PIN than the one logged in with: check it by logging in again.
            del _logins[key]
            with contextlib.suppress(p11_errors.PKCS11Error):
                found.session.close()
        # UserAlreadyLoggedIn: logged in by a session this module did not open (a pyHanko
        # signing context of the same process): the token is unlocked, and its PIN cannot be
        # checked again here.
        with contextlib.suppress(p11_errors.UserAlreadyLoggedIn):
            _logins[key] = _Login(session=_open(token, pin=pin, rw=False), pin_digest=digest)


def forget_login(path: str, token_label: str) -> None:
    """Log out of the token (closing the login session), e.g. before handing the token to
    code that logs in by itself."""
    with _lock:
        found = _logins.pop((path, token_label), None)
        if found is not None:
            with contextlib.suppress(p11_errors.PKCS11Error):
                found.session.close()


@contextlib.contextmanager
def session(path: str, *, token_label: str, pin: str, rw: bool = False) -> Iterator[Any]:
    """A session on the token labelled `token_label`, logged in with `pin`, closed on exit."""
    lib = module(path)
    with _lock:
        try:
            token = lib.get_token(token_label=token_label)
        except p11_errors.NoSuchToken as error:
            raise TokenNotFound(f"no token labelled {token_label!r}") from error
        except p11_errors.MultipleTokensReturned as error:
            raise TokenNotFound(f"several tokens are labelled {token_label!r}") from error
        _ensure_login(path, token, token_label, pin)
        opened = Locked(_open(token, pin=None, rw=rw))
    try:
        yield opened
    finally:
        with contextlib.suppress(p11_errors.PKCS11Error):
            opened.close()


def key_id_for(public_key: rsa.RSAPublicKey) -> bytes:
    """The CKA_ID of a key pair: its subject key identifier (SHA-1 of the public key), the
    usual convention, so certificate and key objects pair up on any tool."""
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest


def _public_key_of(p11_public: Any) -> rsa.RSAPublicKey:
    modulus = int.from_bytes(p11_public[Attribute.MODULUS], "big")
    exponent = int.from_bytes(p11_public[Attribute.PUBLIC_EXPONENT], "big")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def generate_rsa_key(opened: Any, *, label: str, bits: int = 2048) -> rsa.RSAPublicKey:
    """A new RSA key pair on the device (private key sensitive and not extractable). Returns
    the public key; both objects carry `label` and the CKA_ID of `key_id_for`."""
    if find_private_key(opened, label=label, required=False) is not None:
        raise DeviceError(f"a key labelled {label!r} already exists on the token")
    public, private = opened.generate_keypair(
        KeyType.RSA,
        bits,
        label=label,
        store=True,
        public_template={Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False},
        private_template={
            Attribute.SIGN: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
        },
    )
    public_key = _public_key_of(public)
    key_id = key_id_for(public_key)
    public[Attribute.ID] = key_id
    private[Attribute.ID] = key_id
    return public_key


def find_private_key(opened: Any, *, label: str, required: bool = True) -> Any:
    found = list(
        opened.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label})
    )
    if len(found) == 1:
        return found[0]
    if not found and not required:
        return None
    if not found:
        raise KeyNotFound(f"no private key labelled {label!r} on the token")
    raise KeyNotFound(f"several private keys are labelled {label!r} on the token")


def public_key(opened: Any, *, label: str) -> rsa.RSAPublicKey:
    """The public key of the pair labelled `label`."""
    found = list(
        opened.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: label})
    )
    if len(found) != 1:
        raise KeyNotFound(f"no single public key labelled {label!r} on the token")
    return _public_key_of(found[0])


def store_certificate(opened: Any, *, label: str, certificate_der: bytes) -> None:
    """Write the certificate as a token object next to its key (same label and CKA_ID),
    replacing an older certificate with that label."""
    for old in opened.get_objects(
        {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}
    ):
        old.destroy()
    certificate = x509.load_der_x509_certificate(certificate_der)
    public = certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    template = decode_x509_certificate(certificate_der)
    template.update(
        {
            Attribute.TOKEN: True,
            Attribute.LABEL: label,
            Attribute.ID: key_id_for(public),
            Attribute.PRIVATE: False,
        }
    )
    opened.create_object(template)


def destroy_key_pair(opened: Any, *, label: str) -> None:
    """Remove every object labelled `label` (key pair and certificate): undoes a generation
    whose certificate could not be recorded."""
    for object_class in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY, ObjectClass.CERTIFICATE):
        for found in opened.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: label}):
            found.destroy()


def read_certificate(opened: Any, *, label: str) -> bytes | None:
    found = list(
        opened.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label})
    )
    return bytes(found[0][Attribute.VALUE]) if len(found) == 1 else None


def sign_sha256(opened: Any, *, label: str, data: bytes) -> bytes:
    """RSA PKCS#1 v1.5 signature with SHA-256 of `data` by the key labelled `label`."""
    key = find_private_key(opened, label=label)
    try:
        return bytes(key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
    except p11_errors.PKCS11Error as error:
        raise DeviceError(f"the token refused to sign: {type(error).__name__}") from error
