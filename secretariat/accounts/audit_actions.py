"""Audit actions recorded by identity and access (see `secretariat.audit.labels`)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "accounts.login_password_verified": _("Password accepted"),
    "accounts.login_succeeded": _("Logged in"),
    "accounts.login_failed": _("Login failed"),
    "accounts.locked_out": _("Account locked out"),
    "accounts.logout": _("Logged out"),
    "accounts.password_changed": _("Password changed"),
    "accounts.password_reset": _("Password reset by an administrator"),
    "accounts.mfa_enrol_started": _("Second factor enrolment started"),
    "accounts.mfa_enrolled": _("Second factor enrolled"),
    "accounts.mfa_verified": _("Second factor verified"),
    "accounts.mfa_failed": _("Second factor refused"),
    "accounts.mfa_recovery_code_used": _("Recovery code used"),
    "accounts.mfa_recovery_codes_generated": _("Recovery codes generated"),
    "accounts.mfa_key_added": _("Security key added"),
    "accounts.mfa_key_removed": _("Security key removed"),
    "accounts.token_issued": _("API token issued"),
    "accounts.token_revoked": _("API token revoked"),
    "accounts.user_created": _("User created"),
    "accounts.user_updated": _("User updated"),
    "accounts.user_deactivated": _("User deactivated"),
    "accounts.user_reactivated": _("User reactivated"),
    "accounts.position_added": _("Position added"),
    "accounts.position_ended": _("Position ended"),
    "accounts.position_moved": _("Position moved by a merger"),
    "accounts.role_granted": _("Role granted"),
    "accounts.role_revoked": _("Role revoked"),
    "accounts.grant_revoked_by_merge": _("Role revoked by a merger"),
}
