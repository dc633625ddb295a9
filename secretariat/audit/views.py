"""The audit viewer: auditors browse their scope, everyone else their own actions."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from secretariat.accounts import policy

from . import selectors
from .forms import EventFilterForm
from .models import AuditEvent

PAGE_SIZE = 50


@login_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None)
    events: list[AuditEvent] = []
    older_query = ""
    invalid = form.is_bound and not form.is_valid()
    if not invalid:
        filters = form.to_filter() if form.is_bound else selectors.EventFilter()
        # One more than a page tells whether there is an older page, without COUNT(*).
        found = selectors.events_search(user=request.user, filters=filters, limit=PAGE_SIZE + 1)
        events = found[:PAGE_SIZE]
        if len(found) > PAGE_SIZE:
            query = request.GET.copy()
            query["before"] = str(events[-1].seq)
            older_query = query.urlencode()
    context = {
        "form": form,
        "events": events,
        "older_query": older_query,
        "invalid": invalid,
        "invalid_message": _("Some filters are not valid: correct them to search the log."),
        "is_auditor": policy.can(request.user, policy.Action.AUDIT_VIEW),
    }
    if request.headers.get("HX-Request"):
        # 200 even for invalid filters: htmx swaps only successful answers, and the message
        # must replace the stale results.
        return render(request, "audit/_events_table.html", context)
    return render(request, "audit/events.html", context, status=400 if invalid else 200)


@login_required
@require_GET
def event_detail(request: HttpRequest, event_id: uuid.UUID) -> HttpResponse:
    event = selectors.event_visible(user=request.user, ref=event_id)
    if event is None:
        # Out of scope reads as absent: a 403 would confirm the event exists.
        raise Http404(_("No such event."))
    checkpoint = selectors.covering_checkpoint(event=event)
    return render(request, "audit/event_detail.html", {"event": event, "checkpoint": checkpoint})
