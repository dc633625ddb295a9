"""Pages of the minutes and the video room's join. Thin: parse a form, call
`services.minutes` or `video`, render.

A meeting the user may not see is a 404 (its existence is not revealed); an action the user may
not take is a 403; an action the state does not allow, or bad input, comes back on the minutes
page with its message and status 409 / 400, never a 500.
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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.core import errors
from secretariat.office.forms_signatures import AgentSessionForm
from secretariat.signing import sessions
from secretariat.signing.models import SessionMode

from . import access, video
from .models import Meeting, MeetingState, Minutes, MinutesState
from .services import minutes as services


def _meeting_or_404(request: HttpRequest, pk: UUID) -> Meeting:
    try:
        return access.get_visible(request.user, pk)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _context(request: HttpRequest, meeting: Meeting, **extra: Any) -> dict[str, Any]:
    minutes = services.minutes_of(meeting)
    organizer = access.may_organize(request.user, meeting)
    turn = services.next_signer(minutes) if minutes is not None else None
    signer = turn is not None and request.user.pk == (
        meeting.secretary_id if turn == "secretary" else meeting.chair_id
    )
    return {
        "meeting": meeting,
        "minutes": minutes,
        "organizer": organizer,
        # Participants read the minutes once they are rendered; organizers read the draft too.
        "show_text": minutes is not None and (organizer or minutes.state != MinutesState.DRAFT),
        "may_draft": organizer
        and meeting.state in services.RECORDED_STATES
        and (minutes is None or minutes.state == MinutesState.DRAFT),
        "turn": turn,
        "may_sign": signer,
        "signing_mode": services.signing_mode(request.user) if signer else None,
        # The digest mode puts the visible stamp in the signer's box of the minutes (the PDF
        # mode signs as the token's own tool does); both are offered, as for outgoing documents.
        "agent_form": AgentSessionForm(initial={"mode": SessionMode.DIGEST}) if signer else None,
        "version": services.current_version(minutes) if minutes is not None else None,
        "signature_report": services.signature_report(minutes) if minutes is not None else None,
        "states": MinutesState,
        **extra,
    }


def _act(
    request: HttpRequest, pk: UUID, call: Callable[[Meeting], Minutes], success: str
) -> HttpResponse:
    """Run one step; 403 when refused, the minutes page with the message otherwise."""
    meeting = _meeting_or_404(request, pk)
    try:
        call(meeting)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        extra: dict[str, Any] = {}
        if "text" in exc.field_errors:
            extra["edited_text"] = str(request.POST.get("text", ""))
        return render(
            request,
            "meetings/minutes.html",
            _context(request, meeting, **extra),
            status=exc.status,
        )
    messages.success(request, success)
    return redirect("meetings:minutes", pk=meeting.pk)


@login_required
@require_GET
def minutes_page(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    return render(request, "meetings/minutes.html", _context(request, meeting))


@login_required
@require_POST
def minutes_draft(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda meeting: services.minutes_draft(actor=request.user, meeting=meeting),
        _("The minutes were drafted from the meeting's record."),
    )


@login_required
@require_POST
def minutes_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    text = str(request.POST.get("text", ""))
    return _act(
        request,
        pk,
        lambda meeting: services.minutes_edit(actor=request.user, meeting=meeting, text=text),
        _("The minutes were saved."),
    )


@login_required
@require_POST
def minutes_finalize(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda meeting: services.minutes_finalize(actor=request.user, meeting=meeting),
        _("The minutes were rendered and registered; they can now be signed."),
    )


@login_required
@require_POST
def minutes_reopen(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda meeting: services.minutes_reopen(actor=request.user, meeting=meeting),
        _("The minutes are a draft again."),
    )


@login_required
@require_POST
def minutes_sign(request: HttpRequest, pk: UUID) -> HttpResponse:
    code = str(request.POST.get("confirmation", ""))[:32]
    return _act(
        request,
        pk,
        lambda meeting: services.minutes_sign(
            actor=request.user, meeting=meeting, confirmation=code
        ),
        _("The minutes were signed."),
    )


@login_required
@require_POST
def minutes_sign_agent(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Open a one-time session of the signing agent (the signer's USB token) and show the
    minutes page handing its URLs to the agent (as an outgoing document's page does)."""
    meeting = _meeting_or_404(request, pk)
    form = AgentSessionForm(request.POST)
    try:
        if not form.is_valid():
            message = _("Choose how the agent signs.")
            raise errors.ValidationFailed(message, field_errors={"mode": [message]})
        session, token = services.minutes_sign_session(
            actor=request.user, meeting=meeting, mode=form.cleaned_data["mode"]
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return render(
            request, "meetings/minutes.html", _context(request, meeting), status=exc.status
        )
    context = _context(request, meeting, agent_session=sessions.agent_links(session, token))
    return render(request, "meetings/minutes.html", context)


@login_required
@require_GET
def minutes_pdf(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The registered PDF (its current, signed version) for everyone invited once the minutes
    are rendered; the draft's preview for the organizers."""
    meeting = _meeting_or_404(request, pk)
    minutes = services.minutes_of(meeting)
    try:
        if minutes is not None and minutes.state != MinutesState.DRAFT:
            content = services.current_pdf(minutes)
        else:
            # A draft (new or reopened): its preview, for the organizers only.
            content = services.preview_pdf(user=request.user, meeting=meeting)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("meetings:minutes", pk=meeting.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{services._file_name(meeting)}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def video_join(request: HttpRequest, pk: UUID) -> HttpResponse:
    """GET: the page with the join button (who you join as, whether the server is ready).
    POST: join — audited, checked in as remote — and go to the video room."""
    meeting = _meeting_or_404(request, pk)
    context = {
        "meeting": meeting,
        "configured": video.configured(meeting),
        "moderator": video.is_moderator(meeting, request.user),
        "closed": meeting.state in (MeetingState.CLOSED, MeetingState.CANCELLED),
    }
    if request.method == "GET":
        return render(request, "meetings/minutes_video.html", context)
    try:
        url = video.join(actor=request.user, meeting=meeting)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return render(request, "meetings/minutes_video.html", context, status=exc.status)
    return redirect(url)
