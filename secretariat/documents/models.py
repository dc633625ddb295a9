"""Records: stored files, documents and their versions, the type catalogue, registers and their
entries (Decree 30/2020/NĐ-CP Art. 8, 15, 22)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from secretariat.core.models import BaseModel
from secretariat.orgs.models import Unit


class StoredFile(models.Model):
    """Bytes, content-addressed: the SHA-256 of the plaintext is the identity. Stored encrypted
    (AES-256-GCM with a key per file, wrapped by the node master key); never changed."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    # The per-file key, encrypted with the master key (AES key wrap / GCM): nonce + ciphertext.
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.content_type}, {self.size} B)"


class DocumentType(models.Model):
    """The catalogue of document types (Decree 30 Art. 7; Party abbreviations of HD 36)."""

    code = models.CharField(max_length=16, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    # Abbreviations used in notations: State `QĐ` in `12/QĐ-UBND`; Party `NQ` in `125-NQ/TU`.
    state_abbreviation = models.CharField(max_length=10, blank=True)
    party_abbreviation = models.CharField(max_length=10, blank=True)
    ordering = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return self.name


class Confidentiality(models.TextChoices):
    NORMAL = "normal", _("Normal (Thường)")
    CONFIDENTIAL = "mat", _("Confidential (Mật)")
    SECRET = "toi_mat", _("Secret (Tối mật)")
    TOP_SECRET = "tuyet_mat", _("Top secret (Tuyệt mật)")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "khan", _("Urgent (Khẩn)")
    VERY_URGENT = "thuong_khan", _("Very urgent (Thượng khẩn)")
    FLASH = "hoa_toc", _("Flash (Hỏa tốc)")


class OcrStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("text layer present")
    PENDING = "pending", _("waiting for OCR")
    DONE = "done", _("recognised")
    FAILED = "failed", _("OCR failed")


class Document(BaseModel):
    """A document held by a unit, with the metadata of Decree 30 Art. 8. The files are in its
    versions; a confidential document (above Thường) has none, only its register entry."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="documents")
    subject = models.TextField(_("subject (trích yếu)"))
    doc_type = models.ForeignKey(
        DocumentType, verbose_name=_("type"), null=True, blank=True, on_delete=models.PROTECT
    )
    issuing_body = models.CharField(_("issuing body"), max_length=255, blank=True)
    number = models.CharField(_("number"), max_length=20, blank=True)
    notation = models.CharField(_("notation"), max_length=60, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    issued_on = models.DateField(_("date of issue"), null=True, blank=True)
    signer_name = models.CharField(_("signer"), max_length=150, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=150, blank=True)
    recipients = models.TextField(_("recipients (nơi nhận)"), blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=16,
        choices=Confidentiality.choices,
        default=Confidentiality.NORMAL,
    )
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    copies = models.PositiveIntegerField(_("copies"), null=True, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Metadata read from the first page, offered to the clerk to confirm (suggest.py).
    suggested = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["unit", "-created_at"])]

    def __str__(self) -> str:
        return self.subject[:80]


class DocumentVersion(BaseModel):
    """One version of a document's content: the original file as received, the PDF used to read,
    sign and search (converted and/or OCR'd, PDF/A), and its text. New content = new version."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    original = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=255)
    pdf = models.ForeignKey(
        StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True)
    ocr_status = models.CharField(
        max_length=16, choices=OcrStatus.choices, default=OcrStatus.NOT_NEEDED
    )
    ocr_error = models.TextField(blank=True)
    # The report of the signature check made as the file entered (documents/signatures.py).
    signature_check = models.JSONField(default=dict, blank=True)
    # The same report as an ETSI TS 119 102-2 XML validation report, kept as issued.
    signature_report_xml = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")
        ]
        ordering = ["document", "number"]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class RegisterKind(models.TextChoices):
    INCOMING = "incoming", _("Incoming documents")
    OUTGOING = "outgoing", _("Outgoing documents")
    INTERNAL = "internal", _("Internal documents")


class Register(BaseModel):
    """A register (sổ đăng ký) of one unit for one year. Numbers run from 1 on 1 January,
    gap-free (Art. 15, 22); confidential documents have their own series (`secret=True`)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="registers")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=RegisterKind.choices)
    secret = models.BooleanField(_("confidential series"), default=False)
    name = models.CharField(_("name"), max_length=150)
    # e.g. "{number}/{type}-{unit}" (State: 12/QĐ-UBND) or "{number}-{type}/{unit}" (Party).
    notation_pattern = models.CharField(max_length=60, blank=True)
    # The last number given; the next registration takes last_number + 1 under a row lock.
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "kind", "secret"], name="register_unique_per_year"
            )
        ]
        ordering = ["unit", "-year", "kind"]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"


class RegisterEntry(BaseModel):
    """One registration: the number given in a register, on a date, to a document. A
    confidential document is registered without content (`document` has no version)."""

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="entries")
    number = models.PositiveIntegerField()
    registered_on = models.DateField()
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="entries")
    notation = models.CharField(max_length=60, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Columns of the printed register (Appendix IV), kept as the names read when they were
    # written, so a register printed years later shows the units and people of the time.
    # Outgoing and internal: the drafting unit and the keeper of the file copy (the drafter),
    # written at registration; the date sent, written when the document is dispatched.
    drafting_unit = models.CharField(_("drafting unit"), max_length=255, blank=True)
    copy_keeper = models.CharField(_("keeper of the file copy"), max_length=255, blank=True)
    sent_on = models.DateField(_("date sent"), null=True, blank=True)
    # Incoming: the unit or people handling it, from the leader's instruction (Art. 23).
    handled_by = models.CharField(_("receiving unit or person"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["register", "number"], name="register_entry_unique")
        ]
        ordering = ["register", "number"]

    def __str__(self) -> str:
        return f"{self.register} #{self.number}"


class SearchEntry(models.Model):
    """The search index row of one document (documents/search/): the indexed text and copies of
    the fields searches filter and sort on, so a search walks one table and its date indexes
    (MEASURED.md). Written only by `search.index_document`. The engine-specific parts (FTS5 tables
    on SQLite, tsvector columns on PostgreSQL) are added by the search migration."""

    # An integer key: it is the FTS5 rowid on SQLite.
    id = models.BigAutoField(primary_key=True)
    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="search")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    doc_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # The date users filter on: the date of issue, else the day the document was recorded.
    doc_date = models.DateField()
    title = models.TextField()
    body = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "-created_at", "-id"], name="search_unit_newest"),
            models.Index(fields=["-created_at", "-id"], name="search_newest"),
        ]

    def __str__(self) -> str:
        return f"search {self.document_id}"
