"""The exchange operator's page: this node, the directory in force, the outbox, the inbox and
the quarantine, with the retry and release actions. Node-wide administrators only (the
message log spans every unit)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from secretariat.core import errors
from secretariat.signing import pki

from . import directory, identity, services, timeline, transport
from .models import InboxPackage, OutboxPackage, Quarantine

LIST_LIMIT = 200


def _require_operator(request: HttpRequest) -> None:
    if not pki.node_wide(request.user):
        raise Http404


@login_required
@require_GET
def message_log(request: HttpRequest) -> HttpResponse:
    _require_operator(request)
    outbox = list(OutboxPackage.objects.defer("receipt")[:LIST_LIMIT])
    for sent in outbox:
        sent.error_text = error_text(sent.last_error)  # type: ignore[attr-defined]
    inbox = list(InboxPackage.objects.defer("content_sealed", "receipt")[:LIST_LIMIT])
    quarantined = list(Quarantine.objects.defer("frame")[:LIST_LIMIT])
    for item in quarantined:
        item.reason_text = str(services.REASONS.get(item.reason, item.reason))  # type: ignore[attr-defined]
    for received in inbox:
        received.status_text = timeline.label(received.status_code) if received.status_code else ""  # type: ignore[attr-defined]
    return render(
        request,
        "exchange/log.html",
        {
            "node": identity.identity(),
            "snapshot": directory.snapshot(),
            "outbox": outbox,
            "inbox": inbox,
            "quarantined": quarantined,
        },
    )


def error_text(last_error: str) -> str:
    """The last error of a delivery in words: a transport failure or the recipient's reason for
    refusing, then the technical detail."""
    if not last_error:
        return ""
    code, _sep, detail = last_error.partition(": ")
    label = transport.MESSAGES.get(code) or services.REASONS.get(code)
    if label is None:
        return last_error
    return f"{label} ({detail})" if detail else str(label)


def _answer(request: HttpRequest, exc: errors.DomainError) -> HttpResponse:
    messages.error(request, str(exc.message))
    return redirect("exchange:log")


@login_required
@require_POST
def outbox_retry(request: HttpRequest, pk: UUID) -> HttpResponse:
    _require_operator(request)
    package = OutboxPackage.objects.filter(pk=pk).first()
    if package is None:
        raise Http404
    try:
        services.outbox_retry(actor=request.user, package=package)
    except errors.DomainError as exc:
        return _answer(request, exc)
    messages.success(request, _("The package will be sent again now."))
    return redirect("exchange:log")


@login_required
@require_POST
def quarantine_release(request: HttpRequest, pk: UUID) -> HttpResponse:
    _require_operator(request)
    item = Quarantine.objects.filter(pk=pk).first()
    if item is None:
        raise Http404
    try:
        services.quarantine_release(actor=request.user, item=item)
    except errors.DomainError as exc:
        return _answer(request, exc)
    messages.success(request, _("The package passed its checks and was accepted."))
    return redirect("exchange:log")
