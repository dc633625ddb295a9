"""Read queries of incoming processing and case files. Each takes the acting user and applies the
scope: `office.work` on the process's (or file plan's) unit. A process or case file outside the
scope is `NotFound`: its existence is not revealed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit.labels import action_label
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import NotFound
from secretariat.documents.models import Document, Urgency
from secretariat.orgs.models import Unit

from .models import CaseFile, FilePlan, IncomingProcess, IncomingState, Instruction
from .selectors_tasks import assignee_candidates, unit_leaders

# Decree 30 Art. 4.2c, 24: Hỏa tốc, then Thượng khẩn, then Khẩn are handled before the rest.
URGENCY_RANK = Case(
    When(document__urgency=Urgency.FLASH, then=Value(0)),
    When(document__urgency=Urgency.VERY_URGENT, then=Value(1)),
    When(document__urgency=Urgency.URGENT, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def incoming_visible_to(*, user: Any) -> QuerySet[IncomingProcess]:
    """The processes of the units where `user` does office work, urgent first, then newest."""
    queryset = IncomingProcess.objects.select_related(
        "document", "document__doc_type", "unit", "entry", "presented_to"
    )
    return (
        policy.scoped(queryset, user, Action.OFFICE_WORK)
        .annotate(urgency_rank=URGENCY_RANK)
        .order_by("urgency_rank", "-created_at")
    )


def incoming_units(*, user: Any) -> QuerySet[Unit]:
    return policy.units_in_scope(user, Action.OFFICE_WORK).filter(active=True).order_by("path")


def incoming_by_state(
    *, user: Any, unit: Unit | None = None, limit: int = 50
) -> list[tuple[str, str, list[IncomingProcess]]]:
    """(state, label, at most `limit` processes) for every state that has any, in workflow
    order; urgent first inside each state."""
    queryset = incoming_visible_to(user=user)
    if unit is not None:
        queryset = queryset.filter(unit=unit)
    groups = []
    for state in IncomingState:
        rows = list(queryset.filter(state=state)[:limit])
        if rows:
            groups.append((state.value, str(state.label), rows))
    return groups


def incoming_get(*, user: Any, process_id: Any) -> IncomingProcess:
    process = incoming_visible_to(user=user).filter(pk=process_id).first()
    if process is None:
        raise NotFound(_("No such incoming document."))
    return process


def instructions_of(process: IncomingProcess) -> QuerySet[Instruction]:
    return (
        Instruction.objects.filter(process=process)
        .select_related("leader", "lead_unit")
        .prefetch_related("coordinating_units", "assignees", "tasks", "tasks__assignee")
        .order_by("created_at")
    )


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    who: str
    what: str
    detail: str


def incoming_history(*, process: IncomingProcess) -> list[HistoryItem]:
    """The process's history (Art. 4.2d: processing status is tracked), read from the audit log
    entries of this object. The caller has fetched the process through `incoming_get`."""
    events = AuditEvent.objects.filter(
        object_type=IncomingProcess._meta.label_lower, object_id=str(process.pk)
    ).order_by("seq")
    items = []
    for event in events:
        data = event.data or {}
        detail = data.get("reason") or data.get("note") or ""
        if not detail and data.get("leader"):
            detail = str(data["leader"])
        if not detail and data.get("due_on"):
            detail = str(_("due %(date)s") % {"date": data["due_on"]})
        items.append(
            HistoryItem(
                at=event.at,
                who=event.actor_username or str(_("the system")),
                what=action_label(event.action),
                detail=str(detail),
            )
        )
    return items


def leaders_for(*, process: IncomingProcess) -> QuerySet[Any]:
    """Who the clerk may present the document to."""
    return unit_leaders(unit=process.unit).order_by("full_name", "username")


def assignees_for(*, unit: Unit) -> QuerySet[Any]:
    return assignee_candidates(unit=unit).order_by("full_name", "username")


def units_below(*, unit: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(path__startswith=unit.path, active=True).order_by("path")


# --- Case files -------------------------------------------------------------------------------


def case_files_visible_to(*, user: Any) -> QuerySet[CaseFile]:
    queryset = CaseFile.objects.select_related("plan", "plan__unit", "keeper")
    return policy.scoped(queryset, user, Action.OFFICE_WORK, unit_field="plan__unit").order_by(
        "plan__unit__path", "code"
    )


def case_files_of(*, user: Any, unit: Unit, year: int) -> QuerySet[CaseFile]:
    return case_files_visible_to(user=user).filter(plan__unit=unit, plan__year=year)


def file_plan_get(*, unit: Unit, year: int) -> FilePlan | None:
    return FilePlan.objects.filter(unit=unit, year=year).first()


def case_file_get(*, user: Any, case_file_id: Any) -> CaseFile:
    case_file = case_files_visible_to(user=user).filter(pk=case_file_id).first()
    if case_file is None:
        raise NotFound(_("No such case file."))
    return case_file


def case_file_documents(*, case_file: CaseFile) -> QuerySet[Document]:
    return case_file.documents.select_related("doc_type").order_by("created_at")


def open_case_files_for(*, unit: Unit) -> QuerySet[CaseFile]:
    """The case files a document of `unit` can be filed in."""
    return CaseFile.objects.filter(plan__unit=unit, state="open").order_by("-plan__year", "code")


def documents_to_file(*, case_file: CaseFile, limit: int = 100) -> list[Document]:
    """Recent documents of the case file's unit not yet in it (the add form's choices)."""
    return list(
        Document.objects.filter(unit=case_file.plan.unit)
        .exclude(case_files=case_file)
        .order_by("-id")[:limit]
    )


def unit_document(*, case_file: CaseFile, document_id: Any) -> Document:
    """A document of the case file's unit (the caller has fetched `case_file` in scope)."""
    document = Document.objects.filter(pk=document_id, unit=case_file.plan.unit).first()
    if document is None:
        raise NotFound(_("No such document."))
    return document
