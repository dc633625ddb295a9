"""Incoming documents pages under /office/incoming/. Thin: parse, call the services, render.

A process outside the user's scope answers 404; an action the user may not take, 403; a refused
step (wrong state, bad input) comes back on the detail page with its message and status 400/409,
never a 500. A successful action redirects to the detail page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core import clock, errors
from secretariat.documents.registers import display_subject

from . import selectors_incoming as selectors
from .forms_incoming import CompleteForm, FileForm, InstructForm, NoteForm, PresentForm, ReturnForm
from .models import IncomingProcess, IncomingState
from .services import incoming


def _process_or_404(request: HttpRequest, process_id: UUID) -> IncomingProcess:
    try:
        return selectors.incoming_get(user=request.user, process_id=process_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _forms(request: HttpRequest, process: IncomingProcess) -> dict[str, Any]:
    """The action forms the user may use in the process's current state."""
    user, unit, state = request.user, process.unit, process.state
    clerk = policy.can(user, Action.OFFICE_CLERK, unit)
    leader = policy.can(user, Action.OFFICE_INSTRUCT, unit)
    forms: dict[str, Any] = {}
    if clerk and state in {IncomingState.REGISTERED, IncomingState.PRESENTED}:
        forms["present"] = PresentForm(leaders=selectors.leaders_for(process=process))
        forms["return"] = ReturnForm()
    if leader and state == IncomingState.PRESENTED:
        forms["instruct"] = InstructForm(
            units=selectors.units_below(unit=unit),
            people=selectors.assignees_for(unit=unit),
            initial={"lead_unit": unit.pk},
        )
    if state in {IncomingState.INSTRUCTED, IncomingState.IN_PROGRESS}:
        if policy.can(user, Action.OFFICE_WORK, unit):
            forms["note"] = NoteForm()
        if incoming.may_complete(user, process):
            forms["complete"] = CompleteForm()
    if clerk and state == IncomingState.DONE:
        forms["file"] = FileForm(case_files=selectors.open_case_files_for(unit=unit))
    return forms


def _render_detail(
    request: HttpRequest,
    process: IncomingProcess,
    *,
    status: int = 200,
    bound: tuple[str, Any] | None = None,
) -> HttpResponse:
    forms = _forms(request, process)
    if bound is not None:
        forms[bound[0]] = bound[1]
    return render(
        request,
        "office/incoming_detail.html",
        {
            "process": process,
            "document": process.document,
            "subject": display_subject(process.document),
            "overdue": incoming.is_overdue(process),
            "instructions": selectors.instructions_of(process),
            "history": selectors.incoming_history(process=process),
            "forms": forms,
        },
        status=status,
    )


@login_required
@require_GET
def incoming_list(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise DjangoPermissionDenied
    units = selectors.incoming_units(user=request.user)
    unit = None
    unit_id = request.GET.get("unit", "")
    if unit_id:
        try:
            unit = units.filter(pk=UUID(unit_id)).first()
        except ValueError:
            unit = None
    groups = selectors.incoming_by_state(user=request.user, unit=unit)
    today = clock.today()
    rows = [
        (
            state,
            label,
            [(p, display_subject(p.document), incoming.is_overdue(p, today)) for p in ps],
        )
        for state, label, ps in groups
    ]
    return render(
        request,
        "office/incoming_list.html",
        {"groups": rows, "units": units, "unit": unit},
    )


@login_required
@require_GET
def incoming_detail(request: HttpRequest, process_id: UUID) -> HttpResponse:
    return _render_detail(request, _process_or_404(request, process_id))


def _act(
    request: HttpRequest,
    process_id: UUID,
    name: str,
    form: Any,
    call: Callable[[IncomingProcess, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Run one action: 404 outside scope, 403 without the right, the page with the error
    otherwise, or back to the page with `done`."""
    process = _process_or_404(request, process_id)
    if not form.is_valid():
        messages.error(request, _("Check the form."))
        return _render_detail(request, process, status=400, bound=(name, form))
    try:
        call(process, form.cleaned_data)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        for field, problems in exc.field_errors.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, str(problem))
        messages.error(request, str(exc.message))
        process.refresh_from_db()
        return _render_detail(request, process, status=exc.status, bound=(name, form))
    messages.success(request, done)
    return redirect("office:incoming_detail", process_id=process.pk)


def _require(request: HttpRequest, process_id: UUID, action: str) -> IncomingProcess:
    """Refuse (403) before building a form whose choices depend on the right."""
    process = _process_or_404(request, process_id)
    if not policy.can(request.user, action, process.unit):
        raise DjangoPermissionDenied
    return process


@login_required
@require_POST
def incoming_present(request: HttpRequest, process_id: UUID) -> HttpResponse:
    process = _require(request, process_id, Action.OFFICE_CLERK)
    form = PresentForm(request.POST, leaders=selectors.leaders_for(process=process))
    return _act(
        request,
        process_id,
        "present",
        form,
        lambda p, d: incoming.incoming_present(actor=request.user, process=p, leader=d["leader"]),
        _("Presented to the leader."),
    )


@login_required
@require_POST
def incoming_instruct(request: HttpRequest, process_id: UUID) -> HttpResponse:
    process = _require(request, process_id, Action.OFFICE_INSTRUCT)
    form = InstructForm(
        request.POST,
        units=selectors.units_below(unit=process.unit),
        people=selectors.assignees_for(unit=process.unit),
    )
    return _act(
        request,
        process_id,
        "instruct",
        form,
        lambda p, d: incoming.incoming_instruct(
            actor=request.user,
            process=p,
            text=d["text"],
            lead_unit=d["lead_unit"],
            coordinating_units=list(d["coordinating_units"]),
            assignees=list(d["assignees"]),
            working_days=d["working_days"],
        ),
        _("Instruction recorded; the tasks were created."),
    )


@login_required
@require_POST
def incoming_note(request: HttpRequest, process_id: UUID) -> HttpResponse:
    _require(request, process_id, Action.OFFICE_WORK)
    return _act(
        request,
        process_id,
        "note",
        NoteForm(request.POST),
        lambda p, d: incoming.incoming_note(actor=request.user, process=p, text=d["text"]),
        _("Note added."),
    )


@login_required
@require_POST
def incoming_complete(request: HttpRequest, process_id: UUID) -> HttpResponse:
    _require(request, process_id, Action.OFFICE_WORK)
    return _act(
        request,
        process_id,
        "complete",
        CompleteForm(request.POST),
        lambda p, d: incoming.incoming_complete(
            actor=request.user, process=p, result_note=d["result_note"]
        ),
        _("Marked as handled."),
    )


@login_required
@require_POST
def incoming_return(request: HttpRequest, process_id: UUID) -> HttpResponse:
    _require(request, process_id, Action.OFFICE_CLERK)
    return _act(
        request,
        process_id,
        "return",
        ReturnForm(request.POST),
        lambda p, d: incoming.incoming_return(actor=request.user, process=p, reason=d["reason"]),
        _("Returned to the sender."),
    )


@login_required
@require_POST
def incoming_file(request: HttpRequest, process_id: UUID) -> HttpResponse:
    process = _require(request, process_id, Action.OFFICE_CLERK)
    form = FileForm(request.POST, case_files=selectors.open_case_files_for(unit=process.unit))
    return _act(
        request,
        process_id,
        "file",
        form,
        lambda p, d: incoming.incoming_file(
            actor=request.user, process=p, case_file=d["case_file"]
        ),
        _("Filed."),
    )


urlpatterns: list[URLPattern] = [
    path("incoming/", incoming_list, name="incoming"),
    path("incoming/<uuid:process_id>/", incoming_detail, name="incoming_detail"),
    path("incoming/<uuid:process_id>/present/", incoming_present, name="incoming_present"),
    path("incoming/<uuid:process_id>/instruct/", incoming_instruct, name="incoming_instruct"),
    path("incoming/<uuid:process_id>/note/", incoming_note, name="incoming_note"),
    path("incoming/<uuid:process_id>/complete/", incoming_complete, name="incoming_complete"),
    path("incoming/<uuid:process_id>/return/", incoming_return, name="incoming_return"),
    path("incoming/<uuid:process_id>/file/", incoming_file, name="incoming_file"),
]
