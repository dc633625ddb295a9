"""The recognition file of a probation: who helps the probationary member, and the two forms —
the member's self-review and the helping member's comment.

* `probation_helper_set`: the cell's records officer assigns an official member (a user of the
  platform) to help; the helper is told in the app, with a link to the form.
* `probation_review_submit`: the member writes the self-review through "My Party record" (their
  account is linked and they are probationary); the assigned helper writes the comment; or the
  records officer records either form from the signed paper, naming its author. A new version
  supersedes the previous one (kept). Only while the member is probationary.
* `missing_forms`: the forms not yet in the file of the current probation; recording official
  membership by a user refuses without them unless `without_forms=True` with a reason
  (`events.member_event_record`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.models import User
from secretariat.accounts.policy import Action
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.office.services.notifications import notify

from ..choices import ReviewKind, Status
from ..models import Member, ProbationReview
from ._common import FieldErrors, invalid, lock_member, record, require_manage, snapshot

TEXT_MAX = 10_000


def current_reviews(member: Member) -> dict[str, ProbationReview]:
    """The current forms of the member's current probation, by kind."""
    if member.admitted_on is None:
        return {}
    rows = ProbationReview.objects.filter(
        member=member, admitted_on=member.admitted_on, superseded_at__isnull=True
    )
    return {row.kind: row for row in rows}


def missing_forms(member: Member) -> list[ReviewKind]:
    """The forms of the recognition file still missing for the current probation."""
    present = current_reviews(member)
    return [kind for kind in ReviewKind if kind.value not in present]


def _name(user: Any) -> str:
    return str(getattr(user, "full_name", "") or user.username)


def _is_officer(actor: Any, member: Member) -> bool:
    return actor is None or policy.can(actor, Action.MEMBERS_MANAGE, member.unit)


@transaction.atomic(durable=True)
def probation_helper_set(*, actor: Any | None, member: Member, helper: User | None) -> Member:
    """Assign (or, with None, withdraw) the official member who helps `member` during the
    probation. The helper must be an active account other than the member's own."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    if helper is not None:
        if not helper.is_active:
            message = _("This account is not active.")
            raise ValidationFailed(message, field_errors={"username": [message]})
        if member.user_id is not None and helper.pk == member.user_id:
            message = _("A member cannot be their own helper.")
            raise ValidationFailed(message, field_errors={"username": [message]})
    if member.status != Status.PROBATIONARY:
        raise ValidationFailed(_("Only a probationary member has a helper."))
    before = snapshot(member)
    member.probation_helper = helper
    member.save(update_fields=["probation_helper", "updated_at"])
    record(
        actor,
        "members.probation_helper_set",
        member,
        before=before,
        data={"helper": str(helper.pk) if helper is not None else ""},
    )
    if helper is not None:
        link = reverse("members:helper_comment", args=[member.pk])
        name = member.full_name

        with translation.override(helper.language or settings.LANGUAGE_CODE):
            notify(
                user=helper,
                message=str(
                    _(
                        "You are assigned to help the probationary member %(name)s: write "
                        "your comment for the official membership file."
                    )
                    % {"name": name}
                ),
                link=link,
            )
    return member


def _check_text(
    strengths: str, weaknesses: str, conclusion: str, written_on: dt.date, member: Member
) -> FieldErrors:
    errors: FieldErrors = {}
    for name, value in (
        ("strengths", strengths),
        ("weaknesses", weaknesses),
        ("conclusion", conclusion),
    ):
        if not value:
            errors[name] = [_("This part of the form is required.")]
        elif len(value) > TEXT_MAX:
            errors[name] = [_("At most %(max)d characters.") % {"max": TEXT_MAX}]
    if written_on > clock.today():
        errors["written_on"] = [_("The date is in the future.")]
    elif member.admitted_on is not None and written_on < member.admitted_on:
        errors["written_on"] = [_("The date is before the admission.")]
    return errors


@transaction.atomic(durable=True)
def probation_review_submit(
    *,
    actor: Any | None,
    member: Member,
    kind: str,
    strengths: str,
    weaknesses: str,
    conclusion: str,
    written_on: dt.date | None = None,
    author_name: str = "",
) -> ProbationReview:
    """Add a form to the recognition file of the member's current probation.

    Who: for the self-review, the member (their linked account) or a records officer of the
    member's unit recording the paper form; for the helper's comment, the assigned helper or a
    records officer (then `author_name` is the helper who signed the paper, by default the
    assigned helper's name)."""
    member = lock_member(member)
    if kind not in ReviewKind.values:
        message = _("Choose a form.")
        raise ValidationFailed(message, field_errors={"kind": [message]})
    is_member = actor is not None and member.user_id is not None and actor.pk == member.user_id
    is_helper = (
        actor is not None
        and member.probation_helper_id is not None
        and actor.pk == member.probation_helper_id
    )
    author_user: Any = None
    if kind == ReviewKind.SELF_REVIEW and is_member:
        author_user = actor
        author_name = member.full_name
    elif kind == ReviewKind.HELPER_COMMENT and is_helper:
        author_user = actor
        author_name = _name(actor)
    elif _is_officer(actor, member):
        if kind == ReviewKind.SELF_REVIEW:
            author_user = member.user
            author_name = member.full_name
        else:
            author_name = (author_name or "").strip()
            helper = member.probation_helper
            if not author_name and helper is not None:
                author_name = _name(helper)
            if helper is not None and author_name == (_name(helper)):
                author_user = helper
    else:
        raise PermissionDenied(_("You do not have permission to do this here."))
    if member.status != Status.PROBATIONARY or member.admitted_on is None:
        raise ValidationFailed(_("The forms are written during the probation only."))
    strengths = (strengths or "").strip()
    weaknesses = (weaknesses or "").strip()
    conclusion = (conclusion or "").strip()
    written_on = written_on or clock.today()
    errors = _check_text(strengths, weaknesses, conclusion, written_on, member)
    if not author_name:
        errors["author_name"] = [_("Name the official member who wrote the comment.")]
    elif len(author_name) > 255:
        errors["author_name"] = [_("At most %(max)d characters.") % {"max": 255}]
    if errors:
        raise invalid(errors, _("The form cannot be saved."))
    now = clock.now()
    previous = current_reviews(member).get(kind)
    if previous is not None:
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at", "updated_at"])
    review = ProbationReview.objects.create(
        member=member,
        kind=kind,
        admitted_on=member.admitted_on,
        author_user=author_user,
        author_name=author_name,
        strengths=strengths,
        weaknesses=weaknesses,
        conclusion=conclusion,
        written_on=written_on,
        submitted_at=now,
        recorded_by=actor,
    )
    record(
        actor,
        "members.probation_review_submitted",
        member,
        obj=review,
        data={
            "kind": kind,
            "admitted_on": member.admitted_on.isoformat(),
            "by_author": author_user is not None and actor is not None and author_user == actor,
            "supersedes": str(previous.pk) if previous is not None else "",
        },
    )
    return review


def may_write_helper_comment(user: Any, member: Member) -> bool:
    return (
        user is not None
        and member.status == Status.PROBATIONARY
        and member.probation_helper_id is not None
        and member.probation_helper_id == user.pk
    )


def check_recognition_forms(
    *, member: Member, without_forms: bool, without_forms_reason: str
) -> str:
    """Before a user records official membership: refuse when a form is missing unless
    `without_forms` with a reason. Returns the reason kept for the audit ("" when complete)."""
    missing = missing_forms(member)
    if not missing:
        return ""
    reason = (without_forms_reason or "").strip()
    if not without_forms:
        message = _(
            "The recognition file is incomplete; missing: %(forms)s. Record the forms first, or "
            "confirm recording official membership without them and give the reason."
        ) % {"forms": "; ".join(str(kind.label) for kind in missing)}
        raise ValidationFailed(message, field_errors={"without_forms": [message]})
    if not reason:
        no_reason = _("Give the reason for recording official membership without the forms.")
        raise ValidationFailed(no_reason, field_errors={"without_forms_reason": [no_reason]})
    if len(reason) > 500:
        too_long = _("At most %(max)d characters.") % {"max": 500}
        raise ValidationFailed(too_long, field_errors={"without_forms_reason": [too_long]})
    return reason


__all__ = [
    "check_recognition_forms",
    "current_reviews",
    "may_write_helper_comment",
    "missing_forms",
    "probation_helper_set",
    "probation_review_submit",
]
