"""Signing certificates of the demo province, from the built-in authority, idempotently.

Every named demo account (admin, clerk, leader, secretary, member, auditor, unitadmin) and every
official holding the leader role gets a personal certificate; every unit with a records clerk
gets its organization seal. So `sign_pdf --user leader` and the clerk's seal work on the demo
without further set-up. Keys are sealed PKCS#12 files (or in the HSM when
SECRETARIAT_SIGNING_PKCS11_MODULE is set), like any credential of the built-in authority.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from secretariat.accounts.models import Role, RoleGrant, User
from secretariat.orgs.models import Unit
from secretariat.signing import images, pki
from secretariat.signing.models import Credential, CredentialPurpose

from .images import seal_png, signature_png
from .province import NAMED_ACCOUNTS


def _writer(stdout: Any) -> Callable[[str], None]:
    if stdout is None:
        return lambda _line: None
    if callable(stdout):
        return stdout
    return lambda line: stdout.write(line + "\n")


def seed_signing(*, stdout: Any = None) -> None:
    """Give the demo people and units their certificates; a rerun issues only what is missing.
    `stdout`: a stream or a `log(line)` callable for the summary line."""
    say = _writer(stdout)
    named = {a.username for a in NAMED_ACCOUNTS}
    leaders = RoleGrant.objects.filter(role=Role.LEADER, revoked_at__isnull=True).values("user")
    people = (
        User.objects.filter(is_active=True)
        .filter(username__in=named)
        .union(User.objects.filter(is_active=True, pk__in=leaders))
    )
    clerk_units = Unit.objects.filter(
        pk__in=RoleGrant.objects.filter(role=Role.RECORDS_CLERK, revoked_at__isnull=True).values(
            "unit"
        )
    ).order_by("path")
    issued = 0
    with transaction.atomic():
        pki.authority()
        for user in sorted(people, key=lambda u: u.username):
            _credential, created = pki.ensure_credential(
                actor=None, purpose=CredentialPurpose.PERSONAL, user=user
            )
            issued += created
        seals = 0
        for unit in clerk_units:
            _credential, created = pki.ensure_credential(
                actor=None, purpose=CredentialPurpose.SEAL, unit=unit
            )
            issued += created
            seals += 1
    # Their visible signatures carry a drawn signature (blue) or the unit's seal (red).
    pictured = 0
    for credential in Credential.objects.filter(
        image__isnull=True,
        active=True,
        purpose__in=[CredentialPurpose.PERSONAL, CredentialPurpose.SEAL],
    ).select_related("user", "unit"):
        if credential.user is not None:
            picture = signature_png(credential.user.full_name or credential.user.username)
        elif credential.unit is not None:
            picture = seal_png(credential.unit.name)
        else:
            continue
        images.credential_set_image(actor=None, credential=credential, image=picture)
        pictured += 1
    say(
        f"signing certificates: {len(people)} people, {seals} seals ({issued} new, "
        f"{pictured} images)"
    )
