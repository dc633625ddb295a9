from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "secretariat.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        # The minutes' signatures made by the workstation agent (a USB token) come back through
        # the signing app's session registry (signing is the lower layer), as the office's do.
        from secretariat.signing.hooks import register_session_handler

        from .services.minutes import PURPOSE_SIGNATURE, minutes_signature_handler

        register_session_handler(PURPOSE_SIGNATURE, minutes_signature_handler)
