from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "secretariat.accounts"
    label = "accounts"
    verbose_name = _("Identity and access")

    def ready(self) -> None:
        from .unit_hooks import register as register_unit_hooks  # the tree's access and merge hooks

        register_unit_hooks()
