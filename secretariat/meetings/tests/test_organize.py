"""Organizing meetings: creation with its rules, validation, convening and cancelling,
invitations of people and units, answers, the agenda and its order. Every change audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secretariat.accounts.models import Position, Role
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.meetings.models import (
    AgendaItem,
    Base,
    Meeting,
    MeetingKind,
    MeetingState,
    Participant,
    ParticipantRole,
    Rsvp,
    RuleSet,
    Threshold,
)
from secretariat.meetings.rules_defaults import DEFAULTS
from secretariat.meetings.services import agenda
from secretariat.meetings.services import meetings as services
from secretariat.office.models import Notification

# --- Helpers shared by the organizing tests -------------------------------------------------------


def when(days: int = 7, hours: int = 2) -> tuple[dt.datetime, dt.datetime]:
    start = (clock.now() + dt.timedelta(days=days)).replace(microsecond=0)
    return start, start + dt.timedelta(hours=hours)


def make_meeting(
    actor: Any, unit: Any, chair_user: Any, secretary_user: Any, **overrides: Any
) -> Meeting:
    starts_at, ends_at = when()
    fields: dict[str, Any] = {
        "kind": MeetingKind.COMMITTEE,
        "title": "Hội nghị Ban Chấp hành tháng 6",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": "Hội trường A",
        "chair": chair_user,
        "secretary": secretary_user,
        "body_size": 9,
    }
    return services.meeting_create(actor=actor, unit=unit, **(fields | overrides))


def actions(meeting: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(meeting.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    unit = tree["commune_a"]
    return {
        "organizer": make_user("organizer", role=Role.MEETING_SECRETARY, unit=unit),
        "chair": make_user("chair", position=(unit, "Bí thư")),
        "secretary": make_user("secretary", position=(unit, "Chánh Văn phòng")),
        "member": make_user("member", position=(unit, "Ủy viên")),
        "outsider": make_user("outsider", position=(tree["commune_b"], "Ủy viên")),
    }


@pytest.fixture
def meeting(tree: dict[str, Any], people: dict[str, Any]) -> Meeting:
    return make_meeting(
        people["organizer"], tree["commune_a"], people["chair"], people["secretary"]
    )


# --- Creating ------------------------------------------------------------------------------------


def test_create_copies_the_default_rules_and_invites_chair_and_secretary(
    meeting: Meeting, people: dict[str, Any]
) -> None:
    assert meeting.state == MeetingState.DRAFT
    assert (meeting.quorum_base, meeting.quorum_threshold) == (Base.MEMBERS, Threshold.TWO_THIRDS)
    assert (meeting.resolution_base, meeting.resolution_threshold) == (
        Base.MEMBERS,
        Threshold.MORE_THAN_HALF,
    )
    assert meeting.election_base == Base.SUMMONED_NOT_EXCLUDED
    roles = dict(Participant.objects.filter(meeting=meeting).values_list("user__username", "role"))
    assert roles == {"chair": ParticipantRole.CHAIR, "secretary": ParticipantRole.SECRETARY}
    assert len(meeting.checkin_token) >= 32
    assert meeting.video_room == ""
    assert actions(meeting) == ["meetings.created"]


def test_defaults_follow_party_rules_per_kind() -> None:
    assert DEFAULTS[MeetingKind.CELL].quorum_threshold == Threshold.MORE_THAN_HALF
    conference = DEFAULTS[MeetingKind.CONFERENCE]
    assert (conference.quorum_base, conference.resolution_base) == (Base.SUMMONED, Base.SUMMONED)
    assert conference.election_base == Base.SUMMONED_NOT_EXCLUDED
    assert set(DEFAULTS) == set(MeetingKind.values)


def test_the_nearest_ruleset_up_the_tree_applies(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    RuleSet.objects.create(
        unit=tree["province"],
        kind=MeetingKind.CELL,
        quorum_base=Base.SUMMONED,
        quorum_threshold=Threshold.MORE_THAN_HALF,
        resolution_base=Base.PRESENT,
        resolution_threshold=Threshold.TWO_THIRDS,
        election_base=Base.SUMMONED,
        election_threshold=Threshold.MORE_THAN_HALF,
    )
    RuleSet.objects.create(
        unit=tree["commune_a"],
        kind=MeetingKind.CELL,
        quorum_base=Base.MEMBERS,
        quorum_threshold=Threshold.TWO_THIRDS,
        resolution_base=Base.MEMBERS,
        resolution_threshold=Threshold.TWO_THIRDS,
        election_base=Base.SUMMONED,
        election_threshold=Threshold.TWO_THIRDS,
    )
    inside = make_meeting(
        people["organizer"],
        tree["cell_a"],
        people["chair"],
        people["secretary"],
        kind=MeetingKind.CELL,
    )
    assert inside.resolution_threshold == Threshold.TWO_THIRDS  # commune A's, not the province's
    assert inside.election_threshold == Threshold.TWO_THIRDS
    # A committee meeting has no ruleset: the defaults.
    other = make_meeting(people["organizer"], tree["cell_a"], people["chair"], people["secretary"])
    assert other.quorum_threshold == DEFAULTS[MeetingKind.COMMITTEE].quorum_threshold


def test_a_video_meeting_gets_an_unguessable_room(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    one = make_meeting(
        people["organizer"],
        tree["commune_a"],
        people["chair"],
        people["secretary"],
        video_provider="jitsi",
    )
    two = make_meeting(
        people["organizer"],
        tree["commune_a"],
        people["chair"],
        people["secretary"],
        video_provider="bbb",
    )
    assert one.video_room
    assert two.video_room
    assert one.video_room != two.video_room
    assert len(one.video_room) >= 32


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"ends_at": "same"}, "ends_at"),
        ({"body_size": 0}, "body_size"),
        ({"video_provider": "zoom"}, "video_provider"),
        ({"kind": "picnic"}, "kind"),
        ({"secretary": "chair"}, "secretary"),
        ({"chair": None}, "chair"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(
    tree: dict[str, Any], people: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    starts_at, _ends_at = when()
    if overrides.get("ends_at") == "same":
        overrides = {"starts_at": starts_at, "ends_at": starts_at - dt.timedelta(minutes=5)}
    if overrides.get("secretary") == "chair":
        overrides = {"secretary": people["chair"]}
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        make_meeting(
            people["organizer"],
            tree["commune_a"],
            people["chair"],
            people["secretary"],
            **overrides,
        )
    assert field in caught.value.field_errors
    assert Meeting.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_chair_must_be_an_active_user(tree: dict[str, Any], people: dict[str, Any]) -> None:
    people["chair"].is_active = False
    people["chair"].save()
    with pytest.raises(ValidationFailed) as caught:
        make_meeting(people["organizer"], tree["commune_a"], people["chair"], people["secretary"])
    assert "active user" in str(caught.value.field_errors["chair"][0])


def test_create_needs_the_organize_right_on_the_unit(
    tree: dict[str, Any], people: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        make_meeting(people["organizer"], tree["commune_b"], people["chair"], people["secretary"])
    with pytest.raises(PermissionDenied):
        make_meeting(people["member"], tree["commune_a"], people["chair"], people["secretary"])


# --- Changing, convening, cancelling -------------------------------------------------------------


def _update(meeting: Meeting, actor: Any, **changes: Any) -> Meeting:
    fields: dict[str, Any] = {
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "place": meeting.place,
        "video_provider": meeting.video_provider,
        "chair": meeting.chair,
        "secretary": meeting.secretary,
        "body_size": meeting.body_size,
    }
    return services.meeting_update(actor=actor, meeting=meeting, **(fields | changes))


def test_swapping_chair_and_secretary_keeps_one_invitation_each(
    meeting: Meeting, people: dict[str, Any]
) -> None:
    meeting = _update(
        meeting, people["organizer"], chair=people["secretary"], secretary=people["chair"]
    )
    roles = dict(Participant.objects.filter(meeting=meeting).values_list("user__username", "role"))
    assert roles == {"chair": ParticipantRole.SECRETARY, "secretary": ParticipantRole.CHAIR}
    # A new chair: the former one stays invited, as a member.
    _update(meeting, people["organizer"], chair=people["member"])
    roles = dict(Participant.objects.filter(meeting=meeting).values_list("user__username", "role"))
    assert roles["member"] == ParticipantRole.CHAIR
    assert roles["secretary"] == ParticipantRole.MEMBER
    assert actions(meeting).count("meetings.updated") == 2


def test_the_chair_organizes_without_the_role(meeting: Meeting, people: dict[str, Any]) -> None:
    changed = _update(meeting, people["chair"], place="Phòng họp số 2")
    assert changed.place == "Phòng họp số 2"
    with pytest.raises(PermissionDenied):
        _update(meeting, people["member"], place="Ở nhà")


def test_convene_notifies_every_invitee_and_is_audited(
    meeting: Meeting, people: dict[str, Any]
) -> None:
    services.invite_users(actor=people["organizer"], meeting=meeting, users=[people["member"]])
    assert not Notification.objects.exists()  # a draft tells nobody
    convened = services.meeting_convene(actor=people["organizer"], meeting=meeting)
    assert convened.state == MeetingState.CONVENED
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"chair", "secretary", "member"}
    note = Notification.objects.get(user=people["member"])
    assert meeting.title in note.message
    assert note.link.endswith(f"/meetings/{meeting.pk}/")
    with pytest.raises(Conflict):
        services.meeting_convene(actor=people["organizer"], meeting=meeting)
    assert actions(meeting)[-1] == "meetings.convened"


def test_cancel_needs_a_reason_and_tells_the_invitees(
    meeting: Meeting, people: dict[str, Any]
) -> None:
    services.meeting_convene(actor=people["organizer"], meeting=meeting)
    with pytest.raises(ValidationFailed) as caught:
        services.meeting_cancel(actor=people["organizer"], meeting=meeting, reason="  ")
    assert "reason" in caught.value.field_errors
    cancelled = services.meeting_cancel(
        actor=people["organizer"], meeting=meeting, reason="Trùng lịch hội nghị tỉnh"
    )
    assert cancelled.state == MeetingState.CANCELLED
    assert cancelled.cancelled_reason == "Trùng lịch hội nghị tỉnh"
    assert Notification.objects.filter(user=people["chair"], message__contains="cancelled").exists()
    event = AuditEvent.objects.filter(action="meetings.cancelled").get()
    assert event.data["reason"] == "Trùng lịch hội nghị tỉnh"
    with pytest.raises(Conflict):
        _update(meeting, people["organizer"], place="x")


# --- Invitations ---------------------------------------------------------------------------------


def test_unit_invitation_expands_to_active_position_holders_now(
    tree: dict[str, Any], meeting: Meeting, people: dict[str, Any], make_user: Any
) -> None:
    cell = tree["cell_a"]
    a = make_user("cell_one", position=(cell, "Đảng viên"))
    b = make_user("cell_two", position=(cell, "Đảng viên"))
    left = make_user("cell_left", position=(cell, "Đảng viên"))
    Position.objects.filter(user=left).update(ended_on=clock.today())
    gone = make_user("cell_gone", position=(cell, "Đảng viên"))
    gone.is_active = False
    gone.save()
    make_user("below", position=(tree["commune_b"], "Đảng viên"))
    created = services.invite_unit(
        actor=people["organizer"],
        meeting=meeting,
        unit=cell,
        role=ParticipantRole.GUEST,
        voting=False,
    )
    assert {p.user_id for p in created} == {a.pk, b.pk}
    assert all(p.via_unit_id == cell.pk and not p.voting for p in created)
    # Someone who joins the cell later is not invited by the earlier invitation.
    make_user("cell_new", position=(cell, "Đảng viên"))
    assert not Participant.objects.filter(meeting=meeting, user__username="cell_new").exists()
    # Inviting again adds nobody twice.
    again = services.invite_unit(
        actor=people["organizer"],
        meeting=meeting,
        unit=cell,
        role=ParticipantRole.GUEST,
        voting=False,
    )
    assert [p.user.username for p in again] == ["cell_new"]
    event = AuditEvent.objects.filter(action="meetings.invited").order_by("seq").first()
    assert event is not None
    assert event.data["unit"] == cell.code
    assert event.data["invited"] == 2


def test_a_guest_does_not_vote(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        services.invite_users(
            actor=people["organizer"],
            meeting=meeting,
            users=[people["member"]],
            role=ParticipantRole.GUEST,
            voting=True,
        )
    with pytest.raises(ValidationFailed):
        services.invite_users(
            actor=people["organizer"], meeting=meeting, users=[people["member"]], role="chair"
        )


def test_exclusion_and_withdrawal(meeting: Meeting, people: dict[str, Any]) -> None:
    [invited] = services.invite_users(
        actor=people["organizer"], meeting=meeting, users=[people["member"]]
    )
    updated = services.participant_update(
        actor=people["organizer"],
        meeting=meeting,
        participant_id=invited.pk,
        voting=True,
        excluded_reason="Đang bị đình chỉ sinh hoạt",
    )
    assert updated.excluded_reason == "Đang bị đình chỉ sinh hoạt"
    chair = Participant.objects.get(meeting=meeting, user=people["chair"])
    with pytest.raises(Conflict):
        services.invitation_withdraw(
            actor=people["organizer"], meeting=meeting, participant_id=chair.pk
        )
    services.invitation_withdraw(
        actor=people["organizer"], meeting=meeting, participant_id=invited.pk
    )
    assert not Participant.objects.filter(pk=invited.pk).exists()
    assert actions(meeting)[-1] == "meetings.invitation_withdrawn"


def test_withdrawal_tells_the_persons_open_sockets(
    meeting: Meeting,
    people: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from secretariat.core import live as core_live
    from secretariat.meetings import live

    sent: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        core_live, "publish", lambda group, message, **kw: sent.append((group, message))
    )
    [invited] = services.invite_users(
        actor=people["organizer"], meeting=meeting, users=[people["member"]]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_withdraw(
            actor=people["organizer"], meeting=meeting, participant_id=invited.pk
        )
    groups = [group for group, _ in sent]
    assert live.user_group(meeting.pk, people["member"].pk) in groups
    assert {"type": "meeting.withdrawn"} in [message for _, message in sent]


# --- Answers -------------------------------------------------------------------------------------


def test_rsvp_decline_needs_a_reason(meeting: Meeting, people: dict[str, Any]) -> None:
    services.invite_users(actor=people["organizer"], meeting=meeting, users=[people["member"]])
    with pytest.raises(ValidationFailed) as caught:
        services.rsvp_answer(actor=people["member"], meeting=meeting, accept=False, reason=" ")
    assert "reason" in caught.value.field_errors
    answer = services.rsvp_answer(
        actor=people["member"], meeting=meeting, accept=False, reason="Đi công tác"
    )
    assert (answer.rsvp, answer.rsvp_reason) == (Rsvp.DECLINED, "Đi công tác")
    assert answer.rsvp_at is not None
    answer = services.rsvp_answer(actor=people["member"], meeting=meeting, accept=True)
    assert (answer.rsvp, answer.rsvp_reason) == (Rsvp.ACCEPTED, "")
    assert AuditEvent.objects.filter(action="meetings.rsvp").count() == 2
    with pytest.raises(PermissionDenied):
        services.rsvp_answer(actor=people["outsider"], meeting=meeting, accept=True)


def test_no_answer_once_cancelled(meeting: Meeting, people: dict[str, Any]) -> None:
    services.meeting_cancel(actor=people["organizer"], meeting=meeting, reason="Hoãn")
    with pytest.raises(Conflict):
        services.rsvp_answer(actor=people["chair"], meeting=meeting, accept=True)


# --- Agenda --------------------------------------------------------------------------------------


def _titles(meeting: Meeting) -> list[str]:
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("title", flat=True)
    )


def test_agenda_items_and_their_order(meeting: Meeting, people: dict[str, Any]) -> None:
    actor = people["organizer"]
    one = agenda.item_add(actor=actor, meeting=meeting, title="Báo cáo", presenter=people["chair"])
    two = agenda.item_add(
        actor=actor, meeting=meeting, title="Nhân sự", presenter_name="Đ/c Lan", planned_minutes=30
    )
    three = agenda.item_add(actor=actor, meeting=meeting, title="Kết luận")
    assert [one.position, two.position, three.position] == [1, 2, 3]
    agenda.item_move(actor=actor, meeting=meeting, item_id=three.pk, direction="up")
    assert _titles(meeting) == ["Báo cáo", "Kết luận", "Nhân sự"]
    agenda.item_move(actor=actor, meeting=meeting, item_id=one.pk, direction="up")  # at the top
    assert _titles(meeting) == ["Báo cáo", "Kết luận", "Nhân sự"]
    agenda.items_reorder(actor=actor, meeting=meeting, order=[two.pk, one.pk, three.pk])
    assert _titles(meeting) == ["Nhân sự", "Báo cáo", "Kết luận"]
    with pytest.raises(ValidationFailed):
        agenda.items_reorder(actor=actor, meeting=meeting, order=[two.pk, one.pk])
    agenda.item_remove(actor=actor, meeting=meeting, item_id=one.pk)
    positions = list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("title", "position")
    )
    assert positions == [("Nhân sự", 1), ("Kết luận", 2)]
    updated = agenda.item_update(
        actor=actor,
        meeting=meeting,
        item_id=two.pk,
        title="Nhân sự",
        presenter_name="Đ/c Lan",
        planned_minutes=45,
        conclusion="Thống nhất giới thiệu 2 đồng chí.",
    )
    assert (updated.planned_minutes, updated.conclusion) == (
        45,
        "Thống nhất giới thiệu 2 đồng chí.",
    )
    audited = actions(meeting)
    assert audited.count("meetings.agenda_reordered") == 3


def test_agenda_refuses_bad_input(meeting: Meeting, people: dict[str, Any]) -> None:
    actor = people["organizer"]
    with pytest.raises(ValidationFailed) as caught:
        agenda.item_add(
            actor=actor,
            meeting=meeting,
            title="x",
            presenter=people["chair"],
            presenter_name="Someone",
        )
    assert "presenter_name" in caught.value.field_errors
    with pytest.raises(ValidationFailed):
        agenda.item_add(actor=actor, meeting=meeting, title="x", planned_minutes=0)
    with pytest.raises(PermissionDenied):
        agenda.item_add(actor=people["member"], meeting=meeting, title="x")
    assert not AgendaItem.objects.exists()


def test_agenda_changes_are_pushed_live(
    meeting: Meeting,
    people: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from secretariat.core import live as core_live
    from secretariat.meetings import live

    sent: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        core_live, "publish", lambda group, message, **kw: sent.append((group, message))
    )
    actor = people["organizer"]
    with django_capture_on_commit_callbacks(execute=True):
        one = agenda.item_add(actor=actor, meeting=meeting, title="Một")
        two = agenda.item_add(actor=actor, meeting=meeting, title="Hai")
        agenda.item_move(actor=actor, meeting=meeting, item_id=two.pk, direction="up")
    mine = [message for group, message in sent if group == live.group(meeting.pk)]
    topics = [message["topic"] for message in mine]
    assert topics == ["agenda", "agenda", "agenda"]
    seqs = [message["seq"] for message in mine]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert mine[-1]["data"]["order"] == [str(two.pk), str(one.pk)]
