from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "secretariat.exchange"
    label = "exchange"
    verbose_name = _("Document exchange")

    def ready(self) -> None:
        from secretariat.documents import hooks as document_hooks
        from secretariat.office import hooks as office_hooks

        from . import integration

        office_hooks.register_external_sender(integration.SENDER)
        office_hooks.register_incoming_observer(integration.OBSERVER)
        document_hooks.register_registration_hook(integration.REGISTRATION)
