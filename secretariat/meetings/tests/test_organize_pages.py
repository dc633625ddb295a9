"""The organizing pages: list, form, the meeting's page, answers, calendar export (parsed back
as a calendar program would)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.meetings import ical
from secretariat.meetings.models import Meeting, MeetingState, Participant, Rsvp
from secretariat.meetings.services import meetings as services

from .test_organize import make_meeting, when


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    unit = tree["commune_a"]
    return {
        "organizer": make_user("organizer", role=Role.LEADER, unit=unit),
        "chair": make_user("chair", position=(unit, "Bí thư")),
        "secretary": make_user("secretary", position=(unit, "Chánh Văn phòng")),
        "member": make_user("member", position=(tree["cell_a"], "Đảng viên")),
        "outsider": make_user("outsider", position=(tree["commune_b"], "Đảng viên")),
    }


@pytest.fixture
def meeting(tree: dict[str, Any], people: dict[str, Any]) -> Meeting:
    made = make_meeting(
        people["organizer"],
        tree["commune_a"],
        people["chair"],
        people["secretary"],
        title='Hội nghị; "kỳ họp", thứ 7\\ đặc biệt',
        place="Phòng 1, tầng 2; Trụ sở Đảng ủy",
    )
    services.invite_users(actor=people["organizer"], meeting=made, users=[people["member"]])
    return made


# --- iCalendar, parsed back ----------------------------------------------------------------------


def unfold(text: str) -> list[str]:
    """RFC 5545 §3.1: a CRLF followed by one space or tab continues the previous line."""
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")  # no bare line feeds
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def events(text: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfold(text):
        name, _, value = line.partition(":")
        name = name.split(";")[0]
        if (name, value) == ("BEGIN", "VEVENT"):
            current = {}
        elif (name, value) == ("END", "VEVENT"):
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            current[name] = value
    return found


def test_ical_of_a_meeting_parses_back_with_its_escaping(
    meeting: Meeting, people: dict[str, Any], client_for: Any
) -> None:
    response = client_for(people["member"]).get(reverse("meetings:ical", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode("utf-8")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "METHOD:PUBLISH" in lines
    assert "VERSION:2.0" in lines
    [event] = events(text)
    assert event["UID"] == f"{meeting.pk}@{ical.UID_DOMAIN}"
    assert unescape(event["SUMMARY"]) == meeting.title
    assert event["SUMMARY"] == 'Hội nghị\\; "kỳ họp"\\, thứ 7\\\\ đặc biệt'
    assert unescape(event["LOCATION"]) == "Phòng 1, tầng 2; Trụ sở Đảng ủy"
    start = dt.datetime.strptime(event["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    end = dt.datetime.strptime(event["DTEND"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert (start, end) == (meeting.starts_at, meeting.ends_at)
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
    assert event["STATUS"] == "TENTATIVE"  # a draft
    assert event["URL"].endswith(reverse("meetings:detail", args=[meeting.pk]))
    assert unescape(event["DESCRIPTION"]).startswith(meeting.unit.display_name + "\n")


def test_long_vietnamese_lines_fold_without_cutting_a_letter() -> None:
    line = "SUMMARY:" + "Nghị quyết về công tác xây dựng Đảng " * 6
    folded = ical.fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 2
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join([pieces[0], *(p[1:] for p in pieces[1:])]) == line


def test_my_meetings_feed_lists_convened_invitations_only(
    tree: dict[str, Any], meeting: Meeting, people: dict[str, Any], client_for: Any
) -> None:
    services.meeting_convene(actor=people["organizer"], meeting=meeting)
    cancelled = make_meeting(
        people["organizer"], tree["commune_a"], people["chair"], people["secretary"], title="Hoãn"
    )
    services.invite_users(actor=people["organizer"], meeting=cancelled, users=[people["member"]])
    services.meeting_convene(actor=people["organizer"], meeting=cancelled)
    services.meeting_cancel(actor=people["organizer"], meeting=cancelled, reason="Bão, lũ")
    draft = make_meeting(
        people["organizer"], tree["commune_a"], people["chair"], people["secretary"], title="Nháp"
    )
    services.invite_users(actor=people["organizer"], meeting=draft, users=[people["member"]])
    text = client_for(people["member"]).get(reverse("meetings:ical_feed")).content.decode()
    found = {unescape(e["SUMMARY"]): e for e in events(text)}
    assert set(found) == {meeting.title, "Hoãn"}
    assert found["Hoãn"]["STATUS"] == "CANCELLED"
    assert "Bão\\, lũ" in found["Hoãn"]["DESCRIPTION"]
    assert found[meeting.title]["STATUS"] == "CONFIRMED"
    assert "X-WR-CALNAME:My meetings" in unfold(text)
    assert (
        events(client_for(people["outsider"]).get(reverse("meetings:ical_feed")).content.decode())
        == []
    )


# --- Pages ---------------------------------------------------------------------------------------


def test_list_shows_what_the_user_sees_and_nothing_else(
    tree: dict[str, Any], meeting: Meeting, people: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    leader_b = make_user("leader_b", role=Role.LEADER, unit=tree["commune_b"])
    make_meeting(
        leader_b,
        tree["commune_b"],
        people["outsider"],
        make_user("secretary_b", position=(tree["commune_b"], "VP")),
        title="Hội nghị xã B",
    )
    for who, sees in (("organizer", True), ("member", True), ("chair", True), ("outsider", False)):
        body = client_for(people[who]).get(reverse("meetings:list")).content.decode()
        assert ("kỳ họp" in body) is sees, who
        assert ("Hội nghị xã B" in body) is (who == "outsider"), who
    # "Mine": only invitations; the organizer is not invited.
    body = client_for(people["organizer"]).get(reverse("meetings:list") + "?mine=on").content
    assert "kỳ họp" not in body.decode()
    past = client_for(people["member"]).get(reverse("meetings:list") + "?when=past").content
    assert "kỳ họp" not in past.decode()


def test_create_form_round_trip(
    tree: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    client = client_for(people["organizer"])
    assert client.get(reverse("meetings:create")).status_code == 200
    starts_at, _ends_at = when(days=3)
    local = starts_at.astimezone(dt.timezone(dt.timedelta(hours=7)))
    data = {
        "unit": str(tree["commune_a"].pk),
        "kind": "standing_committee",
        "title": "Họp Ban Thường vụ",
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (local - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Phòng họp",
        "video_provider": "jitsi",
        "chair": str(people["chair"].pk),
        "secretary": str(people["secretary"].pk),
        "body_size": "5",
    }
    refused = client.post(reverse("meetings:create"), data)
    assert refused.status_code == 400
    assert "The meeting must end after it starts." in refused.content.decode()
    assert not Meeting.objects.exists()
    data["ends_at"] = (local + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    assert meeting.starts_at == starts_at.replace(second=0)
    assert meeting.video_provider == "jitsi"
    assert meeting.video_room
    # A member without the right gets no form.
    assert client_for(people["member"]).get(reverse("meetings:create")).status_code == 403


def test_detail_shows_answers_and_takes_the_invitees_answer(
    meeting: Meeting, people: dict[str, Any], client_for: Any
) -> None:
    client = client_for(people["member"])
    url = reverse("meetings:rsvp", args=[meeting.pk])
    refused = client.post(url, {"answer": "decline", "reason": ""})
    assert refused.status_code == 400
    assert "Give the reason for your absence." in refused.content.decode()
    assert client.post(url, {"answer": "decline", "reason": "Ốm"}).status_code == 302
    member = Participant.objects.get(meeting=meeting, user=people["member"])
    assert (member.rsvp, member.rsvp_reason) == (Rsvp.DECLINED, "Ốm")
    page = client_for(people["secretary"]).get(reverse("meetings:detail", args=[meeting.pk]))
    row = page.content.decode().split('data-user="member"')[1].split("</tr>")[0]
    assert "Excused" in row
    assert "Ốm" in row


def test_organizer_actions_from_the_page(
    tree: dict[str, Any], meeting: Meeting, people: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    client = client_for(people["organizer"])
    make_user("cell_member", position=(tree["cell_a"], "Đảng viên"))
    response = client.post(
        reverse("meetings:invite", args=[meeting.pk]),
        {"unit": str(tree["cell_a"].pk), "role": "member", "voting": "on"},
    )
    assert response.status_code == 302
    invited = Participant.objects.filter(meeting=meeting, via_unit=tree["cell_a"])
    # The member already invited by name keeps that invitation.
    assert set(invited.values_list("user__username", flat=True)) == {"cell_member"}
    neither = client.post(reverse("meetings:invite", args=[meeting.pk]), {"role": "member"})
    assert neither.status_code == 400
    assert "Choose people or a unit to invite." in neither.content.decode()
    response = client.post(
        reverse("meetings:item_add", args=[meeting.pk]), {"title": "", "planned_minutes": "10"}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("meetings:item_add", args=[meeting.pk]),
        {"title": "Khai mạc", "planned_minutes": "10"},
    )
    assert response.status_code == 302
    assert client.post(reverse("meetings:convene", args=[meeting.pk])).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CONVENED
    refused = client.post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": ""})
    assert refused.status_code == 400
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Khai mạc" in page


def test_links_to_other_parts_only_when_they_exist(
    meeting: Meeting, people: dict[str, Any], client_for: Any
) -> None:
    from django.urls import NoReverseMatch

    body = client_for(people["member"]).get(reverse("meetings:detail", args=[meeting.pk]))
    assert body.status_code == 200
    for name, label in (("meetings:room", "Meeting room"), ("meetings:minutes", "Minutes")):
        try:
            url = reverse(name, args=[meeting.pk])
        except NoReverseMatch:
            continue
        assert f'href="{url}"' in body.content.decode(), label


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_and_meeting_page_queries_do_not_grow_with_rows(
    tree: dict[str, Any], meeting: Meeting, people: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    from secretariat.meetings.services import agenda

    client = client_for(people["secretary"])
    list_url = reverse("meetings:list")
    detail_url = reverse("meetings:detail", args=[meeting.pk])
    agenda.item_add(actor=people["organizer"], meeting=meeting, title="Một")
    few = (_queries(client, list_url), _queries(client, detail_url))
    for n in range(4):
        make_meeting(
            people["organizer"],
            tree["commune_a"],
            people["chair"],
            people["secretary"],
            title=f"Thêm {n}",
        )
        agenda.item_add(actor=people["organizer"], meeting=meeting, title=f"Mục {n}")
        services.invite_users(
            actor=people["organizer"],
            meeting=meeting,
            users=[make_user(f"extra_{n}", position=(tree["commune_a"], "Ủy viên"))],
        )
    many = (_queries(client, list_url), _queries(client, detail_url))
    assert many == few
