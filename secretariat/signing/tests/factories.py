"""Certificates of the built-in authority for tests of other apps."""

from __future__ import annotations

from typing import Any

from secretariat.signing import pki
from secretariat.signing.models import Credential, CredentialPurpose


def give_certificate(*, user: Any = None, unit: Any = None) -> Credential:
    """A personal certificate (user) or an organization seal (unit), its key sealed on the
    server (PKCS#12)."""
    if user is not None:
        return pki.issue_pkcs12_credential(
            actor=None,
            purpose=CredentialPurpose.PERSONAL,
            user=user,
            subject=pki.subject_for(common_name=user.full_name or user.username),
        )
    return pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.SEAL,
        unit=unit,
        subject=pki.subject_for(common_name=unit.name, organization=unit.name),
    )
