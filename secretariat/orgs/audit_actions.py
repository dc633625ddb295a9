"""Audit actions recorded by the organization tree (see `secretariat.audit.labels`)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "orgs.unit_created": _("Unit created"),
    "orgs.unit_updated": _("Unit updated"),
    "orgs.unit_renamed": _("Unit renamed"),
    "orgs.unit_moved": _("Unit moved"),
    "orgs.unit_merged": _("Units merged"),
    "orgs.unit_dissolved": _("Unit dissolved"),
    "orgs.unit_imported": _("Unit imported"),
    "orgs.units_imported": _("Organization tree imported"),
}
