"""Services of meetings and invitations: the only code that creates, changes, convenes and
cancels a meeting, invites people and units, and records the invitees' answers.

Organizing needs `meetings.organize` on the convening unit, or being the meeting's chair or
secretary (`access.require_organizer`); creating needs the right on the unit. The chair and
the secretary are participants too (roles chair and secretary) and organizers of their
meeting. Rules (quorum, majorities) are copied at creation from the nearest `RuleSet` up the
unit tree, or `rules_defaults.DEFAULTS`, so that a later change of the rules never changes
this meeting.

Every public service takes keyword-only arguments, the acting user first, checks, writes,
appends an audit event in the same transaction, and tells live clients (`live.changed`) and
invitees (notifications, written in the same transaction) of what changed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.models import Position, User
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.office.services.notifications import notify
from secretariat.orgs.models import Unit

from .. import live
from ..access import require_organizer, require_participant
from ..models import (
    BallotCast,
    Meeting,
    MeetingKind,
    MeetingState,
    NamedChoice,
    Participant,
    ParticipantRole,
    Rsvp,
    RuleSet,
    VideoProvider,
)
from ..rules_defaults import DEFAULTS, FIELDS, Rules

AUDIT_LABELS: dict[str, Promise] = {
    "meetings.created": _("Meeting created"),
    "meetings.updated": _("Meeting changed"),
    "meetings.convened": _("Meeting convened"),
    "meetings.cancelled": _("Meeting cancelled"),
    "meetings.invited": _("Meeting invitations sent"),
    "meetings.participant_updated": _("Meeting participant changed"),
    "meetings.invitation_withdrawn": _("Meeting invitation withdrawn"),
    "meetings.rsvp": _("Meeting invitation answered"),
}

# States in which a meeting can still be prepared (schedule, invitations, answers).
PREPARING = (MeetingState.DRAFT, MeetingState.CONVENED)
# States in which nothing changes any more.
FINISHED = (MeetingState.CLOSED, MeetingState.CANCELLED)
MAX_BODY_SIZE = 10_000
MAX_REASON = 2000

__all__ = [
    "AUDIT_LABELS",
    "FINISHED",
    "PREPARING",
    "invitation_withdraw",
    "invite_unit",
    "invite_users",
    "lock_meeting",
    "meeting_cancel",
    "meeting_convene",
    "meeting_create",
    "meeting_update",
    "participant_update",
    "require_not_finished",
    "rsvp_answer",
    "rules_for",
    "unit_members",
]


# --- Helpers -------------------------------------------------------------------------------------


def _invalid(field: str, message: str | Promise) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def lock_meeting(meeting: Meeting) -> Meeting:
    """The meeting's row, locked until the transaction ends (after the node's write lock)."""
    return for_update(Meeting.objects, of=("self",)).select_related("unit").get(pk=meeting.pk)


def require_not_finished(meeting: Meeting) -> None:
    if meeting.state in FINISHED:
        raise Conflict(_("This meeting is closed or cancelled: it can no longer be changed."))


def _require_preparing(meeting: Meeting) -> None:
    if meeting.state not in PREPARING:
        raise Conflict(_("This meeting has started, ended or been cancelled."))


def _snapshot(meeting: Meeting) -> dict[str, Any]:
    return {
        "unit": str(meeting.unit_id),
        "kind": meeting.kind,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "state": meeting.state,
        "chair": str(meeting.chair_id),
        "secretary": str(meeting.secretary_id),
        "body_size": meeting.body_size,
        "video_provider": meeting.video_provider,
        "rules": {name: getattr(meeting, name) for name in FIELDS},
        "cancelled_reason": meeting.cancelled_reason,
    }


def _audit(actor: Any, action: str, meeting: Meeting, before: Any, **data: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        unit=meeting.unit,
        obj=meeting,
        before=before,
        after=_snapshot(meeting),
        data={"title": meeting.title[:120], **data},
    )


def _link(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


def _tell(users: Iterable[Any], message: Promise, meeting: Meeting) -> None:
    """An in-app notification to each user, in the user's own language; in the caller's
    transaction, so it exists only if the change it announces does."""
    link = _link(meeting)
    when = timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M")
    for user in users:
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            text = str(message) % {"title": meeting.title[:200], "when": when}
        notify(user=user, message=text, link=link)


def _new_room_name() -> str:
    # Unguessable: the room name is all a Jitsi or BigBlueButton server needs to join.
    return f"secretariat-{secrets.token_hex(16)}"


def rules_for(*, unit: Unit, kind: str) -> Rules:
    """The rules of meeting type `kind` for `unit`: the nearest ruleset up the tree (the
    unit's own first), else the defaults."""
    ancestors = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    ruleset = (
        RuleSet.objects.filter(kind=kind, unit__path__in=ancestors)
        .select_related("unit")
        .order_by("-unit__depth")
        .first()
    )
    if ruleset is None:
        return DEFAULTS[kind]
    return Rules(*(getattr(ruleset, name) for name in FIELDS))


def _active_user(user: Any, field: str, label: Promise) -> User:
    if user is None or not isinstance(user, User):
        raise _invalid(field, _("Choose the %(who)s.") % {"who": label})
    fresh = User.objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None:
        raise _invalid(field, _("The %(who)s must be an active user.") % {"who": label})
    return fresh


def _clean(
    *,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    video_provider: str,
    chair: Any,
    secretary: Any,
    body_size: Any,
) -> dict[str, Any]:
    """Check the fields a meeting's form sets; every problem at once, by field."""
    problems: dict[str, list[str | Promise]] = {}

    def problem(field: str, message: str | Promise) -> None:
        problems.setdefault(field, []).append(message)

    title = (title or "").strip()
    if not title:
        problem("title", _("Give the meeting a title."))
    elif len(title) > 300:
        problem("title", _("The title is too long (300 characters at most)."))
    place = (place or "").strip()
    if len(place) > 300:
        problem("place", _("The place is too long (300 characters at most)."))
    if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
        problem("starts_at", _("Give the date and time the meeting starts."))
    if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None:
        problem("ends_at", _("Give the date and time the meeting ends."))
    elif "starts_at" not in problems and ends_at <= starts_at:
        problem("ends_at", _("The meeting must end after it starts."))
    elif "starts_at" not in problems and ends_at - starts_at > dt.timedelta(days=14):
        problem("ends_at", _("A meeting lasts at most two weeks."))
    if video_provider not in VideoProvider.values:
        problem("video_provider", _("Choose a video room: none, Jitsi Meet or BigBlueButton."))
    if not isinstance(body_size, int) or isinstance(body_size, bool) or body_size < 1:
        problem("body_size", _("The body has at least one member."))
    elif body_size > MAX_BODY_SIZE:
        problem("body_size", _("The body has too many members."))
    people: dict[str, User] = {}
    for field, who, label in (
        ("chair", chair, _("chair")),
        ("secretary", secretary, _("secretary")),
    ):
        try:
            people[field] = _active_user(who, field, label)
        except ValidationFailed as exc:
            for message in exc.field_errors[field]:
                problem(field, message)
    if len(people) == 2 and people["chair"].pk == people["secretary"].pk:
        problem("secretary", _("The chair and the secretary must be two different people."))
    if problems:
        first = next(iter(problems.values()))[0]
        raise ValidationFailed(first, field_errors=problems)
    return {
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place,
        "video_provider": video_provider,
        "chair": people["chair"],
        "secretary": people["secretary"],
        "body_size": body_size,
    }


def _set_officer(meeting: Meeting, user: User, role: str) -> None:
    """Make `user` the meeting's chair or secretary participant (invited if they were not)."""
    existing = Participant.objects.filter(meeting=meeting, user=user).first()
    if existing is None:
        Participant.objects.create(meeting=meeting, user=user, role=role, voting=True)
    elif existing.role != role:
        existing.role = role
        existing.save(update_fields=["role", "updated_at"])


# --- Meetings ------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def meeting_create(
    *,
    actor: Any,
    unit: Unit,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    chair: Any,
    secretary: Any,
    body_size: int,
    place: str = "",
    video_provider: str = "",
) -> Meeting:
    """A draft meeting of `unit`, with its chair and secretary invited and the rules of its
    type copied. Nobody else is told until it is convened."""
    policy.require(actor, Action.MEETINGS_ORGANIZE, unit)
    if kind not in MeetingKind.values:
        raise _invalid("kind", _("Choose the meeting type."))
    if not unit.active:
        raise _invalid("unit", _("This unit is no longer active."))
    clean = _clean(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        video_provider=video_provider,
        chair=chair,
        secretary=secretary,
        body_size=body_size,
    )
    rules = rules_for(unit=unit, kind=kind)
    meeting = Meeting.objects.create(
        unit=unit,
        kind=kind,
        created_by=actor,
        state=MeetingState.DRAFT,
        video_room=_new_room_name() if clean["video_provider"] else "",
        checkin_token=secrets.token_urlsafe(32),
        **clean,
        **rules._asdict(),
    )
    _set_officer(meeting, clean["chair"], ParticipantRole.CHAIR)
    _set_officer(meeting, clean["secretary"], ParticipantRole.SECRETARY)
    _audit(actor, "meetings.created", meeting, None, kind=kind)
    return meeting


@transaction.atomic(durable=True)
def meeting_update(
    *,
    actor: Any,
    meeting: Meeting,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    chair: Any,
    secretary: Any,
    body_size: int,
    place: str = "",
    video_provider: str = "",
) -> Meeting:
    """Change a meeting being prepared. Its type and rules stay as created. When a convened
    meeting's time or place changes, every invitee is told."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    _require_preparing(locked)
    clean = _clean(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        video_provider=video_provider,
        chair=chair,
        secretary=secretary,
        body_size=body_size,
    )
    before = _snapshot(locked)
    moved = (locked.starts_at, locked.ends_at, locked.place) != (
        clean["starts_at"],
        clean["ends_at"],
        clean["place"],
    )
    previous_chair, previous_secretary = locked.chair_id, locked.secretary_id
    if clean["video_provider"] != locked.video_provider:
        locked.video_room = _new_room_name() if clean["video_provider"] else ""
    for name, value in clean.items():
        setattr(locked, name, value)
    locked.save()
    # The secretary first: a former secretary may become the chair and the other way round.
    if previous_secretary != clean["secretary"].pk:
        Participant.objects.filter(
            meeting=locked, user_id=previous_secretary, role=ParticipantRole.SECRETARY
        ).update(role=ParticipantRole.MEMBER, updated_at=clock.now())
    if previous_chair != clean["chair"].pk:
        Participant.objects.filter(
            meeting=locked, user_id=previous_chair, role=ParticipantRole.CHAIR
        ).update(role=ParticipantRole.MEMBER, updated_at=clock.now())
    _set_officer(locked, clean["chair"], ParticipantRole.CHAIR)
    _set_officer(locked, clean["secretary"], ParticipantRole.SECRETARY)
    _audit(actor, "meetings.updated", locked, before)
    if moved and locked.state == MeetingState.CONVENED:
        invitees = User.objects.filter(meeting_invitations__meeting=locked).exclude(pk=actor.pk)
        _tell(
            invitees,
            _("The meeting “%(title)s” was changed: now %(when)s. Check the details."),
            locked,
        )
    live.changed(locked, topic="meeting")
    return locked


@transaction.atomic(durable=True)
def meeting_convene(*, actor: Any, meeting: Meeting) -> Meeting:
    """Convene a draft meeting: every invitee receives the invitation."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    if locked.state != MeetingState.DRAFT:
        raise Conflict(_("Only a draft meeting can be convened."))
    before = _snapshot(locked)
    locked.state = MeetingState.CONVENED
    locked.save(update_fields=["state", "updated_at"])
    invitees = list(User.objects.filter(meeting_invitations__meeting=locked))
    _tell(invitees, _("You are invited to the meeting “%(title)s” on %(when)s."), locked)
    _audit(actor, "meetings.convened", locked, before, invitees=len(invitees))
    live.changed(locked, topic="meeting")
    return locked


@transaction.atomic(durable=True)
def meeting_cancel(*, actor: Any, meeting: Meeting, reason: str) -> Meeting:
    """Cancel a meeting that has not started, with the reason every invitee is told."""
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Say why the meeting is cancelled."))
    if len(reason) > MAX_REASON:
        raise _invalid("reason", _("The reason is too long."))
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    _require_preparing(locked)
    before = _snapshot(locked)
    was_convened = locked.state == MeetingState.CONVENED
    locked.state = MeetingState.CANCELLED
    locked.cancelled_reason = reason
    locked.save(update_fields=["state", "cancelled_reason", "updated_at"])
    if was_convened:
        invitees = User.objects.filter(meeting_invitations__meeting=locked).exclude(pk=actor.pk)
        _tell(invitees, _("The meeting “%(title)s” on %(when)s is cancelled."), locked)
    _audit(actor, "meetings.cancelled", locked, before, reason=reason[:500])
    live.changed(locked, topic="meeting")
    return locked


# --- Invitations ---------------------------------------------------------------------------------


def unit_members(*, unit: Unit) -> list[User]:
    """The active users holding an active position in `unit` itself (not below it), today."""
    holders = Position.objects.filter(unit=unit, ended_on__isnull=True).values("user_id")
    return list(User.objects.filter(pk__in=holders, is_active=True).order_by("full_name", "pk"))


def _clean_invitation(role: str, voting: bool) -> bool:
    if role not in (ParticipantRole.MEMBER, ParticipantRole.GUEST):
        raise _invalid("role", _("Invite as a member or as a guest."))
    if role == ParticipantRole.GUEST and voting:
        raise _invalid("voting", _("A guest does not vote."))
    return bool(voting)


def _invite(
    actor: Any,
    meeting: Meeting,
    users: list[User],
    *,
    role: str,
    voting: bool,
    via_unit: Unit | None,
) -> list[Participant]:
    already = set(Participant.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    fresh = [u for u in users if u.pk not in already]
    created = [
        Participant.objects.create(
            meeting=meeting, user=user, role=role, voting=voting, via_unit=via_unit
        )
        for user in fresh
    ]
    audit.record(
        actor=actor,
        action="meetings.invited",
        unit=meeting.unit,
        obj=meeting,
        after=sorted(str(p.user_id) for p in created),
        data={
            "title": meeting.title[:120],
            "role": role,
            "voting": voting,
            "invited": len(created),
            "already": len(users) - len(fresh),
            **({"unit": via_unit.code} if via_unit is not None else {}),
        },
    )
    if created and meeting.state == MeetingState.CONVENED:
        _tell(fresh, _("You are invited to the meeting “%(title)s” on %(when)s."), meeting)
    if created:
        live.changed(meeting, topic="presence")
    return created


@transaction.atomic(durable=True)
def invite_users(
    *,
    actor: Any,
    meeting: Meeting,
    users: Iterable[Any],
    role: str = ParticipantRole.MEMBER,
    voting: bool = True,
) -> list[Participant]:
    """Invite people; those already invited are left as they are. Returns the new
    invitations."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    _require_preparing(locked)
    voting = _clean_invitation(role, voting)
    wanted = list(users)
    if not wanted:
        raise _invalid("users", _("Choose at least one person."))
    active = list(User.objects.filter(pk__in=[u.pk for u in wanted], is_active=True))
    if len(active) != len({u.pk for u in wanted}):
        raise _invalid("users", _("Only active users can be invited."))
    return _invite(actor, locked, active, role=role, voting=voting, via_unit=None)


@transaction.atomic(durable=True)
def invite_unit(
    *,
    actor: Any,
    meeting: Meeting,
    unit: Unit,
    role: str = ParticipantRole.MEMBER,
    voting: bool = True,
) -> list[Participant]:
    """Invite everyone holding an active position in `unit` now; the invitations remember the
    unit. People who join the unit later are not invited by this."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    _require_preparing(locked)
    voting = _clean_invitation(role, voting)
    if not policy.can(actor, Action.ORGS_VIEW, unit):
        raise NotFound(_("No such unit."))
    members = unit_members(unit=unit)
    if not members:
        raise _invalid("unit", _("Nobody holds a position in this unit."))
    return _invite(actor, locked, members, role=role, voting=voting, via_unit=unit)


def _participant_of(meeting: Meeting, participant_id: Any) -> Participant:
    found = (
        for_update(Participant.objects, of=("self",))
        .select_related("user")
        .filter(meeting=meeting, pk=participant_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such participant."))
    return found


def _participant_snapshot(participant: Participant) -> dict[str, Any]:
    return {
        "user": str(participant.user_id),
        "role": participant.role,
        "voting": participant.voting,
        "excluded": bool(participant.excluded_reason),
        "rsvp": participant.rsvp,
    }


@transaction.atomic(durable=True)
def participant_update(
    *,
    actor: Any,
    meeting: Meeting,
    participant_id: Any,
    voting: bool,
    excluded_reason: str = "",
) -> Participant:
    """Set whether an invitee votes, and a legal exclusion from the base (with its reason;
    an empty reason lifts it). A guest never votes."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    participant = _participant_of(locked, participant_id)
    excluded_reason = (excluded_reason or "").strip()
    if len(excluded_reason) > MAX_REASON:
        raise _invalid("excluded_reason", _("The reason is too long."))
    if participant.role == ParticipantRole.GUEST and voting:
        raise _invalid("voting", _("A guest does not vote."))
    before = _participant_snapshot(participant)
    participant.voting = bool(voting)
    participant.excluded_reason = excluded_reason
    participant.save(update_fields=["voting", "excluded_reason", "updated_at"])
    audit.record(
        actor=actor,
        action="meetings.participant_updated",
        unit=locked.unit,
        obj=participant,
        before=before,
        after=_participant_snapshot(participant),
        data={
            "title": locked.title[:120],
            "user": participant.user.username,
            "voting": participant.voting,
            "excluded_reason": excluded_reason[:500],
        },
    )
    live.changed(locked, topic="presence")
    return participant


@transaction.atomic(durable=True)
def invitation_withdraw(*, actor: Any, meeting: Meeting, participant_id: Any) -> None:
    """Withdraw an invitation: the person no longer sees the meeting, and an open room page
    of theirs is told to close. Not the chair's nor the secretary's (change them instead),
    nor someone who has already voted."""
    locked = lock_meeting(meeting)
    require_organizer(actor, locked)
    require_not_finished(locked)
    participant = _participant_of(locked, participant_id)
    if participant.role in (ParticipantRole.CHAIR, ParticipantRole.SECRETARY):
        raise Conflict(
            _("The chair's or the secretary's invitation cannot be withdrawn: name another.")
        )
    if (
        BallotCast.objects.filter(participant=participant).exists()
        or NamedChoice.objects.filter(participant=participant).exists()
    ):
        raise Conflict(_("This participant has voted: the invitation can no longer be withdrawn."))
    before = _participant_snapshot(participant)
    user_id, username = participant.user_id, participant.user.username
    participant.delete()
    audit.record(
        actor=actor,
        action="meetings.invitation_withdrawn",
        unit=locked.unit,
        obj=locked,
        before=before,
        data={"title": locked.title[:120], "user": username},
    )
    live.changed(locked, topic="presence")
    live.withdrawn(locked, user_id)


@transaction.atomic(durable=True)
def rsvp_answer(*, actor: Any, meeting: Meeting, accept: bool, reason: str = "") -> Participant:
    """The invitee's answer: will attend, or excused with the reason for absence (required).
    The answer can be changed until the meeting starts."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise _invalid("reason", _("Give the reason for your absence."))
    if len(reason) > MAX_REASON:
        raise _invalid("reason", _("The reason is too long."))
    locked = lock_meeting(meeting)
    participant = require_participant(actor, locked)
    if locked.state not in PREPARING:
        raise Conflict(_("The meeting has started, ended or been cancelled: no answer now."))
    participant = _participant_of(locked, participant.pk)
    before = _participant_snapshot(participant)
    participant.rsvp = Rsvp.ACCEPTED if accept else Rsvp.DECLINED
    participant.rsvp_reason = "" if accept else reason
    participant.rsvp_at = clock.now()
    participant.save(update_fields=["rsvp", "rsvp_reason", "rsvp_at", "updated_at"])
    audit.record(
        actor=actor,
        action="meetings.rsvp",
        unit=locked.unit,
        obj=participant,
        before=before,
        after=_participant_snapshot(participant),
        data={"title": locked.title[:120], "rsvp": participant.rsvp},
    )
    live.changed(locked, topic="presence")
    return participant
