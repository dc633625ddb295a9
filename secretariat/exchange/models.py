"""Exchange tables: this node's identity, the directory of nodes, and the message log (outbox,
inbox, quarantine). Every package sent or received has a row here with its digest."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from secretariat.core.models import BaseModel
from secretariat.documents.models import Document


class NodeIdentity(BaseModel):
    """This installation as a node (one row). The signing key is the node key
    (`core.keys.node_signing_key`); the X25519 key that packages are encrypted to is kept here,
    sealed by the master key. The TLS certificate comes from the federation's directory."""

    node_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=200)  # https://host:port of the exchange listener
    encryption_key_sealed = models.BinaryField()
    encryption_public = models.CharField(max_length=64)  # hex, raw X25519
    # The directory authority this node trusts (Ed25519 public key, hex); pinned on first import.
    directory_authority = models.CharField(max_length=64, blank=True)


class Directory(BaseModel):
    """A signed directory version as received; the newest one is in force."""

    version = models.PositiveIntegerField(unique=True)
    authority = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    document = models.BinaryField()

    class Meta:
        ordering = ["-version"]


class DirectoryNode(BaseModel):
    """A node of the directory in force (replaced as a whole on each import)."""

    node_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=200)
    signing_key = models.CharField(max_length=64)  # hex, raw Ed25519
    encryption_key = models.CharField(max_length=64)  # hex, raw X25519
    certificate = models.BinaryField()  # DER, the node's TLS certificate
    # The node through which this one is reached ("" = directly).
    via = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["node_id"]


class DirectoryOrganization(BaseModel):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    node = models.ForeignKey(DirectoryNode, on_delete=models.CASCADE, related_name="organizations")

    class Meta:
        ordering = ["code"]


class PackageKind(models.TextChoices):
    DOCUMENT = "document", pgettext_lazy("exchange package", "document")
    STATUS = "status", pgettext_lazy("exchange package", "status message")


class OutboxState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("exchange outbox", "waiting to be sent")
    DELIVERED = "delivered", pgettext_lazy("exchange outbox", "delivered")
    REJECTED = "rejected", pgettext_lazy("exchange outbox", "refused by the recipient's node")
    EXPIRED = "expired", pgettext_lazy("exchange outbox", "expired without delivery")


class OutboxPackage(BaseModel):
    """A package to send (or to forward, on a relay) until the next node returns a signed
    receipt. Written in the same transaction as what caused it."""

    package_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=16, choices=PackageKind.choices)
    from_org = models.CharField(max_length=32)
    to_org = models.CharField(max_length=32)
    to_node = models.CharField(max_length=64)
    next_hop = models.CharField(max_length=64)  # to_node, or the relay it is reached through
    # The frame itself is in OutboxFrame (`content`).
    digest = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=OutboxState.choices, default=OutboxState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    receipt = models.BinaryField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    relayed = models.BooleanField(default=False)  # forwarded for another node
    # What the package carries, for the sender's pages.
    edxml_document_id = models.CharField(max_length=200, blank=True)
    business = models.CharField(max_length=16, blank=True)  # new / update / replace / revoke
    status_code = models.CharField(max_length=2, blank=True)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatch_id = models.UUIDField(null=True, blank=True)  # office.ExternalDispatch

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["edxml_document_id", "to_org"]),
        ]


class OutboxFrame(models.Model):
    """The bytes of an outbox package (`envelope` frame), written with its row and never changed.

    Apart from the row because the row changes several times (claimed, tried again, delivered)
    and SQLite writes a whole row again on every update, a frame of up to
    `EXCHANGE_MAX_PACKAGE_BYTES` included; here an update of the row writes a few hundred
    bytes."""

    package = models.OneToOneField(
        OutboxPackage, primary_key=True, on_delete=models.CASCADE, related_name="content"
    )
    frame = models.BinaryField()

    def __str__(self) -> str:
        return f"frame of {self.package_id}"


class InboxState(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("exchange inbox", "received, being imported")
    IMPORTED = "imported", pgettext_lazy("exchange inbox", "imported")
    APPLIED = "applied", pgettext_lazy("exchange inbox", "applied")
    RELAYED = "relayed", pgettext_lazy("exchange inbox", "forwarded")


class InboxPackage(BaseModel):
    """A package this node accepted. Unique on the package id: a second delivery of the same
    package gets the same receipt and changes nothing."""

    package_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=16, choices=PackageKind.choices)
    from_node = models.CharField(max_length=64)
    from_org = models.CharField(max_length=32)
    to_org = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    trace = models.JSONField(default=list)
    # The decrypted edXML, sealed by the master key (the store keeps nothing in clear).
    content_sealed = models.BinaryField(null=True, blank=True)
    receipt = models.BinaryField()
    state = models.CharField(max_length=16, choices=InboxState.choices)
    edxml_document_id = models.CharField(max_length=200, blank=True)
    business = models.CharField(max_length=16, blank=True)
    status_code = models.CharField(max_length=2, blank=True)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    import_error = models.CharField(max_length=500, blank=True)
    # Set when the sender replaced or revoked this document by a later package.
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["edxml_document_id", "from_org"])]


class Quarantine(BaseModel):
    """A package that failed a check, kept with the reason for the operator (nothing of it
    became a document). Not unique: a forged package must not reserve a real package's id."""

    package_id = models.CharField(max_length=64, blank=True)
    from_node = models.CharField(max_length=64, blank=True)
    from_org = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=32)
    detail = models.CharField(max_length=500, blank=True)
    frame = models.BinaryField()
    digest = models.CharField(max_length=64)  # SHA-256 of the frame as received
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]


class StatusEvent(BaseModel):
    """A step of a sent document at one recipient, as its status messages tell it (and the
    delivery itself): the timeline shown on the sender's document."""

    sent = models.ForeignKey(OutboxPackage, on_delete=models.CASCADE, related_name="events")
    code = models.CharField(max_length=16)  # "01".."06", or "delivered" / "rejected" (transport)
    description = models.CharField(max_length=1000, blank=True)
    staff = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()

    class Meta:
        # In the order the news arrived: the senders' clocks (edXML keeps whole seconds) may
        # put a status before the delivery it follows.
        ordering = ["sent", "created_at"]
