"""The room's election form with participants as candidates, and the receipt check."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.meetings.models import Participant, Presence, Vote, VoteKind, VoteMethod
from secretariat.meetings.services import votes

from .room_factories import make_meeting

pytestmark = pytest.mark.django_db
FETCH = {"HTTP_X_ROOM": "1"}


@pytest.fixture
def room(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    secretary = make_user("x_secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("x_chair", position=(tree["cell_a"], "Bí thư"))
    members = []
    for i, name in enumerate(["Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]):
        member = make_user(f"x_member{i}", position=(tree["cell_a"], "Đảng viên"))
        member.full_name = name
        member.save(update_fields=["full_name"])
        members.append(member)
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=members)
    Participant.objects.filter(meeting=meeting).update(presence=Presence.ROOM)
    return {"meeting": meeting, "secretary": secretary, "chair": chair, "members": members}


def _election(client: Any, meeting: Any, **data: Any) -> Any:
    return client.post(
        reverse("meetings:room_vote_open", args=[meeting.pk]),
        {"question": "Bầu chi ủy", "kind": VoteKind.ELECTION, "method": VoteMethod.SECRET} | data,
        **FETCH,
    )


def test_organizer_picks_participants_and_types_names(
    room: dict[str, Any], client_for: Any
) -> None:
    meeting, members = room["meeting"], room["members"]
    client = client_for(room["secretary"])
    page = client.get(reverse("meetings:room", args=[meeting.pk])).content.decode()
    assert 'name="candidate_participants"' in page
    assert "Trần Thị Bình" in page
    picked = Participant.objects.filter(meeting=meeting, user__in=members[:2])
    response = _election(
        client,
        meeting,
        seats="3",
        candidate_participants=[str(p.pk) for p in picked],
        candidates="Hoàng Văn Em\n",
    )
    assert response.json()["ok"] is True, response.json()
    vote = Vote.objects.get(meeting=meeting)
    options = list(vote.options.order_by("position"))
    assert {o.candidate for o in options if o.candidate} == set(members[:2])
    assert [o.label for o in options if o.candidate is None] == ["Hoàng Văn Em"]
    # A member sees no candidate list (no organizer controls).
    member_page = client_for(members[2]).get(reverse("meetings:room", args=[meeting.pk]))
    assert 'name="candidate_participants"' not in member_page.content.decode()


def test_candidates_from_elsewhere_are_refused(
    room: dict[str, Any], client_for: Any, tree: dict[str, Any], make_user: Any
) -> None:
    meeting = room["meeting"]
    other_chair = make_user("x_other_chair", position=(tree["cell_a"], "Bí thư"))
    other = make_meeting(unit=tree["cell_a"], chair=other_chair, secretary=room["secretary"])
    stranger = Participant.objects.get(meeting=other, user=other_chair)
    client = client_for(room["secretary"])
    for bad in (str(stranger.pk), "not-an-id"):
        response = _election(client, meeting, seats="1", candidate_participants=[bad])
        assert response.status_code == 400
        assert "participants" in response.json()["message"]
    # The same person picked and typed twice is one candidate listed twice: refused.
    chair = Participant.objects.get(meeting=meeting, user=room["chair"])
    twice = _election(client, meeting, seats="1", candidate_participants=[str(chair.pk)] * 2)
    assert twice.status_code == 400
    assert not Vote.objects.filter(meeting=meeting).exists()


def test_receipt_check_after_the_close(room: dict[str, Any], client_for: Any) -> None:
    meeting, secretary, members = room["meeting"], room["secretary"], room["members"]
    vote = votes.create_vote(
        actor=secretary,
        meeting=meeting,
        kind=VoteKind.RESOLUTION,
        method=VoteMethod.SECRET,
        question="Thông qua nghị quyết?",
    )
    votes.open_vote(actor=secretary, vote=vote)
    receipt = votes.cast(actor=members[0], vote=vote, choices=[1]).receipt
    assert receipt
    client = client_for(members[1])
    url = reverse("meetings:room_receipt", args=[meeting.pk])
    # Before the close: not yet listed.
    early = client.get(url, {"code": receipt}, **FETCH).json()
    assert early["ok"] is True
    assert early["counted"] is False
    votes.close_vote(actor=secretary, vote=vote)
    typed = f" {receipt[:5].lower()}-{receipt[5:]} "  # spaces, dash, lower case: normalized
    answer = client.get(url, {"code": typed}, **FETCH).json()
    assert answer["counted"] is True
    assert answer["message"].startswith("Counted")
    assert "Thông qua nghị quyết?" in answer["message"]
    wrong = client.get(url, {"code": "ZZZZZZZZZZ"}, **FETCH).json()
    assert wrong["counted"] is False
    assert wrong["message"].startswith("Not found")
    empty = client.get(url, {"code": "  "}, **FETCH)
    assert empty.status_code == 400
    # Without JavaScript: a page with the answer.
    page = client.get(url, {"code": receipt})
    assert page.status_code == 200
    assert "Counted" in page.content.decode()
    room_page = client.get(reverse("meetings:room", args=[meeting.pk])).content.decode()
    assert 'id="room-receipt-form"' in room_page
