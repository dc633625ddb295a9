"""Labels of the signing app's audit actions, for the audit viewer."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "signing.authority_created": _("Built-in certification authority created"),
    "signing.credential_issued": _("Signing certificate issued"),
    "signing.credential_revoked": _("Signing certificate revoked"),
}
