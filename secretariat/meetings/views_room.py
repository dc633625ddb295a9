"""The meeting room: the live page, the QR screen, check-in, and the POST endpoints of the
room's controls (session, agenda position, speakers, votes, presence). Thin: find the objects
through `access`, call the services of attendance, speakers and votes, answer.

Answers: room.js sends its forms with `fetch` and the header `X-Room: 1`; it gets JSON
{"ok", "message", ...} and the change itself arrives over the socket. Without JavaScript the
same forms post normally: a message and a redirect to the room. A meeting the user may not see
answers 404 (its existence is not revealed); an action the user may not take 403; a refused
action (bad input, wrong moment) 400 with the service's translated message.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from uuid import UUID

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts.models import User
from secretariat.core import errors

from . import access, selectors_room, snapshot
from .models import (
    AgendaItem,
    Meeting,
    MeetingState,
    Participant,
    Presence,
    SpeakerKind,
    SpeakerRequest,
    Vote,
    VoteKind,
    VoteMethod,
    VoteState,
)
from .services import attendance, speakers, votes

FETCH_HEADER = "X-Room"


def _meeting_or_404(request: HttpRequest, pk: UUID) -> Meeting:
    try:
        return access.get_visible(request.user, pk)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _of_meeting(model: Any, meeting: Meeting, pk: Any) -> Any:
    """A row of `model` belonging to `meeting`, else 404 (ids from another meeting included)."""
    try:
        found = model.objects.filter(meeting=meeting, pk=pk).first()
    except (ValueError, TypeError, errors.DomainError):
        found = None
    if found is None:
        raise Http404(_("Not found."))
    return found


def _fetch(request: HttpRequest) -> bool:
    return request.headers.get(FETCH_HEADER) == "1"


def _act(
    request: HttpRequest,
    meeting: Meeting,
    action: Callable[[], Any],
    success: str,
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> HttpResponse:
    """Run a service call and answer in the caller's style (JSON for room.js, else a message
    and a redirect). Domain errors become their translated message; refusals 403."""
    try:
        outcome = action()
    except errors.PermissionDenied as exc:
        if _fetch(request):
            return JsonResponse({"ok": False, "message": str(exc.message)}, status=403)
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        problems = [str(p) for ps in exc.field_errors.values() for p in ps]
        text = " ".join(problems) or str(exc.message)
        if _fetch(request):
            return JsonResponse({"ok": False, "message": text}, status=400)
        messages.error(request, text)
        return redirect("meetings:room", pk=meeting.pk)
    payload = {"ok": True, "message": success, **(extra(outcome) if extra else {})}
    if _fetch(request):
        return JsonResponse(payload)
    messages.success(request, success)
    if payload.get("receipt"):
        messages.info(
            request,
            _("Your receipt code: %(code)s. Keep it to check that your ballot was counted.")
            % {"code": payload["receipt"]},
        )
    return redirect("meetings:room", pk=meeting.pk)


def _organizer_or_403(request: HttpRequest, meeting: Meeting) -> None:
    if not access.may_organize(request.user, meeting):
        raise DjangoPermissionDenied(_("Only the meeting's organizers may do this."))


# --- Pages ------------------------------------------------------------------------------------


def _labels() -> dict[str, Any]:
    """Words room.js writes into the page, in the user's language."""
    return {
        "meeting_state": {k: str(v) for k, v in MeetingState.choices},
        "vote_kind": {k: str(v) for k, v in VoteKind.choices},
        "vote_method": {k: str(v) for k, v in VoteMethod.choices},
        "vote_state": {k: str(v) for k, v in VoteState.choices},
        "speaker_kind": {k: str(v) for k, v in SpeakerKind.choices},
        "presence": {
            "room": str(Presence.ROOM.label),
            "remote": str(Presence.REMOTE.label),
            "": str(Presence.ABSENT.label),
        },
        "outcome": {
            "passed": _("Adopted"),
            "rejected": _("Not adopted"),
            "elected": _("Elected"),
            "not_elected": _("No one elected"),
            "tie": _("Tie: a new vote is needed for the remaining seats"),
        },
        "text": {
            "no_item": _("No agenda item taken up yet."),
            "take_up": _("Take up"),
            "current": _("Now"),
            "no_speaker": _("No one has the floor."),
            "queue_empty": _("No one is waiting to speak."),
            "give_floor": _("Give the floor"),
            "remove": _("Remove"),
            "withdraw": _("Withdraw my request"),
            "end_turn": _("End the turn"),
            "time_left": _("Time left"),
            "overtime": _("Over time by"),
            "no_vote": _("No vote is open."),
            "cast": _("Cast my vote"),
            "blank_hint": _("Mark nothing to cast a blank ballot."),
            "choose_up_to": _("Choose up to %(seats)s."),
            "voted": _("Your vote was recorded."),
            "receipt": _("Your receipt code (keep it to check that your ballot was counted):"),
            "may_not_vote": _("You may not vote in this vote."),
            "ballots": _("Ballots cast"),
            "eligible": _("Eligible voters"),
            "close_vote": _("Close the vote"),
            "hands": _("Hands raised"),
            "record_hands": _("Record the hands"),
            "open": _("Open"),
            "no_results": _("No vote closed yet."),
            "votes": _("votes"),
            "required": _("Needed"),
            "base": _("Base"),
            "blank": _("Blank ballots"),
            "receipts": _("Receipts of all ballots counted"),
            "present": _("Present"),
            "quorum_met": _("Quorum reached"),
            "quorum_not_met": _("No quorum"),
            "of_needed": _("needed"),
            "in_room": _("In the room"),
            "remote": _("Remote"),
            "gone": _("Gone"),
            "live_lost": _("Connection lost; reconnecting…"),
            "live_ok": _("Live"),
            "signed_out": _("You are signed out or no longer invited: reload the page."),
        },
    }


# room.js puts the ids of the rows it renders in place of this one.
PLACEHOLDER = UUID(int=0)


def _url_templates(meeting: Meeting) -> dict[str, str]:
    def url(name: str, **kwargs: Any) -> str:
        return reverse(f"meetings:{name}", kwargs={"pk": meeting.pk, **kwargs})

    return {
        "placeholder": str(PLACEHOLDER),
        "item": url("room_item"),
        "floor": url("room_floor"),
        "withdraw": url("room_speak_withdraw", request_pk=PLACEHOLDER),
        "end": url("room_speak_end", request_pk=PLACEHOLDER),
        "cast": url("room_vote_cast", vote_pk=PLACEHOLDER),
        "hands": url("room_vote_hands", vote_pk=PLACEHOLDER),
        "close": url("room_vote_close", vote_pk=PLACEHOLDER),
        "presence": url("room_presence_record", participant_pk=PLACEHOLDER),
    }


@login_required
@require_GET
def room(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    state = snapshot.build(meeting=meeting, user=request.user)
    organizer = bool(state["me"]["organizer"])
    context = {
        "meeting": meeting,
        "state": state,
        "labels": _labels(),
        "organizer": organizer,
        "participant": state["me"]["participant_id"] is not None,
        "drafts": (
            list(Vote.objects.filter(meeting=meeting, state=VoteState.DRAFT).order_by("created_at"))
            if organizer
            else []
        ),
        "vote_kinds": VoteKind.choices,
        "vote_methods": VoteMethod.choices,
        "candidate_choices": (
            [
                (p.pk, str(p.user))
                for p in Participant.objects.filter(meeting=meeting)
                .select_related("user")
                .order_by("user__full_name", "user__username")
            ]
            if organizer
            else []
        ),
        "socket_path": f"/ws/meetings/{meeting.pk}/",
        "urls": _url_templates(meeting),
    }
    return render(request, "meetings/room.html", context)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode("utf-8")
    # Inline in the page: without the XML declaration.
    return text[text.index("<svg") :]


@login_required
@require_GET
def qr(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The screen of the room: a QR code of the check-in address (organizers only: the token in
    it is what proves presence in the room)."""
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    url = request.build_absolute_uri(
        reverse("meetings:checkin", kwargs={"pk": meeting.pk, "token": meeting.checkin_token})
    )
    return render(
        request,
        "meetings/room_qr.html",
        {"meeting": meeting, "checkin_url": url, "qr_svg": mark_safe(_qr_svg(url))},  # noqa: S308
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, pk: UUID, token: str) -> HttpResponse:
    """The address in the QR code. Opening it shows one button; pressing it checks the
    participant in (a GET changes nothing: a link alone, prefetched or forwarded, never marks
    anyone present)."""
    meeting = _meeting_or_404(request, pk)
    if access.participant(request.user, meeting) is None:
        raise DjangoPermissionDenied(_("Only the meeting's participants may do this."))
    if request.method == "POST":
        return _act(
            request,
            meeting,
            lambda: attendance.check_in(actor=request.user, meeting=meeting, token=token),
            _("You are checked in."),
        )
    return render(request, "meetings/room_checkin.html", {"meeting": meeting, "token": token[:100]})


# --- Attendance and session -------------------------------------------------------------------


@login_required
@require_POST
def presence_self(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The participant takes part remotely (`remote`) or leaves (`leave`)."""
    meeting = _meeting_or_404(request, pk)
    if request.POST.get("action") == "leave":
        return _act(
            request,
            meeting,
            lambda: attendance.leave(actor=request.user, meeting=meeting),
            _("You have left the meeting."),
        )
    return _act(
        request,
        meeting,
        lambda: attendance.checkin_remote(actor=request.user, meeting=meeting),
        _("You are checked in as taking part remotely."),
    )


@login_required
@require_POST
def presence_record(request: HttpRequest, pk: UUID, participant_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    participant = _of_meeting(Participant, meeting, participant_pk)
    presence = request.POST.get("presence", "")
    return _act(
        request,
        meeting,
        lambda: attendance.record_presence(
            actor=request.user, participant=participant, presence=presence
        ),
        _("Presence recorded."),
    )


@login_required
@require_POST
def session(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    if request.POST.get("action") == "close":
        return _act(
            request,
            meeting,
            lambda: attendance.close_session(actor=request.user, meeting=meeting),
            _("The session is closed."),
        )
    return _act(
        request,
        meeting,
        lambda: attendance.open_session(actor=request.user, meeting=meeting),
        _("The session is open."),
    )


@login_required
@require_POST
def current_item(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    raw = request.POST.get("item", "")
    item = _of_meeting(AgendaItem, meeting, raw) if raw else None
    return _act(
        request,
        meeting,
        lambda: attendance.set_current_item(actor=request.user, meeting=meeting, item=item),
        _("Agenda position changed."),
    )


# --- Speakers ---------------------------------------------------------------------------------


@login_required
@require_POST
def speak_request(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    kind = request.POST.get("kind", SpeakerKind.SPEAK)
    return _act(
        request,
        meeting,
        lambda: speakers.request_floor(actor=request.user, meeting=meeting, kind=kind),
        _("Your request to speak is in the queue."),
    )


@login_required
@require_POST
def speak_withdraw(request: HttpRequest, pk: UUID, request_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    found = _of_meeting(SpeakerRequest, meeting, request_pk)
    return _act(
        request,
        meeting,
        lambda: speakers.withdraw(actor=request.user, request=found),
        _("The request to speak was withdrawn."),
    )


def _seconds(request: HttpRequest) -> int | None:
    raw = request.POST.get("minutes", "").strip()
    if not raw:
        return None
    try:
        return round(float(raw.replace(",", ".")) * 60)
    except ValueError as exc:
        raise errors.ValidationFailed(_("Give the speaking time in minutes.")) from exc


@login_required
@require_POST
def speak_floor(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Give the floor to the request named by `request`, or to the head of the queue."""
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    raw = request.POST.get("request", "")
    found = _of_meeting(SpeakerRequest, meeting, raw) if raw else None

    def give() -> Any:
        seconds = _seconds(request)
        if found is None:
            return speakers.give_floor_next(
                actor=request.user, meeting=meeting, allotted_seconds=seconds
            )
        return speakers.give_floor(actor=request.user, request=found, allotted_seconds=seconds)

    return _act(request, meeting, give, _("The floor was given."))


@login_required
@require_POST
def speak_end(request: HttpRequest, pk: UUID, request_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    found = _of_meeting(SpeakerRequest, meeting, request_pk)
    return _act(
        request,
        meeting,
        lambda: speakers.end_turn(actor=request.user, request=found),
        _("The turn ended."),
    )


# --- Votes ------------------------------------------------------------------------------------


@login_required
@require_POST
def vote_open(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Prepare a vote and open it at once; or open a prepared one (`vote`)."""
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    raw = request.POST.get("vote", "")
    prepared = _of_meeting(Vote, meeting, raw) if raw else None

    def open_() -> Vote:
        if prepared is not None:
            return votes.open_vote(actor=request.user, vote=prepared)
        try:
            seats = int(request.POST.get("seats") or 1)
        except ValueError as exc:
            raise errors.ValidationFailed(_("Give the number of seats as a number.")) from exc
        # Candidates: invited participants picked from the list, then names typed one per line
        # (someone without an account).
        candidates: list[User | str] = []
        for participant_id in request.POST.getlist("candidate_participants"):
            try:
                found = (
                    Participant.objects.filter(meeting=meeting, pk=participant_id)
                    .select_related("user")
                    .first()
                )
            except (ValueError, TypeError, DjangoValidationError):
                found = None
            if found is None:
                raise errors.ValidationFailed(
                    _("A candidate picked is not a participant of this meeting."),
                    field_errors={"candidates": [_("Pick candidates among the participants.")]},
                )
            candidates.append(found.user)
        candidates += [
            line.strip() for line in request.POST.get("candidates", "").splitlines() if line.strip()
        ]
        item_id = request.POST.get("item", "")
        item = _of_meeting(AgendaItem, meeting, item_id) if item_id else meeting.current_item
        vote = votes.create_vote(
            actor=request.user,
            meeting=meeting,
            kind=request.POST.get("kind", ""),
            method=request.POST.get("method", ""),
            question=request.POST.get("question", ""),
            seats=seats,
            candidates=candidates,
            item=item,
        )
        # A vote that cannot open now (another is open, no one present) stays prepared: the
        # organizer opens it later from the list.
        return votes.open_vote(actor=request.user, vote=vote)

    return _act(request, meeting, open_, _("The vote is open."))


def _vote(meeting: Meeting, vote_pk: UUID) -> Vote:
    found: Vote = _of_meeting(Vote, meeting, vote_pk)
    return found


@login_required
@require_POST
def vote_cast(request: HttpRequest, pk: UUID, vote_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    vote = _vote(meeting, vote_pk)

    def cast() -> votes.CastResult:
        try:
            choices = [int(value) for value in request.POST.getlist("choice")]
        except ValueError as exc:
            raise errors.ValidationFailed(_("This choice is not on the ballot.")) from exc
        return votes.cast(actor=request.user, vote=vote, choices=choices)

    return _act(
        request,
        meeting,
        cast,
        _("Your vote was recorded."),
        extra=lambda result: {"receipt": result.receipt},
    )


@login_required
@require_POST
def vote_hands(request: HttpRequest, pk: UUID, vote_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    vote = _vote(meeting, vote_pk)

    def record() -> Vote:
        counts: dict[int, int] = {}
        for key in request.POST:
            if not key.startswith("hands_"):
                continue
            try:
                counts[int(key.removeprefix("hands_"))] = int(request.POST.get(key, ""))
            except ValueError as exc:
                raise errors.ValidationFailed(
                    _("Give a whole number of hands for every option.")
                ) from exc
        return votes.record_hands(actor=request.user, vote=vote, counts=counts)

    return _act(request, meeting, record, _("The hands were recorded."))


@login_required
@require_POST
def vote_close(request: HttpRequest, pk: UUID, vote_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _organizer_or_403(request, meeting)
    vote = _vote(meeting, vote_pk)
    return _act(
        request,
        meeting,
        lambda: votes.close_vote(actor=request.user, vote=vote),
        _("The vote is closed."),
    )


# --- Receipt check ----------------------------------------------------------------------------


@login_required
@require_GET
def receipt_check(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Whether a secret ballot with this receipt code was counted in a closed vote of the
    meeting (`selectors_room.check_receipt`, the code normalized: spaces, dashes and case do
    not matter). Open to whoever sees the room, like the published receipt lists; changes
    nothing. JSON for room.js (`X-Room: 1`), else a small page."""
    meeting = _meeting_or_404(request, pk)
    raw = request.GET.get("code", "")
    code = selectors_room.normalize_receipt(raw)
    status = 200
    counted: list[Vote] = []
    if not code or len(code) > 64:
        status = 400
        text = _("Type the receipt code you were given when you voted.")
    else:
        closed = Vote.objects.filter(
            meeting=meeting, method=VoteMethod.SECRET, state=VoteState.CLOSED
        ).order_by("closed_at")
        counted = [vote for vote in closed if selectors_room.check_receipt(vote, code)]
        if counted:
            text = _(
                "Counted: the ballot with the code %(code)s is in the count of: %(votes)s."
            ) % {
                "code": code,
                "votes": "; ".join(f"“{vote.question[:120]}”" for vote in counted),
            }
        else:
            text = _(
                "Not found: no closed secret ballot of this meeting has the code %(code)s. "
                "Check the code; a ballot is listed once its vote is closed."
            ) % {"code": code}
    if _fetch(request):
        return JsonResponse(
            {"ok": status == 200, "counted": bool(counted), "message": text}, status=status
        )
    return render(
        request,
        "meetings/room_receipt.html",
        {"meeting": meeting, "code": raw[:64], "counted": bool(counted), "text": text},
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("<uuid:pk>/room/receipt/", receipt_check, name="room_receipt"),
    path("<uuid:pk>/room/", room, name="room"),
    path("<uuid:pk>/qr/", qr, name="qr"),
    path("<uuid:pk>/checkin/<str:token>/", checkin, name="checkin"),
    path("<uuid:pk>/room/presence/", presence_self, name="room_presence"),
    path(
        "<uuid:pk>/room/presence/<uuid:participant_pk>/",
        presence_record,
        name="room_presence_record",
    ),
    path("<uuid:pk>/room/session/", session, name="room_session"),
    path("<uuid:pk>/room/item/", current_item, name="room_item"),
    path("<uuid:pk>/room/speakers/", speak_request, name="room_speak"),
    path("<uuid:pk>/room/speakers/floor/", speak_floor, name="room_floor"),
    path(
        "<uuid:pk>/room/speakers/<uuid:request_pk>/withdraw/",
        speak_withdraw,
        name="room_speak_withdraw",
    ),
    path("<uuid:pk>/room/speakers/<uuid:request_pk>/end/", speak_end, name="room_speak_end"),
    path("<uuid:pk>/room/votes/", vote_open, name="room_vote_open"),
    path("<uuid:pk>/room/votes/<uuid:vote_pk>/cast/", vote_cast, name="room_vote_cast"),
    path("<uuid:pk>/room/votes/<uuid:vote_pk>/hands/", vote_hands, name="room_vote_hands"),
    path("<uuid:pk>/room/votes/<uuid:vote_pk>/close/", vote_close, name="room_vote_close"),
]
