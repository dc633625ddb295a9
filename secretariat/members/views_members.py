"""Member pages: the list of the officer's units, the member's full profile (every view audited),
opening a record, editing the profile and photo, recording life-cycle events, confirming
transfers, ratings, rewards, discipline, the link to a user account, and "My Party record".

Everything on an individual record needs `members.manage` on the member's unit (records
officers); leaders have aggregate reports only, never a record; a user linked to a record sees
their own, read only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.accounts import selectors as account_selectors
from secretariat.core import clock, errors
from secretariat.orgs.models import Unit

from . import selectors_dues, selectors_members, services
from .choices import MEMBER_STATUSES, EventKind, Status
from .forms_members import (
    EVENT_FIELDS,
    DisciplineRecordForm,
    EventForm,
    LinkUserForm,
    MemberFilterForm,
    PhotoForm,
    ProfileForm,
    RatingForm,
    RewardForm,
    initial_profile,
    year_of,
)
from .models import Member, MemberEvent
from .sealing import SENSITIVE_FIELDS
from .services.events import may_confirm
from .services.profile import PHOTO_MAX_BYTES
from .services.transfer_exchange import transfer_out_via_exchange
from .views_common import (
    managed_unit_choices,
    managed_units,
    member_or_404,
    require_manage_somewhere,
    run_form,
    unit_by_code,
    unit_from_choice,
)
from .views_probation import probation_context

PAGE_SIZE = 50
PROBATION_WINDOW_DAYS = 30
CURRENT_STATUSES = (Status.UNRECORDED, Status.CANDIDATE, *MEMBER_STATUSES)


def _to_member(member: Any) -> HttpResponse:
    pk = member.pk if isinstance(member, Member) else member.member_id
    return redirect("members:member", member_id=pk)


# --- The list -------------------------------------------------------------------------------------


@login_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    require_manage_somewhere(request)
    user = request.user
    units = list(managed_units(request))
    filters = MemberFilterForm(request.GET or None, units=managed_unit_choices(request))
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    queryset = selectors_members.members_in_scope(user=user)
    unit = next((u for u in units if str(u.pk) == data.get("unit")), None)
    if unit is not None:
        queryset = queryset.filter(unit__path__startswith=unit.path)
    status = data.get("status") or ""
    if status == "":
        queryset = queryset.filter(status__in=CURRENT_STATUSES)
    elif status != "all":
        queryset = queryset.filter(status=status)
    if data.get("q"):
        queryset = queryset.filter(full_name__icontains=data["q"].strip())
    today = clock.today()
    if data.get("probation"):
        horizon = today + dt.timedelta(days=PROBATION_WINDOW_DAYS)
        queryset = queryset.filter(
            status=Status.PROBATIONARY, probation_ends_on__lte=horizon
        ).order_by("probation_ends_on", "full_name")
    else:
        queryset = queryset.order_by("unit__path", "full_name", "birth_date")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/member_list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "today": today,
            "transfers_waiting": selectors_members.transfers_awaiting_confirmation(
                user=user
            ).count(),
        },
    )


# --- The member page ------------------------------------------------------------------------------


@login_required
@require_GET
@never_cache
def member_detail(request: HttpRequest, member_id: UUID) -> HttpResponse:
    """The full profile: reading it unseals the sensitive fields and writes the audit event."""
    try:
        profile = selectors_members.member_profile(user=request.user, member_id=member_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    member = profile.member
    year = year_of(request.GET.get("year"), clock.today().year)
    dues_year = selectors_dues.member_dues_year(user=request.user, member_id=member.pk, year=year)
    pending = member.pending_transfer
    return render(
        request,
        "members/member_detail.html",
        {
            "profile": profile,
            "member": member,
            "sensitive": _sensitive_rows(profile.sensitive),
            "plain": _plain_rows(member),
            "dues": dues_year,
            "year": year,
            "years": [year - 1, year, year + 1],
            "overdue": selectors_members.probation_overdue(member),
            "pending": pending,
            "may_confirm_pending": pending is not None and may_confirm(request.user, pending),
            "is_member": member.status in MEMBER_STATUSES,
            **probation_context(member),
        },
    )


def _plain_rows(member: Member) -> list[tuple[str, Any]]:
    rows = []
    for name in services.PROFILE_FIELDS:
        field = Member._meta.get_field(name)
        value = getattr(member, name)
        if getattr(field, "choices", None) and value:
            value = getattr(member, f"get_{name}_display")()
        rows.append((str(getattr(field, "verbose_name", name)), value))
    return rows


def _sensitive_rows(sensitive: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (str(label), sensitive.get(name, "")) for name, (label, _max) in SENSITIVE_FIELDS.items()
    ]


@login_required
@require_GET
@never_cache
def member_photo(request: HttpRequest, member_id: UUID) -> HttpResponse:
    """The photo of a record in scope, or the caller's own."""
    try:
        content, content_type = selectors_members.member_photo(
            user=request.user, member_id=member_id
        )
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    response = HttpResponse(content, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Opening a record, editing it -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    require_manage_somewhere(request)
    units = managed_unit_choices(request)
    form = ProfileForm(request.POST or None, units=units)
    if request.method == "POST":
        done = run_form(
            request,
            form,
            lambda d: services.member_create(
                actor=request.user, unit=unit_from_choice(d["unit"]), profile=form.profile()
            ),
            _("The member's record is opened. Record the first life-cycle event."),
            lambda member: redirect("members:event", member_id=member.pk),
        )
        if done is not None:
            return done
    return render(
        request,
        "members/member_form.html",
        {"form": form, "member": None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def member_edit(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        done = run_form(
            request,
            form,
            lambda d: services.member_update(
                actor=request.user, member=member, changes=form.profile()
            ),
            _("The profile is saved."),
            _to_member,
        )
        if done is not None:
            return done
        status = 400
    else:
        # The form shows the sensitive fields: reading them is a full-profile view, audited.
        profile = selectors_members.member_profile(user=request.user, member_id=member.pk)
        form = ProfileForm(initial=initial_profile(member, profile.sensitive))
        status = 200
    return render(
        request, "members/member_form.html", {"form": form, "member": member}, status=status
    )


def _sniff_image(content: bytes) -> str:
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "image/webp"
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def member_photo_upload(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":

        def act(data: dict[str, Any]) -> Member:
            if data.get("photo"):
                content = data["photo"].read(PHOTO_MAX_BYTES + 1)
                return services.member_photo_set(
                    actor=request.user,
                    member=member,
                    content=content,
                    content_type=_sniff_image(content),
                )
            return services.member_photo_set(actor=request.user, member=member, content=None)

        done = run_form(request, form, act, _("The photo is saved."), _to_member)
        if done is not None:
            return done
    return render(
        request,
        "members/member_photo.html",
        {"form": form, "member": member},
        status=400 if form.is_bound else 200,
    )


# --- Life-cycle events and transfers ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def member_event(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    form = EventForm(request.POST or None, initial={"effective_on": clock.today()})
    if request.method == "POST":

        def act(data: dict[str, Any]) -> MemberEvent:
            if data["kind"] == EventKind.TRANSFER_OUT and data["external_code"].strip():
                return transfer_out_via_exchange(
                    actor=request.user,
                    member=member,
                    to_code=data["external_code"],
                    effective_on=data["effective_on"],
                    destination=data["external_destination"],
                    decision_number=data["decision_number"],
                    decision_date=data["decision_date"],
                    issuing_unit=unit_by_code(data["issuing_unit"], "issuing_unit"),
                    issuing_body=data["issuing_body"],
                    reason=data["reason"],
                )
            return services.member_event_record(
                actor=request.user,
                member=member,
                kind=data["kind"],
                effective_on=data["effective_on"],
                decision_number=data["decision_number"],
                decision_date=data["decision_date"],
                issuing_unit=unit_by_code(data["issuing_unit"], "issuing_unit"),
                issuing_body=data["issuing_body"],
                reason=data["reason"],
                to_unit=unit_by_code(data["to_unit"], "to_unit"),
                external_destination=data["external_destination"],
                without_forms=data["without_forms"],
                without_forms_reason=data["without_forms_reason"],
            )

        done = run_form(request, form, act, _("The event is recorded."), _to_member)
        if done is not None:
            return done
    return render(
        request,
        "members/member_event.html",
        {
            "form": form,
            "member": member,
            "event_fields": {str(k): list(v) for k, v in EVENT_FIELDS.items()},
            "events": selectors_members.member_events(member=member),
            "units": list(_unit_codes()),
            "forms_missing": (
                services.missing_forms(member) if member.status == Status.PROBATIONARY else []
            ),
        },
        status=400 if form.is_bound else 200,
    )


def _unit_codes() -> Any:
    return Unit.objects.filter(active=True).order_by("path").values_list("code", "name")[:5000]


@login_required
@require_GET
def transfers(request: HttpRequest) -> HttpResponse:
    require_manage_somewhere(request)
    pending = list(selectors_members.transfers_awaiting_confirmation(user=request.user))
    return render(request, "members/transfers.html", {"pending": pending})


@login_required
@require_POST
def transfer_confirm(request: HttpRequest, event_id: UUID) -> HttpResponse:
    require_manage_somewhere(request)
    event = (
        selectors_members.transfers_awaiting_confirmation(user=request.user)
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise Http404(_("No such transfer awaiting confirmation."))
    try:
        services.member_transfer_confirm(actor=request.user, event=event)
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The transfer of %(name)s is confirmed.") % {"name": event.member.full_name},
        )
    return redirect("members:transfers")


# --- Ratings, rewards, discipline, account ----------------------------------------------------


def _simple_form(
    request: HttpRequest,
    member: Member,
    form: Any,
    action: Any,
    success: str,
    title: str,
) -> HttpResponse:
    if request.method == "POST":
        done = run_form(request, form, action, success, lambda _r: _to_member(member))
        if done is not None:
            return done
    return render(
        request,
        "members/member_simple_form.html",
        {"form": form, "member": member, "title": title},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_rating(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    form = RatingForm(request.POST or None, initial={"year": clock.today().year})
    return _simple_form(
        request,
        member,
        form,
        lambda d: services.rating_set(
            actor=request.user,
            member=member,
            year=d["year"],
            rating=d["rating"],
            decided_on=d["decided_on"],
            note=d["note"],
        ),
        _("The rating is saved."),
        _("Annual rating"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_reward(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    form = RewardForm(request.POST or None)
    return _simple_form(
        request,
        member,
        form,
        lambda d: services.reward_add(
            actor=request.user,
            member=member,
            kind=d["kind"],
            decided_on=d["decided_on"],
            title=d["title"],
            badge_years=d["badge_years"],
            decision_number=d["decision_number"],
            issuing_body=d["issuing_body"],
        ),
        _("The reward is recorded."),
        _("Add a reward"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_discipline(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    form = DisciplineRecordForm(request.POST or None)
    return _simple_form(
        request,
        member,
        form,
        lambda d: services.discipline_add(
            actor=request.user,
            member=member,
            form=d["form"],
            decided_on=d["decided_on"],
            effective_on=d["effective_on"],
            decision_number=d["decision_number"],
            issuing_body=d["issuing_body"],
            reason=d["reason"],
        ),
        _("The discipline is recorded."),
        _("Record a discipline"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_link_user(request: HttpRequest, member_id: UUID) -> HttpResponse:
    member = member_or_404(request, member_id)
    form = LinkUserForm(
        request.POST or None,
        initial={"username": member.user.username if member.user is not None else ""},
    )

    def act(data: dict[str, Any]) -> Member:
        user = None
        if data["username"]:
            # Only an account the officer may see (ACCOUNTS_VIEW scope).
            user = (
                account_selectors.users_visible_to(user=request.user)
                .filter(username=data["username"])
                .first()
            )
            if user is None:
                message = _("No user account with this username in your units.")
                raise errors.ValidationFailed(message, field_errors={"username": [message]})
        return services.member_link_user(actor=request.user, member=member, user=user)

    return _simple_form(
        request,
        member,
        form,
        act,
        _("The link to the user account is saved."),
        _("Link a user account"),
    )


# --- My Party record --------------------------------------------------------------------------


@login_required
@require_GET
@never_cache
def my_record(request: HttpRequest) -> HttpResponse:
    """The caller's own record and dues, read only (the view is audited like any other)."""
    profile = selectors_members.own_member_profile(user=request.user)
    context: dict[str, Any] = {"profile": profile}
    if profile is not None:
        year = year_of(request.GET.get("year"), clock.today().year)
        context.update(
            {
                "member": profile.member,
                "plain": _plain_rows(profile.member),
                "sensitive": _sensitive_rows(profile.sensitive),
                "dues": selectors_dues.own_dues_year(user=request.user, year=year),
                "year": year,
                "years": [year - 1, year, year + 1],
                "may_write_review": profile.member.status == Status.PROBATIONARY,
            }
        )
    return render(request, "members/my_record.html", context)


urlpatterns: list[URLPattern] = [
    path("", member_list, name="list"),
    path("new/", member_create, name="member_create"),
    path("mine/", my_record, name="mine"),
    path("transfers/", transfers, name="transfers"),
    path("transfers/<uuid:event_id>/confirm/", transfer_confirm, name="transfer_confirm"),
    path("<uuid:member_id>/", member_detail, name="member"),
    path("<uuid:member_id>/edit/", member_edit, name="member_edit"),
    path("<uuid:member_id>/photo/", member_photo, name="photo"),
    path("<uuid:member_id>/photo/edit/", member_photo_upload, name="photo_upload"),
    path("<uuid:member_id>/event/", member_event, name="event"),
    path("<uuid:member_id>/rating/", member_rating, name="rating"),
    path("<uuid:member_id>/reward/", member_reward, name="reward"),
    path("<uuid:member_id>/discipline/", member_discipline, name="discipline"),
    path("<uuid:member_id>/account/", member_link_user, name="link_user"),
]
