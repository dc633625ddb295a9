"""RFC 3161 time stamps: the client used when signing, and the node's built-in authority.

`timestamper()` is what the signing code calls: an HTTP client of `SIGNING_TSA_URL` when one is
configured, else the built-in authority in-process (so B-T and above work from commands with no
server running). The built-in authority is also served over HTTP (`/signing/tsa`).
"""

from __future__ import annotations

from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from . import pki
from .models import Credential, CredentialPurpose


def _tsa_credential() -> Credential:
    found = Credential.objects.filter(
        purpose=CredentialPurpose.TIMESTAMP, active=True, issued_here=True
    ).first()
    if found is not None:
        return found
    return pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.TIMESTAMP,
        subject=pki.subject_for(
            common_name=f"{settings.NODE_NAME} Time-Stamp Authority",
            organization=settings.NODE_NAME,
        ),
    )


def timestamper() -> Any:
    if settings.SIGNING_TSA_URL:
        return HTTPTimeStamper(settings.SIGNING_TSA_URL)
    from cryptography.hazmat.primitives.serialization import pkcs12

    credential = _tsa_credential()
    key, cert, _extra = pkcs12.load_key_and_certificates(pki.credential_pkcs12(credential), None)
    assert key is not None and cert is not None
    from cryptography.hazmat.primitives import serialization

    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        certs_to_embed=None,
    )
