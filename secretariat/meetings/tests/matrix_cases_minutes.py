"""Permission-matrix cases of the minutes and the video room (see
secretariat/api/tests/matrix.py).

Inside: two closed meetings of commune A — one whose minutes are a draft, one whose minutes are
rendered and waiting for signatures — chaired by the inside target, kept by the meeting
secretary actor, with the ordinary member (actor "none") invited. Outside: the same in commune B.
Who may act:
* read the minutes page, the PDF, the video page: the participants and the organizers
  (`meetings.organize` on the unit: leaders and meeting secretaries);
* draft, edit, finalize, reopen: the organizers;
* sign: the meeting's secretary first (then the chair, who is not a matrix actor) — with a key
  the server holds (`minutes_sign`) or by opening a session of the signing agent for a USB token
  (`minutes_sign_agent`, PDF mode: any registered personal certificate; the session's audit
  event `signing.session_opened` is the write). test_minutes_agent.py runs the agent itself.
Joining the video room (POST) needs a configured video server: test_video.py runs every actor
in and out against it.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.accounts.tests.totp import next_code
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.meetings.models import MeetingKind, MeetingState, VideoProvider
from secretariat.meetings.services import minutes as services
from secretariat.meetings.tests.room_factories import make_meeting
from secretariat.signing.tests.factories import give_certificate

ORGANIZERS = frozenset({Role.LEADER, Role.MEETING_SECRETARY})
READERS = frozenset({"none", *ORGANIZERS})
SECRETARY = frozenset({Role.MEETING_SECRETARY})


def setup(ctx: Ctx, make_user: Any) -> None:
    out_secretary = make_user("minutes_out_secretary", position=(ctx.units["cell_b"], "Thư ký"))
    sides = {
        "in": (ctx.units["commune_a"], ctx.targets["in"], ctx.actors[Role.MEETING_SECRETARY]),
        "out": (ctx.units["commune_b"], ctx.targets["out"], out_secretary),
    }
    member = {"in": ctx.actors["none"], "out": make_user("minutes_out_member")}
    give_certificate(user=ctx.actors[Role.MEETING_SECRETARY])
    for side, (unit, chair, secretary) in sides.items():
        for name in ("meeting", "final"):
            meeting = make_meeting(
                unit=unit,
                chair=chair,
                secretary=secretary,
                members=[member[side]],
                title=f"Hội nghị MATRIX-MINUTES-{side.upper()}",
                state=MeetingState.CLOSED,
                kind=MeetingKind.COMMITTEE,
            )
            meeting.video_provider = VideoProvider.JITSI
            meeting.video_room = f"matrix-{name}-{side}-{str(meeting.pk)[:8]}"
            meeting.save(update_fields=["video_provider", "video_room"])
            services.minutes_draft(actor=secretary, meeting=meeting)
            if name == "final":
                services.minutes_finalize(actor=secretary, meeting=meeting)
            ctx.extra[f"{name}_{side}"] = meeting


def _url(name: str, which: str = "meeting") -> Any:
    return lambda c, s: reverse(f"meetings:{name}", args=[c.extra[f"{which}_{s}"].pk])


CASES = [
    Case("meetings:minutes", "get", _url("minutes"), READERS),
    Case("meetings:minutes_pdf", "get", _url("minutes_pdf", "final"), READERS),
    Case("meetings:video", "get", _url("video"), READERS),
    Case("meetings:minutes_draft", "post", _url("minutes_draft"), ORGANIZERS, write=True),
    Case(
        "meetings:minutes_edit",
        "post",
        _url("minutes_edit"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"text": "I. THỜI GIAN, ĐỊA ĐIỂM\n- Hội trường Tỉnh ủy."},
    ),
    Case("meetings:minutes_finalize", "post", _url("minutes_finalize"), ORGANIZERS, write=True),
    Case(
        "meetings:minutes_reopen", "post", _url("minutes_reopen", "final"), ORGANIZERS, write=True
    ),
    Case(
        "meetings:minutes_sign",
        "post",
        _url("minutes_sign", "final"),
        SECRETARY,
        write=True,
        data=lambda c, s: {"confirmation": next_code(c.actors[Role.MEETING_SECRETARY])},
    ),
    Case(
        "meetings:minutes_sign_agent",
        "post",
        _url("minutes_sign_agent", "final"),
        SECRETARY,
        write=True,
        data=lambda c, s: {"mode": "pdf"},
    ),
]
