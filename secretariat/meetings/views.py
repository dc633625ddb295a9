"""Organizing pages of meetings: the list, the form, the meeting's page (participants, agenda,
pack), invitations and answers, calendar export, and the board pack reader.

Thin: parse, call `services.*` / `selectors`, render. A meeting the user may not see answers
404 (its existence is not revealed, `access.get_visible`); an action the user may not take
answers 403; bad input comes back on the page with status 400, never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts import policy
from secretariat.accounts.models import User
from secretariat.accounts.policy import Action
from secretariat.core import errors
from secretariat.documents import storage
from secretariat.orgs.models import Unit

from . import ical, selectors
from .access import get_visible, may_organize, participant
from .forms import (
    AnnotationForm,
    CancelForm,
    InviteForm,
    ItemForm,
    ListFilterForm,
    MeetingForm,
    MoveForm,
    PackAddForm,
    ParticipantForm,
    RsvpForm,
)
from .models import Meeting, MeetingState, ParticipantRole, Rsvp
from .services import agenda as agenda_services
from .services import meetings as services
from .services import pack as pack_services

# --- Helpers -------------------------------------------------------------------------------------


def _meeting_or_404(request: HttpRequest, pk: UUID) -> Meeting:
    try:
        return get_visible(request.user, pk)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


def _apply_errors(form: Any, exc: errors.DomainError) -> None:
    for field, problems in exc.field_errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, str(problem))
    if not exc.field_errors:
        form.add_error(None, str(exc.message))


def _optional_url(name: str, *args: Any) -> str | None:
    """The URL of a page another part of the app provides (room, minutes, video), or None
    while that part is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _people(users: QuerySet[User] | list[User]) -> list[tuple[str, str]]:
    return [(str(u.pk), u.full_name or u.username) for u in users]


def _user(pk: str) -> User | None:
    if not pk:
        return None
    try:
        return User.objects.filter(pk=uuid.UUID(str(pk))).first()
    except ValueError:
        return None


def _meeting_people(meeting: Meeting) -> list[tuple[str, str]]:
    """Choices of chair, secretary, presenter, invitees: people of the meeting's unit and
    below it, and everyone already invited."""
    units = Unit.objects.filter(pk=meeting.unit_id)
    people = list(selectors.people_for(units=units))
    known = {u.pk for u in people}
    invited = User.objects.filter(meeting_invitations__meeting=meeting).exclude(pk__in=known)
    return _people(sorted([*people, *invited], key=lambda u: u.full_name or u.username))


def _invite_units(meeting: Meeting) -> list[tuple[str, str]]:
    units = Unit.objects.filter(path__startswith=meeting.unit.path, active=True).order_by("path")
    return [(str(u.pk), f"{'— ' * (u.depth - meeting.unit.depth)}{u.display_name}") for u in units]


def _act(
    request: HttpRequest,
    meeting: Meeting,
    run: Callable[[], Any],
    success: str,
    *,
    on_error: Callable[[errors.DomainError], HttpResponse] | None = None,
    to: str | None = None,
) -> HttpResponse:
    """Run one action; a refusal is a 403, another domain error goes back on the page (status
    400) or, without `on_error`, as a message on the meeting page."""
    try:
        run()
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except errors.DomainError as exc:
        if on_error is not None:
            return on_error(exc)
        messages.error(request, str(exc.message))
        return _detail(request, meeting, status=400)
    messages.success(request, success)
    return redirect(to or reverse("meetings:detail", args=[meeting.pk]))


# --- List, create, edit --------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    filters = ListFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    when = data.get("when") or "upcoming"
    mine = bool(data.get("mine"))
    meetings = list(selectors.meeting_list(user=request.user, when=when, mine=mine))
    invitations = selectors.my_invitations(user=request.user, meetings=meetings)
    return render(
        request,
        "meetings/list.html",
        {
            "rows": [(m, invitations.get(m.pk)) for m in meetings],
            "when": when,
            "mine": mine,
            "can_create": policy.can(request.user, Action.MEETINGS_ORGANIZE),
            "truncated": len(meetings) == selectors.LIST_LIMIT,
        },
    )


def _meeting_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "starts_at": data["starts_at"],
        "ends_at": data["ends_at"],
        "place": data["place"],
        "video_provider": data["video_provider"] or "",
        "chair": _user(data["chair"]),
        "secretary": _user(data["secretary"]),
        "body_size": data["body_size"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    units_qs = selectors.organizer_units(user=user)
    if not units_qs.exists():
        raise DjangoPermissionDenied
    units = [(str(u.pk), f"{'— ' * (u.depth - 1)}{u.display_name}") for u in units_qs]
    people = _people(selectors.people_for(units=units_qs))
    status = 200
    if request.method == "POST":
        form = MeetingForm(request.POST, people=people, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = services.meeting_create(
                    actor=user,
                    unit=units_qs.get(pk=data["unit"]),
                    kind=data["kind"],
                    **_meeting_fields(data),
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Meeting created. Invite the participants."))
                return redirect("meetings:detail", pk=meeting.pk)
        status = 400
    else:
        form = MeetingForm(people=people, units=units)
    return render(request, "meetings/form.html", {"form": form, "meeting": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    people = _meeting_people(meeting)
    status = 200
    if request.method == "POST":
        form = MeetingForm(request.POST, people=people)
        if form.is_valid():
            try:
                services.meeting_update(
                    actor=request.user, meeting=meeting, **_meeting_fields(form.cleaned_data)
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The meeting is updated."))
                return redirect("meetings:detail", pk=meeting.pk)
        status = 400
    else:
        form = MeetingForm(
            people=people,
            initial={
                "title": meeting.title,
                "starts_at": meeting.starts_at,
                "ends_at": meeting.ends_at,
                "place": meeting.place,
                "video_provider": meeting.video_provider,
                "chair": str(meeting.chair_id),
                "secretary": str(meeting.secretary_id),
                "body_size": meeting.body_size,
            },
        )
    return render(request, "meetings/form.html", {"form": form, "meeting": meeting}, status=status)


# --- The meeting's page --------------------------------------------------------------------------


def _detail(
    request: HttpRequest, meeting: Meeting, *, status: int = 200, **forms: Any
) -> HttpResponse:
    """The meeting's page; `forms` replaces blank forms by bound ones with errors."""
    user = request.user
    organizer = may_organize(user, meeting)
    me = participant(user, meeting)
    people = _meeting_people(meeting) if organizer else []
    preparing = meeting.state in services.PREPARING
    open_ = meeting.state not in services.FINISHED
    context: dict[str, Any] = {
        "meeting": meeting,
        "organizer": organizer,
        "me": me,
        "participants": selectors.participants(meeting=meeting),
        "items": selectors.agenda(meeting=meeting),
        "can_read_pack": me is not None,
        "can_edit": organizer and preparing,
        "can_convene": organizer and meeting.state == MeetingState.DRAFT,
        "can_cancel": organizer and preparing,
        "can_invite": organizer and preparing,
        "can_agenda": organizer and open_,
        "can_rsvp": me is not None and preparing,
        "officer_roles": (ParticipantRole.CHAIR, ParticipantRole.SECRETARY),
        "rsvp_pending": Rsvp.PENDING,
        "room_url": _optional_url("meetings:room", meeting.pk),
        "minutes_url": _optional_url("meetings:minutes", meeting.pk),
        "video_url": _optional_url("meetings:video", meeting.pk)
        if meeting.video_provider
        else None,
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "rsvp_form": forms.get("rsvp_form")
        or RsvpForm(initial={"answer": "decline" if me and me.rsvp == Rsvp.DECLINED else "accept"}),
        "invite_form": forms.get("invite_form")
        or (
            InviteForm(people=people, units=_invite_units(meeting))
            if organizer and preparing
            else None
        ),
        "item_form": forms.get("item_form") or ItemForm(people=people),
        "pack_candidates": selectors.pack_candidates(user=user) if organizer and open_ else [],
    }
    return render(request, "meetings/detail.html", context, status=status)


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _detail(request, _meeting_or_404(request, pk))


@login_required
@require_POST
def meeting_convene(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    return _act(
        request,
        meeting,
        lambda: services.meeting_convene(actor=request.user, meeting=meeting),
        _("The meeting is convened: the invitations are sent."),
    )


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, meeting, status=400, cancel_form=form)

    def failed(exc: errors.DomainError) -> HttpResponse:
        _apply_errors(form, exc)
        return _detail(request, meeting, status=400, cancel_form=form)

    return _act(
        request,
        meeting,
        lambda: services.meeting_cancel(
            actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
        ),
        _("The meeting is cancelled."),
        on_error=failed,
    )


# --- Invitations and answers ---------------------------------------------------------------------


@login_required
@require_POST
def meeting_invite(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    form = InviteForm(request.POST, people=_meeting_people(meeting), units=_invite_units(meeting))
    if not form.is_valid():
        return _detail(request, meeting, status=400, invite_form=form)
    data = form.cleaned_data

    def run() -> None:
        if data["unit"]:
            services.invite_unit(
                actor=request.user,
                meeting=meeting,
                unit=Unit.objects.get(pk=data["unit"]),
                role=data["role"],
                voting=data["voting"],
            )
        else:
            services.invite_users(
                actor=request.user,
                meeting=meeting,
                users=[u for u in (_user(pk) for pk in data["users"]) if u is not None],
                role=data["role"],
                voting=data["voting"],
            )

    def failed(exc: errors.DomainError) -> HttpResponse:
        _apply_errors(form, exc)
        return _detail(request, meeting, status=400, invite_form=form)

    return _act(request, meeting, run, _("Invitations added."), on_error=failed)


@login_required
@require_POST
def participant_update(request: HttpRequest, pk: UUID, participant_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    form = ParticipantForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the participant's settings."))
        return _detail(request, meeting, status=400)
    return _act(
        request,
        meeting,
        lambda: services.participant_update(
            actor=request.user,
            meeting=meeting,
            participant_id=participant_pk,
            voting=form.cleaned_data["voting"],
            excluded_reason=form.cleaned_data["excluded_reason"],
        ),
        _("The participant is updated."),
    )


@login_required
@require_POST
def participant_withdraw(request: HttpRequest, pk: UUID, participant_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    return _act(
        request,
        meeting,
        lambda: services.invitation_withdraw(
            actor=request.user, meeting=meeting, participant_id=participant_pk
        ),
        _("The invitation is withdrawn."),
    )


@login_required
@require_POST
def meeting_rsvp(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(participant(request.user, meeting) is not None)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        return _detail(request, meeting, status=400, rsvp_form=form)

    def failed(exc: errors.DomainError) -> HttpResponse:
        _apply_errors(form, exc)
        return _detail(request, meeting, status=400, rsvp_form=form)

    return _act(
        request,
        meeting,
        lambda: services.rsvp_answer(
            actor=request.user,
            meeting=meeting,
            accept=form.cleaned_data["answer"] == "accept",
            reason=form.cleaned_data["reason"],
        ),
        _("Your answer is recorded."),
        on_error=failed,
    )


# --- Calendar ------------------------------------------------------------------------------------


def _ics(request: HttpRequest, text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type=ical.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def meeting_ical(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    url = request.build_absolute_uri(reverse("meetings:detail", args=[meeting.pk]))
    return _ics(request, ical.calendar([(meeting, url)]), f"meeting-{meeting.pk}.ics")


@login_required
@require_GET
def ical_feed(request: HttpRequest) -> HttpResponse:
    """All the meetings the user is invited to, as one calendar."""
    meetings = selectors.calendar_feed(user=request.user)
    pairs = [
        (m, request.build_absolute_uri(reverse("meetings:detail", args=[m.pk]))) for m in meetings
    ]
    return _ics(request, ical.calendar(pairs, name=_("My meetings")), "meetings.ics")


# --- Agenda --------------------------------------------------------------------------------------


def _item_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "presenter": _user(data["presenter"]),
        "presenter_name": data["presenter_name"],
        "planned_minutes": data["planned_minutes"],
        "conclusion": data["conclusion"],
    }


@login_required
@require_POST
def item_add(request: HttpRequest, pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    form = ItemForm(request.POST, people=_meeting_people(meeting))
    if not form.is_valid():
        return _detail(request, meeting, status=400, item_form=form)

    def failed(exc: errors.DomainError) -> HttpResponse:
        _apply_errors(form, exc)
        return _detail(request, meeting, status=400, item_form=form)

    return _act(
        request,
        meeting,
        lambda: agenda_services.item_add(
            actor=request.user, meeting=meeting, **_item_fields(form.cleaned_data)
        ),
        _("Item added to the agenda."),
        on_error=failed,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: UUID, item_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    item = next((i for i in selectors.agenda(meeting=meeting) if i.pk == item_pk), None)
    if item is None:
        raise Http404
    people = _meeting_people(meeting)
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, people=people)
        if form.is_valid():
            try:
                agenda_services.item_update(
                    actor=request.user,
                    meeting=meeting,
                    item_id=item.pk,
                    **_item_fields(form.cleaned_data),
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The item is updated."))
                return redirect("meetings:detail", pk=meeting.pk)
        status = 400
    else:
        form = ItemForm(
            people=people,
            initial={
                "title": item.title,
                "presenter": str(item.presenter_id or ""),
                "presenter_name": item.presenter_name,
                "planned_minutes": item.planned_minutes,
                "conclusion": item.conclusion,
            },
        )
    return render(
        request,
        "meetings/item_form.html",
        {"form": form, "meeting": meeting, "item": item},
        status=status,
    )


@login_required
@require_POST
def item_move(request: HttpRequest, pk: UUID, item_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Move an item up or down."))
        return _detail(request, meeting, status=400)
    return _act(
        request,
        meeting,
        lambda: agenda_services.item_move(
            actor=request.user,
            meeting=meeting,
            item_id=item_pk,
            direction=form.cleaned_data["direction"],
        ),
        _("The agenda is reordered."),
    )


@login_required
@require_POST
def item_remove(request: HttpRequest, pk: UUID, item_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    return _act(
        request,
        meeting,
        lambda: agenda_services.item_remove(actor=request.user, meeting=meeting, item_id=item_pk),
        _("Item removed from the agenda."),
    )


@login_required
@require_POST
def agenda_reorder(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The whole order at once (`order` = every item id, in the new order)."""
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    return _act(
        request,
        meeting,
        lambda: agenda_services.items_reorder(
            actor=request.user, meeting=meeting, order=request.POST.getlist("order")
        ),
        _("The agenda is reordered."),
    )


# --- The board pack ------------------------------------------------------------------------------


@login_required
@require_POST
def pack_add(request: HttpRequest, pk: UUID, item_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    form = PackAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a document."))
        return _detail(request, meeting, status=400)
    return _act(
        request,
        meeting,
        lambda: pack_services.pack_document_add(
            actor=request.user,
            meeting=meeting,
            item_id=item_pk,
            document_id=form.cleaned_data["document"],
        ),
        _("Document added to the pack."),
    )


@login_required
@require_POST
def pack_remove(request: HttpRequest, pk: UUID, doc_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    _refuse_unless(may_organize(request.user, meeting))
    return _act(
        request,
        meeting,
        lambda: pack_services.pack_document_remove(
            actor=request.user, meeting=meeting, item_document_id=doc_pk
        ),
        _("Document removed from the pack."),
    )


@login_required
@require_GET
def pack(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The pack: documents per item (titles for an organizer who is not invited) and, for
    organizers, who has opened it."""
    meeting = _meeting_or_404(request, pk)
    organizer = may_organize(request.user, meeting)
    return render(
        request,
        "meetings/pack.html",
        {
            "meeting": meeting,
            "items": selectors.agenda(meeting=meeting),
            "can_read_pack": participant(request.user, meeting) is not None,
            "reads": selectors.read_table(meeting=meeting) if organizer else None,
        },
    )


def _pack_entry(request: HttpRequest, meeting: Meeting, doc_pk: UUID) -> Any:
    """The pack document, for an invitee only: 403 for anyone else who sees the meeting."""
    _refuse_unless(participant(request.user, meeting) is not None)
    try:
        return pack_services.item_document_get(meeting=meeting, item_document_id=doc_pk)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _reader(
    request: HttpRequest, meeting: Meeting, entry: Any, *, status: int = 200, form: Any = None
) -> HttpResponse:
    notes = selectors.annotations_for(user=request.user, item_document=entry)
    return render(
        request,
        "meetings/pack_document.html",
        {
            "meeting": meeting,
            "entry": entry,
            "document": entry.document,
            "notes": notes,
            "form": form or AnnotationForm(initial={"page": 1}),
            "pdf_url": reverse("meetings:pack_pdf", args=[meeting.pk, entry.pk]),
        },
        status=status,
    )


@login_required
@require_GET
def pack_document(request: HttpRequest, pk: UUID, doc_pk: UUID) -> HttpResponse:
    """The reader: the PDF rendered in the page by pdf.js, with the notes on its pages."""
    meeting = _meeting_or_404(request, pk)
    return _reader(request, meeting, _pack_entry(request, meeting, doc_pk))


@login_required
@require_GET
def pack_pdf(request: HttpRequest, pk: UUID, doc_pk: UUID) -> HttpResponse:
    """The PDF bytes of a pack document, for invitees; the read is recorded and audited.

    Sent whole (AES-GCM authenticates a stored file only once it is all decrypted) and inline,
    never cached by a shared cache."""
    meeting = _meeting_or_404(request, pk)
    _pack_entry(request, meeting, doc_pk)
    try:
        _entry, version = pack_services.pack_document_open(
            actor=request.user, meeting=meeting, item_document_id=doc_pk
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if version.pdf is None:  # pragma: no cover - pdf_version() only returns versions with a PDF
        raise Http404
    data = storage.open_plaintext(version.pdf)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = "inline"
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def annotation_add(request: HttpRequest, pk: UUID, doc_pk: UUID) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    entry = _pack_entry(request, meeting, doc_pk)
    form = AnnotationForm(request.POST)
    back = reverse("meetings:pack_document", args=[meeting.pk, entry.pk])
    if not form.is_valid():
        return _reader(request, meeting, entry, status=400, form=form)
    data = form.cleaned_data

    def failed(exc: errors.DomainError) -> HttpResponse:
        _apply_errors(form, exc)
        return _reader(request, meeting, entry, status=400, form=form)

    return _act(
        request,
        meeting,
        lambda: pack_services.annotation_add(
            actor=request.user,
            meeting=meeting,
            item_document_id=entry.pk,
            page=data["page"],
            text=data["text"],
            shared=data["shared"],
        ),
        _("Note added."),
        on_error=failed,
        to=f"{back}#page={data['page']}",
    )


@login_required
@require_POST
def annotation_delete(
    request: HttpRequest, pk: UUID, doc_pk: UUID, annotation_pk: UUID
) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    entry = _pack_entry(request, meeting, doc_pk)
    back = reverse("meetings:pack_document", args=[meeting.pk, entry.pk])

    def failed(exc: errors.DomainError) -> HttpResponse:
        messages.error(request, str(exc.message))
        return _reader(request, meeting, entry, status=400)

    return _act(
        request,
        meeting,
        lambda: pack_services.annotation_delete(
            actor=request.user, meeting=meeting, annotation_id=annotation_pk
        ),
        _("Note deleted."),
        on_error=failed,
        to=back,
    )
