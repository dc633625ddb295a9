"""Users, their positions in units, role grants scoped to subtrees, API tokens, MFA factors."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from secretariat.core.ids import uuid7
from secretariat.core.models import BaseModel
from secretariat.orgs.models import Unit


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    RECORDS_CLERK = "records_clerk", _("Records clerk")
    LEADER = "leader", _("Leader")
    SPECIALIST = "specialist", _("Specialist")
    MEETING_SECRETARY = "meeting_secretary", _("Meeting secretary")
    MEMBER_RECORDS_OFFICER = "member_records_officer", _("Member-records officer")
    AUDITOR = "auditor", _("Auditor")


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=[("vi", "Tiếng Việt"), ("fr", "Français"), ("en", "English")],
        default="vi",
    )
    # Set by an administrator's password reset: the user must choose a new password before
    # anything else (see PasswordChangeRequiredMiddleware).
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class Position(BaseModel):
    """A post a user holds in a unit (Chánh Văn phòng, Bí thư chi bộ, đảng viên…)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="positions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="positions")
    title = models.CharField(_("title"), max_length=150)
    is_primary = models.BooleanField(_("primary position"), default=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["-is_primary", "created_at"]

    def __str__(self) -> str:
        return f"{self.title} — {self.unit.name}"


class RoleGrant(BaseModel):
    """A role on a unit, optionally over its whole subtree, optionally until a date."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="role_grants")
    include_subtree = models.BooleanField(_("includes the subtree"), default=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.unit.code}"


class ApiToken(BaseModel):
    """A bearer token for a machine client. Only the SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class RecoveryCode(BaseModel):
    """A one-time MFA recovery code, stored as its SHA-256."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)


class WebAuthnCredential(BaseModel):
    """A security key or passkey registered as a second factor."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webauthn_credentials")
    name = models.CharField(_("name"), max_length=100)
    credential_id = models.BinaryField(unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list)
    last_used_at = models.DateTimeField(null=True, blank=True)
