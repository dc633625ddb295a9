"""Office work on documents (Decree 30/2020/NĐ-CP): incoming processing with the leader's
instruction (Art. 20–24), outgoing drafting, review, approval, numbering and dispatch (Art. 14,
18), tasks with deadlines in working days, urgent directives with acknowledgements, and case files
with retention (Art. 28–31). Workflows are rows with states and their history; every transition
is a service call that writes an audit event."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from secretariat.core.models import BaseModel
from secretariat.documents.models import Document, RegisterEntry
from secretariat.orgs.models import Unit

USER = settings.AUTH_USER_MODEL


# --- Calendar ---------------------------------------------------------------------------------


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKING = "working", _("Worked weekend day")


class CalendarDay(models.Model):
    """A day that departs from the Monday–Friday week: a public holiday, or a weekend day worked
    to compensate a bridge day."""

    date = models.DateField(primary_key=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(max_length=16, choices=CalendarDayKind.choices)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


# --- Notifications ----------------------------------------------------------------------------


class Notification(BaseModel):
    """An in-app message to one user (a reminder, an escalation, a new assignment)."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message[:60]


# --- Incoming documents -----------------------------------------------------------------------


class IncomingState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    PRESENTED = "presented", _("Presented to the leader")
    INSTRUCTED = "instructed", _("Instruction given")
    IN_PROGRESS = "in_progress", _("Being handled")
    DONE = "done", _("Done")
    RETURNED = "returned", _("Returned to the sender")
    FILED = "filed", _("Filed")
    RECALLED = "recalled", _("Recalled by the sender")


class IncomingProcess(BaseModel):
    """The processing of one registered incoming document in one unit (Art. 20–24)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="incoming")
    entry = models.OneToOneField(
        RegisterEntry, on_delete=models.PROTECT, related_name="incoming_process"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="incoming_processes")
    state = models.CharField(max_length=16, choices=IncomingState.choices)
    presented_to = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    result_note = models.TextField(blank=True)
    result_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "state", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.document} [{self.state}]"


class Instruction(BaseModel):
    """The leader's instruction (ý kiến chỉ đạo, Art. 23): lead unit, co-ordinating units,
    people, and a deadline in working days."""

    process = models.ForeignKey(
        IncomingProcess, on_delete=models.PROTECT, related_name="instructions"
    )
    leader = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("instruction"))
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    coordinating_units = models.ManyToManyField(Unit, blank=True, related_name="+")
    assignees: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, blank=True, related_name="+"
    )
    working_days = models.PositiveIntegerField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)


# --- Tasks --------------------------------------------------------------------------------------


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(BaseModel):
    """Work with an owner and a deadline: from an instruction, a directive, or created directly.
    Sub-assignment makes a child task."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="tasks")
    coordinators: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, blank=True, related_name="coordinated_tasks"
    )
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    instruction = models.ForeignKey(
        Instruction, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    source_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    progress = models.PositiveSmallIntegerField(default=0)
    result = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "state", "due_on"]),
            models.Index(fields=["assignee", "state", "due_on"]),
        ]

    def __str__(self) -> str:
        return self.title


class TaskNote(BaseModel):
    """A progress note, optionally with an attachment (a stored document)."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    attachment = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]


# --- Outgoing documents -----------------------------------------------------------------------


class OutgoingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    RETURNED = "returned", _("Returned to the drafter")
    APPROVED = "approved", _("Approved")
    SIGNED = "signed", _("Signed")
    NUMBERED = "numbered", _("Numbered")
    SEALED = "sealed", _("Sealed")
    DISPATCHED = "dispatched", _("Dispatched")
    RECALLED = "recalled", _("Recalled")


class OutgoingKind(models.TextChoices):
    NORMAL = "normal", _("New document")
    REPLACEMENT = "replacement", _("Replacement (content error)")
    ERRATA = "errata", _("Errata (format error)")


class OutgoingProcess(BaseModel):
    """An outgoing document from draft to dispatch and archive (Art. 14, 18)."""

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="outgoing")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="outgoing_processes")
    drafter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=16, choices=OutgoingState.choices)
    kind = models.CharField(
        max_length=16, choices=OutgoingKind.choices, default=OutgoingKind.NORMAL
    )
    # The document this one replaces or corrects (Art. 18).
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    entry = models.OneToOneField(
        RegisterEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal_recipients = models.ManyToManyField(Unit, blank=True, related_name="+")
    # Electronic codes of external recipients, queued for the exchange capability.
    external_recipients = models.JSONField(default=list, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)
    recall_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.document} [{self.state}]"


class ReviewDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Agreed")
    COMMENTED = "commented", _("Agreed with comments")
    RETURNED = "returned", _("Returned")


class ReviewStep(BaseModel):
    """One reviewer in the ordered review circuit of a draft."""

    process = models.ForeignKey(OutgoingProcess, on_delete=models.PROTECT, related_name="reviews")
    order = models.PositiveSmallIntegerField()
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(
        max_length=16, choices=ReviewDecision.choices, default=ReviewDecision.PENDING
    )
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Review rounds: a returned draft starts a new round with fresh steps.
    round = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["process", "round", "order"]


class ExternalDispatchState(models.TextChoices):
    QUEUED = "queued", _("waiting to be sent")
    CANCELLED = "cancelled", _("cancelled")
    RECALL_REQUESTED = "recall_requested", _("recall sent")
    DELIVERED = "delivered", _("delivered to its node")
    FAILED = "failed", _("refused by its node")
    RECEIVED = "received", _("received")
    RETURNED = "returned", _("returned by the recipient")
    ACCEPTED = "accepted", _("registered by the recipient")
    ASSIGNED = "assigned", _("assigned for handling")
    PROCESSING = "processing", _("being handled")
    DONE = "done", _("handled")


class ExternalDispatch(BaseModel):
    """An outgoing document sent to an external recipient through the exchange; its state is the
    latest news from there (the exchange keeps the whole timeline)."""

    process = models.ForeignKey(
        OutgoingProcess, on_delete=models.PROTECT, related_name="external_dispatches"
    )
    recipient_code = models.CharField(max_length=32)
    state = models.CharField(
        max_length=16, choices=ExternalDispatchState.choices, default=ExternalDispatchState.QUEUED
    )
    sent_at = models.DateTimeField(null=True, blank=True)


class OutgoingDelivery(BaseModel):
    """An outgoing document delivered to an internal unit, where it became an incoming document;
    the recipient's confirmation that it deleted a recalled document (Art. 18)."""

    process = models.ForeignKey(
        OutgoingProcess, on_delete=models.PROTECT, related_name="deliveries"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    incoming = models.ForeignKey(
        IncomingProcess, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recall_confirmed_at = models.DateTimeField(null=True, blank=True)
    recall_confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["process", "unit"], name="outgoing_delivery_unique")
        ]


# --- Directives -------------------------------------------------------------------------------


class Directive(BaseModel):
    """An urgent directive sent by a leader from a unit to a chosen subtree. Each receiving unit
    acknowledges, then reports; units that do not acknowledge in time are escalated."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="directives_sent")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"))
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    include_subtree = models.BooleanField(default=True)
    acknowledge_by = models.DateTimeField(_("acknowledge by"))
    report_by = models.DateField(_("report by"), null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class DirectiveRecipient(BaseModel):
    directive = models.ForeignKey(Directive, on_delete=models.PROTECT, related_name="recipients")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="directives_received")
    received_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(null=True, blank=True)
    report = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["directive", "unit"], name="directive_recipient_unique")
        ]


# --- Case files ---------------------------------------------------------------------------------


class FilePlan(BaseModel):
    """The yearly file plan (danh mục hồ sơ, Art. 28) of a unit."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="file_plans")
    year = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="file_plan_unique")]


class CaseFileState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    TRANSFERRED = "transferred", _("Transferred to the archive")


class CaseFile(BaseModel):
    """A case file (hồ sơ): opened, filled with documents, closed with a retention period."""

    plan = models.ForeignKey(FilePlan, on_delete=models.PROTECT, related_name="case_files")
    code = models.CharField(_("file code"), max_length=30)
    title = models.CharField(_("title"), max_length=300)
    # Years to keep; None = permanently.
    retention_years = models.PositiveSmallIntegerField(null=True, blank=True)
    keeper = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=CaseFileState.choices, default=CaseFileState.OPEN
    )
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="case_files")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="case_file_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
