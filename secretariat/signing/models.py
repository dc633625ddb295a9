"""Trust store, the built-in certification and time-stamp authorities, signing credentials and
the one-time sessions of the workstation signing agent (DOMAIN.md §4, DESIGN.md "Signing flows").

Signing sits below `documents` (DESIGN.md layers): it signs and validates PDF *bytes*. The apps
above decide which document version is signed and store the result.

Secrets kept here (the CA's private key, demo PKCS#12 files) are sealed with the node master key
(`core.keys.seal`), never stored in clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from secretariat.core.models import BaseModel
from secretariat.orgs.models import Unit

USER = settings.AUTH_USER_MODEL


class AnchorKind(models.TextChoices):
    ROOT = "root", _("Root certificate")
    INTERMEDIATE = "intermediate", _("Intermediate certificate")


class TrustAnchor(BaseModel):
    """A certificate an administrator declared trusted (roots) or useful to build chains
    (intermediates). Nothing is trusted implicitly: validation trusts exactly the active roots
    here (the built-in CA's root is added here when it is created, like any other)."""

    kind = models.CharField(max_length=16, choices=AnchorKind.choices)
    certificate = models.BinaryField()  # DER
    fingerprint = models.CharField(max_length=64, unique=True)  # SHA-256 of the DER, hex
    subject = models.CharField(max_length=500)
    issuer = models.CharField(max_length=500)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "subject"]

    def __str__(self) -> str:
        return self.subject


class Authority(BaseModel):
    """The node's built-in certification authority (one active row): issues certificates to
    users and units, publishes CRLs, answers OCSP. Its key is sealed by the master key."""

    name = models.CharField(max_length=200)
    certificate = models.BinaryField()  # DER
    sealed_key = models.BinaryField()  # PKCS#8 DER, sealed (core.keys.seal)
    crl_number = models.PositiveBigIntegerField(default=0)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class CredentialPurpose(models.TextChoices):
    PERSONAL = "personal", _("Personal signature")
    SEAL = "seal", _("Organization seal")
    TIMESTAMP = "timestamp", _("Time-stamp authority")
    NODE = "node", _("exchange node")


class KeyBackend(models.TextChoices):
    PKCS11 = "pkcs11", _("PKCS#11 device (HSM or token on the server)")
    WORKSTATION = "workstation", _("USB token on the official's workstation")
    PKCS12 = "pkcs12", _("Encrypted PKCS#12 file (demo only)")
    EXTERNAL = "external", _("Kept by its holder, not on this server (an exchange node's key)")


class Credential(BaseModel):
    """A certificate and where its private key is. A personal credential belongs to a user, a
    seal to a unit, the time-stamp authority's and an exchange node's to nobody. `issued_here`
    marks certificates of the built-in authority (which can revoke them); others were imported
    (e.g. the Government Cipher Committee's certificate on an official's token). An exchange
    node's key stays with the node (`backend="external"`): the row exists so that revocation
    and the CRL cover its certificate."""

    purpose = models.CharField(max_length=16, choices=CredentialPurpose.choices)
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="signing_credentials"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="signing_credentials"
    )
    certificate = models.BinaryField()  # DER
    fingerprint = models.CharField(max_length=64, unique=True)
    serial = models.CharField(max_length=64)  # hex
    subject = models.CharField(max_length=500)
    issuer = models.CharField(max_length=500)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    backend = models.CharField(max_length=16, choices=KeyBackend.choices)
    pkcs11_token_label = models.CharField(max_length=64, blank=True)
    pkcs11_key_label = models.CharField(max_length=64, blank=True)
    sealed_pkcs12 = models.BinaryField(null=True, blank=True)  # PKCS#12, sealed; demo only
    # The image drawn in the visible signature: a personal signature (blue on transparent) or
    # the organization's seal (red), PNG.
    image = models.BinaryField(null=True, blank=True)
    issued_here = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=32, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(user__isnull=False) & models.Q(unit__isnull=False)),
                name="signing_credential_one_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class SessionMode(models.TextChoices):
    PDF = "pdf", _("The agent downloads the PDF and uploads it signed")
    DIGEST = "digest", _("The PDF stays on the server; the agent signs its digest")


class SigningSession(BaseModel):
    """One signature by the workstation agent: one-time, short-lived, bound to a user and to
    what is signed (`purpose` + `subject_id`, e.g. "office.outgoing.personal" and a process id).
    The URLs handed to the agent carry a random token whose SHA-256 is stored here; the upload
    is accepted once. The app that opened the session is told of the result through the handler
    it registered for `purpose` (signing/hooks.py)."""

    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    mode = models.CharField(max_length=8, choices=SessionMode.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(max_length=200)
    pdf = models.BinaryField()  # the PDF to sign (mode pdf) or the prepared PDF (mode digest)
    prepared = models.JSONField(default=dict, blank=True)  # deferred-signing state, mode digest
    expires_at = models.DateTimeField()
    downloaded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.purpose}:{self.subject_id}"


class StampKind(models.TextChoices):
    PERSONAL = "personal", _("Personal signature")
    SEAL = "seal", _("Organization seal")


class StampPlacement(BaseModel):
    """Where the visible signature goes, per document type (its code, e.g. "quyet_dinh"; empty: every
    type without its own row). Coordinates in PDF points from the page's bottom left; page
    numbers from 1, negative from the end (-1: the last page). The seal has no row of its own
    by default: it covers the left third of the personal signature (DOMAIN.md §4)."""

    document_type = models.CharField(max_length=16, blank=True)
    kind = models.CharField(max_length=16, choices=StampKind.choices, default=StampKind.PERSONAL)
    page = models.SmallIntegerField(default=-1)
    x = models.FloatField()
    y = models.FloatField()
    width = models.FloatField()
    height = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document_type", "kind"], name="signing_one_placement")
        ]

    def __str__(self) -> str:
        return f"{self.document_type or '*'} {self.kind}"
