"""Where a credential's private key is, turned into a pyHanko signer.

- `pkcs12`: the sealed PKCS#12 of the built-in authority (demo, tests).
- `pkcs11`: a key on a PKCS#11 device reachable from the server (the HSM; SoftHSM2 in tests).
- `workstation`: the key is on the official's USB token; only the signing agent can use it.
"""

from __future__ import annotations

from typing import Any

from pyhanko.sign import signers

from .models import Credential, KeyBackend
from .pki import credential_pkcs12


class KeyUnavailable(Exception):
    """The server cannot use this credential's key (it is on a workstation token, or the
    device is not configured)."""


def signer_for(credential: Credential, *, pin: str | None = None) -> Any:
    """A pyHanko `Signer` for the credential's key, with its certificate and chain."""
    if credential.backend == KeyBackend.PKCS12:
        return signers.SimpleSigner.load_pkcs12_data(credential_pkcs12(credential), other_certs=[])
    raise KeyUnavailable(credential.backend)
