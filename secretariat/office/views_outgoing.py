"""Outgoing pages under /office/outgoing/ (Decree 30 Art. 14, 18). Thin: parse a form, call
`services.outgoing` or `selectors_outgoing`, render.

A process outside the user's scope is a 404 (its existence is not revealed); an action the user
may not take is a 403; an action the state does not allow, or bad input, comes back on the
detail page with its message and status 409 / 400, never a 500.
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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts import policy
from secretariat.accounts.models import User
from secretariat.accounts.policy import Action
from secretariat.core import errors
from secretariat.documents import selectors as document_selectors
from secretariat.documents.services import IncomingFile
from secretariat.orgs.models import Unit
from secretariat.signing import sessions

from . import hooks
from . import selectors_outgoing as selectors
from .forms_outgoing import DispatchForm, DraftForm, FileForm, RecallForm, ReviewersForm, ReviewForm
from .forms_signatures import (
    AgentSessionForm,
    ConfirmationForm,
    ReturnSignatureForm,
    SealBatchForm,
)
from .models import OutgoingProcess, OutgoingState
from .services import outgoing as services
from .services import outgoing_signatures as signatures


def _incoming(upload: Any) -> IncomingFile:
    return IncomingFile(
        name=str(upload.name or ""),
        data=upload.read(),
        content_type=str(getattr(upload, "content_type", "") or ""),
    )


def _process_or_404(request: HttpRequest, process_id: UUID) -> OutgoingProcess:
    try:
        return selectors.outgoing_get(user=request.user, process_id=process_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _units_choices(units: Any) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{'— ' * (u.depth - 1)}{u.display_name} ({u.code})") for u in units]


def _recipient_units(process: OutgoingProcess) -> Any:
    return Unit.objects.filter(active=True).exclude(pk=process.unit_id).order_by("path")


def _users(ids: list[str]) -> list[User]:
    found = {str(u.pk): u for u in User.objects.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def _external_timeline(process: OutgoingProcess) -> list[hooks.TimelineStep]:
    sender = hooks.external_sender()
    return sender.timeline(process) if sender is not None else []


def _detail_context(request: HttpRequest, process: OutgoingProcess) -> dict[str, Any]:
    try:
        versions = list(
            document_selectors.document_versions(user=request.user, document=process.document)
        )
    except errors.NotFound:
        versions = []
    actions = selectors.available_actions(user=request.user, process=process)
    candidates = selectors.holders(Action.OFFICE_WORK, [process.unit])
    return {
        "process": process,
        "document": process.document,
        "versions": versions,
        "circuit": selectors.review_circuit(process=process),
        "current_step": selectors.current_step(process),
        "deliveries": selectors.deliveries(process=process),
        "external": list(process.external_dispatches.order_by("recipient_code")),
        "external_timeline": _external_timeline(process),
        "corrections": selectors.corrections(process=process),
        "actions": actions,
        "is_sender": True,
        "file_form": FileForm(),
        "reviewers_form": ReviewersForm(reviewers=candidates) if "reviewers" in actions else None,
        "review_form": ReviewForm(),
        "dispatch_form": (
            DispatchForm(units=_units_choices(_recipient_units(process)))
            if "dispatch" in actions
            else None
        ),
        "recall_form": RecallForm(),
        "confirmation_form": ConfirmationForm(),
        "agent_form": AgentSessionForm(),
        "return_signature_form": ReturnSignatureForm(),
        "signing_mode": signatures.signing_mode(request.user) if "sign" in actions else None,
        "signature_report": (versions[0].signature_check if versions else None),
        "dispatch_deadline": services.dispatch_deadline(process),
        "dispatch_late": process.state == OutgoingState.SEALED
        and not services.dispatch_on_time(process),
    }


def agent_context(request: HttpRequest, session: Any, token: str) -> dict[str, Any]:
    """What the page hands to the workstation agent: the one-time URLs of the session."""
    return sessions.agent_links(session, token)


def _act(
    request: HttpRequest,
    process_id: UUID,
    call: Callable[[OutgoingProcess], Any],
    success: str,
) -> HttpResponse:
    """Run one transition; 403 when refused, the detail page with the message otherwise."""
    process = _process_or_404(request, process_id)
    try:
        result = call(process)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        process.refresh_from_db()
        return render(
            request,
            "office/outgoing_detail.html",
            _detail_context(request, process),
            status=exc.status,
        )
    messages.success(request, success)
    target = result if isinstance(result, OutgoingProcess) else process
    return redirect("office:outgoing_detail", process_id=target.pk)


@login_required
@require_GET
def outgoing_list(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.OFFICE_WORK):
        raise DjangoPermissionDenied
    state = request.GET.get("state") or None
    if state not in OutgoingState.values:
        state = None
    processes = list(selectors.outgoing_visible_to(user=request.user, state=state)[:100])
    return render(
        request,
        "office/outgoing_list.html",
        {
            "processes": processes,
            "states": OutgoingState.choices,
            "state": state,
            "can_draft": selectors.drafting_units(user=request.user).exists(),
            "recalls": list(selectors.recalls_to_confirm(user=request.user)[:50]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def outgoing_create(request: HttpRequest) -> HttpResponse:
    units = list(selectors.drafting_units(user=request.user))
    if not units:
        raise DjangoPermissionDenied
    options: dict[str, Any] = {
        "units": _units_choices(units),
        "signers": selectors.holders(Action.OFFICE_INSTRUCT, units),
        "reviewers": selectors.holders(Action.OFFICE_WORK, units),
    }
    if request.method == "GET":
        form = DraftForm(**options)
        return render(request, "office/outgoing_create.html", {"form": form})
    form = DraftForm(request.POST, request.FILES, **options)
    if not form.is_valid():
        return render(request, "office/outgoing_create.html", {"form": form}, status=400)
    data = form.cleaned_data
    unit = next(u for u in units if str(u.pk) == data["unit"])
    try:
        process = services.outgoing_draft(
            actor=request.user,
            unit=unit,
            file=_incoming(data["file"]),
            metadata={
                "subject": data["subject"],
                "doc_type": data["doc_type"].code,
                "urgency": data["urgency"],
                "recipients": data["recipients"],
            },
            signer=User.objects.get(pk=data["signer"]),
            reviewers=_users(data["reviewers"]),
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        for field, field_messages in exc.field_errors.items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, str(message))
        if not exc.field_errors:
            form.add_error(None, str(exc.message))
        return render(request, "office/outgoing_create.html", {"form": form}, status=400)
    messages.success(request, _("The draft was created."))
    return redirect("office:outgoing_detail", process_id=process.pk)


@login_required
@require_GET
def outgoing_detail(request: HttpRequest, process_id: UUID) -> HttpResponse:
    try:
        process = selectors.outgoing_get(user=request.user, process_id=process_id)
    except errors.NotFound:
        # A recipient unit sees the document it received and its recall, not the drafting
        # unit's circuit.
        try:
            process = selectors.outgoing_received_get(user=request.user, process_id=process_id)
        except errors.NotFound as exc:
            raise Http404(str(exc.message)) from exc
        mine = set(
            policy.units_in_scope(request.user, Action.OFFICE_CLERK).values_list("pk", flat=True)
        )
        return render(
            request,
            "office/outgoing_detail.html",
            {
                "process": process,
                "document": process.document,
                "is_sender": False,
                "deliveries": [
                    d for d in selectors.deliveries(process=process) if d.unit_id in mine
                ],
            },
        )
    return render(request, "office/outgoing_detail.html", _detail_context(request, process))


def _bad_form(form: Any) -> errors.ValidationFailed:
    first = next(iter(form.errors.values()))[0] if form.errors else _("The request is not valid.")
    return errors.ValidationFailed(first)


@login_required
@require_POST
def outgoing_version(request: HttpRequest, process_id: UUID) -> HttpResponse:
    form = FileForm(request.POST, request.FILES)

    def call(process: OutgoingProcess) -> Any:
        if not form.is_valid():
            raise _bad_form(form)
        return services.outgoing_new_version(
            actor=request.user, process=process, file=_incoming(form.cleaned_data["file"])
        )

    return _act(request, process_id, call, _("The new version was added."))


@login_required
@require_POST
def outgoing_reviewers(request: HttpRequest, process_id: UUID) -> HttpResponse:
    def call(process: OutgoingProcess) -> Any:
        form = ReviewersForm(
            request.POST, reviewers=selectors.holders(Action.OFFICE_WORK, [process.unit])
        )
        if not form.is_valid():
            raise _bad_form(form)
        ids = [str(v) for v in form.cleaned_data["reviewers"]]
        users = _users(ids)
        if len(users) != len(ids):
            raise errors.ValidationFailed(_("Unknown reviewer."))
        return services.outgoing_set_reviewers(actor=request.user, process=process, reviewers=users)

    return _act(request, process_id, call, _("The review circuit was saved."))


@login_required
@require_POST
def outgoing_submit(request: HttpRequest, process_id: UUID) -> HttpResponse:
    return _act(
        request,
        process_id,
        lambda p: services.outgoing_submit(actor=request.user, process=p),
        _("The draft was submitted."),
    )


@login_required
@require_POST
def outgoing_review(request: HttpRequest, process_id: UUID) -> HttpResponse:
    form = ReviewForm(request.POST)

    def call(process: OutgoingProcess) -> Any:
        if not form.is_valid():
            raise _bad_form(form)
        return services.outgoing_review(
            actor=request.user,
            process=process,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
        )

    return _act(request, process_id, call, _("Your opinion was recorded."))


@login_required
@require_POST
def outgoing_approve(request: HttpRequest, process_id: UUID) -> HttpResponse:
    return _act(
        request,
        process_id,
        lambda p: services.outgoing_approve(actor=request.user, process=p),
        _("The draft was approved."),
    )


@login_required
@require_POST
def outgoing_sign(request: HttpRequest, process_id: UUID) -> HttpResponse:
    """The personal signature with a key the server holds, confirmed by the second factor
    (the service checks the right first, then the code)."""
    code = str(request.POST.get("confirmation", ""))[:32]

    def call(process: OutgoingProcess) -> Any:
        return signatures.outgoing_sign(actor=request.user, process=process, confirmation=code)

    return _act(request, process_id, call, _("The document was signed."))


@login_required
@require_POST
def outgoing_sign_agent(request: HttpRequest, process_id: UUID) -> HttpResponse:
    """Open a one-time session of the signing agent (the signer's USB token) and show the page
    that hands its URLs to the agent."""
    process = _process_or_404(request, process_id)
    form = AgentSessionForm(request.POST)
    try:
        if not form.is_valid():
            raise _bad_form(form)
        session, token = signatures.outgoing_sign_session(
            actor=request.user, process=process, mode=form.cleaned_data["mode"]
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return render(
            request,
            "office/outgoing_detail.html",
            _detail_context(request, process),
            status=exc.status,
        )
    context = _detail_context(request, process)
    context["agent_session"] = agent_context(request, session, token)
    return render(request, "office/outgoing_detail.html", context)


@login_required
@require_POST
def outgoing_return_signature(request: HttpRequest, process_id: UUID) -> HttpResponse:
    reason = str(request.POST.get("reason", ""))[:500]

    def call(process: OutgoingProcess) -> Any:
        return signatures.outgoing_return_signature(
            actor=request.user, process=process, reason=reason
        )

    return _act(request, process_id, call, _("The signature was refused; the draft went back."))


@login_required
@require_POST
def outgoing_number(request: HttpRequest, process_id: UUID) -> HttpResponse:
    return _act(
        request,
        process_id,
        lambda p: services.outgoing_number(actor=request.user, process=p),
        _("The document was numbered."),
    )


@login_required
@require_POST
def outgoing_seal(request: HttpRequest, process_id: UUID) -> HttpResponse:
    code = str(request.POST.get("confirmation", ""))[:32]

    def call(process: OutgoingProcess) -> Any:
        return signatures.outgoing_seal(actor=request.user, process=process, confirmation=code)

    return _act(request, process_id, call, _("The organization's signature was applied."))


@login_required
@require_http_methods(["GET", "POST"])
def outgoing_seal_queue(request: HttpRequest) -> HttpResponse:
    """The clerk's batch of numbered documents awaiting the organization's seal: one
    second-factor confirmation for the batch."""
    if not policy.can(request.user, Action.OFFICE_CLERK):
        raise DjangoPermissionDenied(_("Only records clerks apply the organization's seal."))
    waiting = list(selectors.awaiting_seal(user=request.user))
    choices = [(str(p.pk), p.document.subject) for p in waiting]
    form = SealBatchForm(request.POST or None, choices=choices)
    outcomes: list[Any] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = set(form.cleaned_data["processes"])
            try:
                outcomes = signatures.outgoing_seal_batch(
                    actor=request.user,
                    processes=[p for p in waiting if str(p.pk) in chosen],
                    confirmation=form.cleaned_data["confirmation"],
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                messages.error(request, str(exc.message))
                status = exc.status
            else:
                sealed = sum(1 for o in outcomes if not o.error)
                if sealed:
                    messages.success(
                        request, _("Seal applied to %(count)d document(s).") % {"count": sealed}
                    )
                if sealed == len(outcomes):
                    return redirect("office:outgoing_seal_queue")
                status = 409
        else:
            status = 400
        waiting = list(selectors.awaiting_seal(user=request.user))
        form.fields["processes"].choices = [(str(p.pk), p.document.subject) for p in waiting]  # type: ignore[attr-defined]
    return render(
        request,
        "office/outgoing_seal_queue.html",
        {"form": form, "waiting": waiting, "outcomes": [o for o in outcomes if o.error]},
        status=status,
    )


@login_required
@require_POST
def outgoing_dispatch(request: HttpRequest, process_id: UUID) -> HttpResponse:
    def call(process: OutgoingProcess) -> Any:
        form = DispatchForm(request.POST, units=_units_choices(_recipient_units(process)))
        if not form.is_valid():
            raise _bad_form(form)
        units = list(_recipient_units(process).filter(pk__in=form.cleaned_data["internal_units"]))
        return services.outgoing_dispatch(
            actor=request.user, process=process, internal_units=units, external_codes=form.codes()
        )

    return _act(request, process_id, call, _("The document was sent."))


def _correction_view(
    request: HttpRequest, process_id: UUID, service: Any, done: str
) -> HttpResponse:
    form = FileForm(request.POST, request.FILES)

    def call(process: OutgoingProcess) -> Any:
        if not form.is_valid():
            raise _bad_form(form)
        return service(
            actor=request.user, process=process, file=_incoming(form.cleaned_data["file"])
        )

    return _act(request, process_id, call, done)


@login_required
@require_POST
def outgoing_replace(request: HttpRequest, process_id: UUID) -> HttpResponse:
    return _correction_view(
        request, process_id, services.outgoing_replace, _("The replacement draft was created.")
    )


@login_required
@require_POST
def outgoing_errata(request: HttpRequest, process_id: UUID) -> HttpResponse:
    return _correction_view(
        request, process_id, services.outgoing_errata, _("The errata draft was created.")
    )


@login_required
@require_POST
def outgoing_recall(request: HttpRequest, process_id: UUID) -> HttpResponse:
    form = RecallForm(request.POST)

    def call(process: OutgoingProcess) -> Any:
        if not form.is_valid():
            raise _bad_form(form)
        return services.outgoing_recall(
            actor=request.user, process=process, reason=form.cleaned_data["reason"]
        )

    return _act(request, process_id, call, _("The document was recalled."))


@login_required
@require_POST
def outgoing_recall_confirm(request: HttpRequest, process_id: UUID, unit_id: UUID) -> HttpResponse:
    try:
        process = selectors.outgoing_received_get(user=request.user, process_id=process_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    try:
        services.outgoing_recall_confirm(actor=request.user, process=process, unit=unit)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("office:outgoing_detail", process_id=process.pk)
    messages.success(request, _("The deletion was confirmed."))
    return redirect("office:outgoing_detail", process_id=process.pk)


_ACTIONS: list[tuple[str, Callable[..., HttpResponse]]] = [
    ("version", outgoing_version),
    ("reviewers", outgoing_reviewers),
    ("submit", outgoing_submit),
    ("review", outgoing_review),
    ("approve", outgoing_approve),
    ("sign", outgoing_sign),
    ("sign-agent", outgoing_sign_agent),
    ("return-signature", outgoing_return_signature),
    ("number", outgoing_number),
    ("seal", outgoing_seal),
    ("dispatch", outgoing_dispatch),
    ("replace", outgoing_replace),
    ("errata", outgoing_errata),
    ("recall", outgoing_recall),
]

urlpatterns: list[URLPattern] = [
    path("outgoing/", outgoing_list, name="outgoing"),
    path("outgoing/new/", outgoing_create, name="outgoing_create"),
    path("outgoing/seal/", outgoing_seal_queue, name="outgoing_seal_queue"),
    path("outgoing/<uuid:process_id>/", outgoing_detail, name="outgoing_detail"),
    *[
        path(f"outgoing/<uuid:process_id>/{name}/", view, name=f"outgoing_{name.replace('-', '_')}")
        for name, view in _ACTIONS
    ],
    path(
        "outgoing/<uuid:process_id>/recall/confirm/<uuid:unit_id>/",
        outgoing_recall_confirm,
        name="outgoing_recall_confirm",
    ),
]
