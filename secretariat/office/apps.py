from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    name = "secretariat.office"
    label = "office"
    verbose_name = _("Office work")

    def ready(self) -> None:
        # Every incoming registration starts its processing (Decree 30 Art. 20-22); documents
        # is the lower layer and calls us through its hook registry.
        from secretariat.documents import hooks

        from .services.incoming import registration_hook

        hooks.register_registration_hook(registration_hook)

        # Personal signatures made by the workstation agent come back through the signing
        # app's session registry (signing is the lower layer).
        from secretariat.signing.hooks import register_session_handler

        from .services.outgoing_signatures import PURPOSE_PERSONAL, personal_signature_handler

        register_session_handler(PURPOSE_PERSONAL, personal_signature_handler)
