"""Audit actions recorded by documents and registers (see `secretariat.audit.labels`)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "documents.captured": _("Document captured"),
    "documents.version_added": _("New version added"),
    "documents.version_signed": _("Signed version kept"),
    "documents.entry_handling_recorded": _("Receiving unit or person recorded in the register"),
    "documents.entry_sent_recorded": _("Date sent recorded in the register"),
    "documents.metadata_updated": _("Document details updated"),
    "documents.ocr_done": _("Text recognised (OCR)"),
    "documents.ocr_failed": _("Text recognition failed"),
    "documents.register_opened": _("Register opened"),
    "documents.document_registered": _("Document registered"),
}
