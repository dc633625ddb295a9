"""A meeting to open in the demo, idempotently: the next weekly briefing of the
Provincial Committee Office (giao ban), convened by its chief ("leader") with the meeting
secretary keeping the minutes, the office's staff and the demo member invited, an agenda of
three items and the office's demo documents in the board pack."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from secretariat.accounts.models import User
from secretariat.documents.models import Document
from secretariat.meetings.models import Meeting, MeetingKind
from secretariat.meetings.services import agenda, meetings, pack
from secretariat.orgs.models import Unit

from .province import NAMED_ACCOUNTS

TITLE = "Giao ban Văn phòng Tỉnh ủy tuần này"
AGENDA = [
    ("Kết quả công tác văn thư, lưu trữ tuần qua", "clerk", 15),
    ("Triển khai chỉ thị về chuyển đổi số trong các cơ quan Đảng", "leader", 30),
    ("Biểu quyết kế hoạch công tác tháng tới", "leader", 20),
]


def seed_meetings(*, log: Callable[[str], None]) -> None:
    office = Unit.objects.get(code=NAMED_ACCOUNTS[1].unit_code)
    if Meeting.objects.filter(unit=office, title=TITLE).exists():
        log("meetings: demo meeting already there")
        return
    leader = User.objects.get(username="leader")
    secretary = User.objects.get(username="secretary")
    # Within the hour after the seed, so that the room can be opened (and checked into) at once.
    now = timezone.localtime()
    starts = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    meeting = meetings.meeting_create(
        actor=leader,
        unit=office,
        kind=MeetingKind.CONFERENCE,
        title=TITLE,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        chair=leader,
        secretary=secretary,
        # The office's staff and the member invited below.
        body_size=len(meetings.unit_members(unit=office)) + 1,
        place="Phòng họp số 1, Văn phòng Tỉnh ủy",
        video_provider="jitsi",
    )
    meetings.invite_unit(actor=leader, meeting=meeting, unit=office)
    extra = User.objects.filter(username__in=["member"])
    meetings.invite_users(actor=leader, meeting=meeting, users=list(extra))
    meeting.refresh_from_db()
    documents = list(Document.objects.filter(unit=office).order_by("created_at")[:3])
    for number, (title, presenter, minutes) in enumerate(AGENDA):
        item = agenda.item_add(
            actor=leader,
            meeting=meeting,
            title=title,
            presenter=User.objects.get(username=presenter),
            planned_minutes=minutes,
        )
        if number < len(documents):
            pack.pack_document_add(
                actor=leader, meeting=meeting, item_id=item.pk, document_id=documents[number].pk
            )
    meetings.meeting_convene(actor=leader, meeting=meeting)
    log(f"meetings: “{TITLE}” convened with {meeting.participants.count()} invitees")
