from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "secretariat.members"
    label = "members"
    verbose_name = _("Party members")

    def ready(self) -> None:
        from secretariat.orgs import hooks

        from .services.events import MERGE_HOOK

        # When a cell is merged into another unit, its members follow it (an event each).
        hooks.register_merge_hook(MERGE_HOOK)

        # A transfer out of the node sent through the exchange is confirmed by the receiving
        # organization's status message (docs/members.md).
        from secretariat.exchange import hooks as exchange_hooks

        from .services.transfer_exchange import STATUS_OBSERVER

        exchange_hooks.register_status_observer(STATUS_OBSERVER)
