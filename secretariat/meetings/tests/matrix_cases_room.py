"""Permission-matrix cases of the meeting room (see secretariat/api/tests/matrix.py).

Inside: meetings of cell A, organized by the leaders and meeting secretaries of commune A (and
their own chair and secretary, who are not actors), with the ordinary member actor ("none")
invited and checked in remotely. Outside: the same meetings in cell B, where no actor is
invited. So:
* the room page: the invited member and the organizers; the QR screen: organizers only;
* check-in, remote presence, asking to speak, voting: the invited member only;
* running the room (session, agenda position, floor, presence of others, votes): organizers;
* withdrawing a request to speak: its author and the organizers.

Three meetings a side, each in the state its cases need: M1 (a speaker has the floor, the member
waits to speak; no vote), M2 (a named vote open; someone waits to speak), M3 (a show of hands
open).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import NONE, Case, Ctx
from secretariat.meetings.models import (
    Participant,
    Presence,
    SpeakerKind,
    SpeakerRequest,
    SpeakerState,
    VoteKind,
    VoteMethod,
)
from secretariat.meetings.services import speakers, votes

from .room_factories import make_meeting

ORGANIZERS = frozenset({Role.LEADER, Role.MEETING_SECRETARY})
INVITED = frozenset({NONE})
SEE = ORGANIZERS | INVITED

EXEMPT: set[str] = set()


def _present(meeting: Any, user: Any, presence: str = Presence.ROOM) -> Participant:
    participant = Participant.objects.get(meeting=meeting, user=user)
    participant.presence = presence
    participant.checked_in_by = user
    participant.save(update_fields=["presence", "checked_in_by"])
    return participant


def _side(ctx: Ctx, make_user: Any, side: str) -> None:
    unit = ctx.units["cell_a" if side == "in" else "cell_b"]
    chair = ctx.targets[side]
    secretary = make_user(f"room_secretary_{side}", position=(unit, "Phó Bí thư"))
    first = make_user(f"room_first_{side}", position=(unit, "Đảng viên"))
    second = make_user(f"room_second_{side}", position=(unit, "Đảng viên"))
    invited = [first, second] + ([ctx.actors[NONE]] if side == "in" else [])
    meetings = [
        make_meeting(
            unit=unit,
            chair=chair,
            secretary=secretary,
            members=invited,
            title=f"MATRIX-ROOM-{side.upper()}-{n}",
        )
        for n in (1, 2, 3)
    ]
    for meeting in meetings:
        for user in (chair, secretary, first, second):
            _present(meeting, user)
        if side == "in":
            # Remote: the QR check-in (room) still changes something.
            _present(meeting, ctx.actors[NONE], Presence.REMOTE)
    m1, m2, m3 = meetings
    # Each service is its own (durable) transaction.
    speaking = speakers.request_floor(actor=first, meeting=m1)
    speakers.give_floor(actor=secretary, request=speaking)
    asker = ctx.actors[NONE] if side == "in" else second
    waiting = speakers.request_floor(actor=asker, meeting=m1)
    speakers.request_floor(actor=second, meeting=m2)
    named = votes.create_vote(
        actor=secretary,
        meeting=m2,
        kind=VoteKind.RESOLUTION,
        method=VoteMethod.NAMED,
        question="Thông qua nghị quyết?",
    )
    votes.open_vote(actor=secretary, vote=named)
    hands = votes.create_vote(
        actor=secretary,
        meeting=m3,
        kind=VoteKind.PROCEDURAL,
        method=VoteMethod.SHOW_OF_HANDS,
        question="Thông qua chương trình?",
    )
    votes.open_vote(actor=secretary, vote=hands)
    ctx.extra[f"room_{side}"] = {
        "m1": m1,
        "m2": m2,
        "m3": m3,
        "speaking": SpeakerRequest.objects.get(meeting=m1, state=SpeakerState.SPEAKING),
        "waiting": waiting,
        "absent": Participant.objects.get(meeting=m1, user=second),
        "named": named,
        "hands": hands,
    }


def setup(ctx: Ctx, make_user: Any) -> None:
    for side in ("in", "out"):
        _side(ctx, make_user, side)
    # The absent participant of M1 really is absent (recorded present by the cases).
    for side in ("in", "out"):
        absent = ctx.extra[f"room_{side}"]["absent"]
        Participant.objects.filter(pk=absent.pk).update(presence=Presence.ABSENT)


def _room(c: Ctx, side: str) -> dict[str, Any]:
    room: dict[str, Any] = c.extra[f"room_{side}"]
    return room


def _url(name: str, meeting: str = "m1", **objects: str) -> Any:
    def build(c: Ctx, side: str) -> str:
        room = _room(c, side)
        kwargs = {"pk": room[meeting].pk}
        kwargs |= {key: room[value].pk for key, value in objects.items()}
        return reverse(f"meetings:{name}", kwargs=kwargs)

    return build


def _checkin_url(c: Ctx, side: str) -> str:
    meeting = _room(c, side)["m1"]
    return reverse("meetings:checkin", kwargs={"pk": meeting.pk, "token": meeting.checkin_token})


CASES = [
    Case("meetings:room", "get", _url("room"), SEE),
    Case(
        "meetings:room_receipt",
        "get",
        lambda c, s: _url("room_receipt")(c, s) + "?code=ABCD-EFGH-JK",
        SEE,
    ),
    Case("meetings:qr", "get", _url("qr"), ORGANIZERS),
    Case("meetings:checkin", "get", _checkin_url, INVITED),
    Case("meetings:checkin", "post", _checkin_url, INVITED, write=True),
    Case(
        "meetings:room_presence",
        "post",
        _url("room_presence"),
        INVITED,
        write=True,
        data=lambda c, s: {"action": "leave"},
    ),
    Case(
        "meetings:room_presence_record",
        "post",
        _url("room_presence_record", participant_pk="absent"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"presence": Presence.ROOM},
    ),
    Case(
        "meetings:room_session",
        "post",
        _url("room_session"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"action": "close"},
    ),
    Case(
        "meetings:room_item",
        "post",
        _url("room_item"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"item": str(_room(c, s)["m1"].items.first().pk)},
    ),
    Case(
        "meetings:room_speak",
        "post",
        _url("room_speak"),
        INVITED,
        write=True,
        data=lambda c, s: {"kind": SpeakerKind.POINT_OF_ORDER},
    ),
    Case(
        "meetings:room_speak_withdraw",
        "post",
        _url("room_speak_withdraw", request_pk="waiting"),
        ORGANIZERS | INVITED,
        write=True,
    ),
    Case("meetings:room_floor", "post", _url("room_floor", "m2"), ORGANIZERS, write=True),
    Case(
        "meetings:room_speak_end",
        "post",
        _url("room_speak_end", request_pk="speaking"),
        ORGANIZERS,
        write=True,
    ),
    Case(
        "meetings:room_vote_open",
        "post",
        _url("room_vote_open"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {
            "question": "Biểu quyết?",
            "kind": VoteKind.RESOLUTION,
            "method": VoteMethod.SECRET,
        },
    ),
    Case(
        "meetings:room_vote_cast",
        "post",
        _url("room_vote_cast", "m2", vote_pk="named"),
        INVITED,
        write=True,
        data=lambda c, s: {"choice": "1"},
    ),
    Case(
        "meetings:room_vote_hands",
        "post",
        _url("room_vote_hands", "m3", vote_pk="hands"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"hands_1": "3", "hands_2": "1", "hands_3": "0"},
    ),
    Case(
        "meetings:room_vote_close",
        "post",
        _url("room_vote_close", "m2", vote_pk="named"),
        ORGANIZERS,
        write=True,
    ),
]
