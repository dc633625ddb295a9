"""Audit actions recorded by the exchange (see `secretariat.audit.labels`)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "exchange.node_initialised": _("Exchange node set up"),
    "exchange.node_updated": _("Exchange node changed"),
    "exchange.node_certificate_issued": _("Exchange node certificate issued"),
    "exchange.directory_imported": _("Exchange directory put in force"),
    "exchange.package_queued": _("Package queued for sending"),
    "exchange.package_delivered": _("Package delivered"),
    "exchange.packages_delivered": _("Packages delivered"),
    "exchange.package_refused": _("Package refused by the recipient"),
    "exchange.package_expired": _("Package expired undelivered"),
    "exchange.package_retried": _("Package sent again"),
    "exchange.package_received": _("Package received"),
    "exchange.packages_received": _("Packages received"),
    "exchange.package_quarantined": _("Package quarantined"),
    "exchange.package_released": _("Package released from quarantine"),
    "exchange.package_imported": _("Received document imported"),
    "exchange.package_import_failed": _("Received document could not be imported"),
    "exchange.document_replaced": _("Received document replaced by its sender"),
    "exchange.document_revoked": _("Received document revoked by its sender"),
}
