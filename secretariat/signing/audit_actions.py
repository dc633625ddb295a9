"""Labels of the signing app's audit actions, for the audit viewer."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "signing.authority_created": _("Built-in certification authority created"),
    "signing.credential_issued": _("Signing certificate issued"),
    "signing.credential_revoked": _("Signing certificate revoked"),
    "signing.signed": _("Document signed"),
    "signing.placement_set": _("Signature placement set"),
    "signing.placement_deleted": _("Signature placement removed"),
    "signing.credential_image_set": _("Signature or seal image changed"),
    "signing.credential_imported": _("Signing certificate registered"),
    "signing.credential_withdrawn": _("Registered certificate withdrawn"),
    "signing.trust_anchor_added": _("Certificate added to the trust store"),
    "signing.trust_anchor_activated": _("Trust store certificate trusted again"),
    "signing.trust_anchor_deactivated": _("Trust store certificate no longer trusted"),
    "signing.session_opened": _("Signing session opened for the signing agent"),
    "signing.session_downloaded": _("Document handed to the signing agent"),
    "signing.session_completed": _("Signature by the signing agent accepted"),
    "signing.session_refused": _("Signing agent request refused"),
    "signing.sessions_purged": _("Expired signing sessions deleted"),
}
