"""Pages of the recognition file of a probation.

* the records officer (`members.manage` on the member's unit): assign the helper, record either
  form from the signed paper, print each form (filled, or blank to fill in by hand);
* the member (linked account, probationary): write the self-review from "My Party record";
* the assigned helper: write the comment (the page is theirs only: 404 for anyone else).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from secretariat.accounts import selectors as account_selectors
from secretariat.audit import services as audit
from secretariat.core import errors

from . import selectors_members, services
from .choices import ReviewKind, Status
from .forms_probation import HelperForm, PaperReviewForm, ReviewForm
from .models import Member
from .probation_pdf import filename, render_review_pdf
from .services.probation_forms import current_reviews, may_write_helper_comment
from .views_common import member_or_404, run_form


def probation_context(member: Member) -> dict[str, Any]:
    """What the member page shows of the recognition file."""
    if member.status != Status.PROBATIONARY:
        return {"probation_file": None}
    present = current_reviews(member)
    return {
        "probation_file": [(kind, present.get(kind.value)) for kind in ReviewKind],
        "probation_helper": member.probation_helper,
    }


def _kind_or_404(kind: str) -> ReviewKind:
    if kind not in ReviewKind.values:
        raise Http404(_("No such form."))
    return ReviewKind(kind)


def _review_page(
    request: HttpRequest, member: Member, form: Any, kind: ReviewKind, action: Any, done: Any
) -> HttpResponse:
    if request.method == "POST":
        result = run_form(request, form, action, _("The form is saved."), done)
        if result is not None:
            return result
    return render(
        request,
        "members/probation_review.html",
        {
            "form": form,
            "member": member,
            "kind": kind,
            "current": current_reviews(member).get(kind.value),
        },
        status=400 if form.is_bound else 200,
    )


def _submit(request: HttpRequest, member: Member, kind: ReviewKind) -> Any:
    def act(data: dict[str, Any]) -> Any:
        return services.probation_review_submit(
            actor=request.user,
            member=member,
            kind=kind,
            strengths=data["strengths"],
            weaknesses=data["weaknesses"],
            conclusion=data["conclusion"],
            written_on=data.get("written_on"),
            author_name=data.get("author_name", ""),
        )

    return act


@login_required
@require_http_methods(["GET", "POST"])
def probation_helper(request: HttpRequest, member_id: UUID) -> HttpResponse:
    """The officer assigns the official member who helps (and writes the comment)."""
    member = member_or_404(request, member_id)
    helper = member.probation_helper
    form = HelperForm(request.POST or None, initial={"username": helper.username if helper else ""})
    if request.method == "POST":

        def act(data: dict[str, Any]) -> Member:
            user = None
            if data["username"]:
                user = (
                    account_selectors.users_visible_to(user=request.user)
                    .filter(username=data["username"])
                    .first()
                )
                if user is None:
                    message = _("No user account with this username in your units.")
                    raise errors.ValidationFailed(message, field_errors={"username": [message]})
            return services.probation_helper_set(actor=request.user, member=member, helper=user)

        done = run_form(
            request,
            form,
            act,
            _("The helper is saved."),
            lambda m: redirect("members:member", member_id=member.pk),
        )
        if done is not None:
            return done
    return render(
        request,
        "members/member_simple_form.html",
        {"form": form, "member": member, "title": _("Helping official member")},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def probation_review(request: HttpRequest, member_id: UUID, kind: str) -> HttpResponse:
    """The officer records a signed paper form."""
    member = member_or_404(request, member_id)
    review_kind = _kind_or_404(kind)
    form = PaperReviewForm(request.POST or None, kind=review_kind)
    return _review_page(
        request,
        member,
        form,
        review_kind,
        _submit(request, member, review_kind),
        lambda r: redirect("members:member", member_id=member.pk),
    )


@login_required
@require_GET
@never_cache
def probation_pdf(request: HttpRequest, member_id: UUID, kind: str) -> HttpResponse:
    """The form as a PDF: the current one filled, else blank. Printing is audited."""
    member = member_or_404(request, member_id)
    review_kind = _kind_or_404(kind)
    review = current_reviews(member).get(review_kind.value)
    content = render_review_pdf(member=member, kind=review_kind, review=review)
    with transaction.atomic(durable=True):
        audit.record(
            actor=request.user,
            action="members.probation_form_printed",
            unit=member.unit,
            obj=review if review is not None else member,
            data={"member": str(member.pk), "kind": review_kind.value, "blank": review is None},
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename(member, review_kind)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def my_review(request: HttpRequest) -> HttpResponse:
    """The probationary member writes their self-review (their linked record only)."""
    member = selectors_members.own_member_record(user=request.user)
    if member is None or member.status != Status.PROBATIONARY:
        raise Http404(_("Only a probationary member writes a self-review."))
    form = ReviewForm(request.POST or None)
    return _review_page(
        request,
        member,
        form,
        ReviewKind.SELF_REVIEW,
        _submit(request, member, ReviewKind.SELF_REVIEW),
        lambda r: redirect("members:mine"),
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def helper_comment(request: HttpRequest, member_id: UUID) -> HttpResponse:
    """The assigned helper writes the comment (404 for anyone else)."""
    member = Member.objects.select_related("unit").filter(pk=member_id).first()
    if member is None or not may_write_helper_comment(request.user, member):
        raise Http404(_("No such member to comment on."))
    form = ReviewForm(request.POST or None)
    return _review_page(
        request,
        member,
        form,
        ReviewKind.HELPER_COMMENT,
        _submit(request, member, ReviewKind.HELPER_COMMENT),
        lambda r: redirect("members:helper_comment", member_id=member.pk),
    )


urlpatterns: list[URLPattern] = [
    path("mine/review/", my_review, name="my_review"),
    path("helping/<uuid:member_id>/", helper_comment, name="helper_comment"),
    path("<uuid:member_id>/probation/helper/", probation_helper, name="probation_helper"),
    path("<uuid:member_id>/probation/<str:kind>/", probation_review, name="probation_review"),
    path("<uuid:member_id>/probation/<str:kind>/pdf/", probation_pdf, name="probation_pdf"),
]
