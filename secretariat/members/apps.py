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
