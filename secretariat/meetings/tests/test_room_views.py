"""The room's pages and endpoints through HTTP: the QR screen, check-in with the right and a
wrong code, the JSON answers room.js gets (receipt of a secret ballot, translated errors)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.meetings.models import (
    BallotCast,
    Participant,
    Presence,
    VoteKind,
    VoteMethod,
    VoteState,
)
from secretariat.meetings.services import votes

from .room_factories import make_meeting

FETCH = {"HTTP_X_ROOM": "1"}


@pytest.fixture
def room(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    secretary = make_user("secretary", role=Role.MEETING_SECRETARY, unit=tree["cell_a"])
    chair = make_user("chair", position=(tree["cell_a"], "Bí thư"))
    member = make_user("member", position=(tree["cell_a"], "Đảng viên"))
    meeting = make_meeting(unit=tree["cell_a"], chair=chair, secretary=secretary, members=[member])
    return {"meeting": meeting, "secretary": secretary, "member": member}


def test_room_page_embeds_the_state(room: dict[str, Any], client_for: Any) -> None:
    response = client_for(room["member"]).get(reverse("meetings:room", args=[room["meeting"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="room-state-data"' in body
    assert "Họp Chi bộ tháng 5" in body
    assert "room-open-session" not in body  # no organizer controls for a member


def test_qr_screen_shows_the_checkin_address(room: dict[str, Any], client_for: Any) -> None:
    meeting = room["meeting"]
    response = client_for(room["secretary"]).get(reverse("meetings:qr", args=[meeting.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body
    assert f"http://testserver/meetings/{meeting.pk}/checkin/{meeting.checkin_token}/" in body
    assert (
        client_for(room["member"]).get(reverse("meetings:qr", args=[meeting.pk])).status_code == 403
    )


def test_checkin_with_the_code_and_with_a_wrong_one(room: dict[str, Any], client_for: Any) -> None:
    meeting, member = room["meeting"], room["member"]
    client = client_for(member)
    wrong = reverse("meetings:checkin", args=[meeting.pk, "not-the-code"])
    assert client.get(wrong).status_code == 200  # the page only offers the button
    response = client.post(wrong, **FETCH)
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "message": "This check-in code is not valid for this meeting.",
    }
    assert Participant.objects.get(meeting=meeting, user=member).presence == Presence.ABSENT
    right = reverse("meetings:checkin", args=[meeting.pk, meeting.checkin_token])
    response = client.post(right)
    assert response.status_code == 302
    assert Participant.objects.get(meeting=meeting, user=member).presence == Presence.ROOM


def test_secret_ballot_answers_the_receipt_once(room: dict[str, Any], client_for: Any) -> None:
    meeting, member, secretary = room["meeting"], room["member"], room["secretary"]
    Participant.objects.filter(meeting=meeting).update(presence=Presence.ROOM)
    client = client_for(secretary)
    response = client.post(
        reverse("meetings:room_vote_open", args=[meeting.pk]),
        {"question": "Bầu bí thư?", "kind": VoteKind.RESOLUTION, "method": VoteMethod.SECRET},
        **FETCH,
    )
    assert response.json()["ok"] is True
    vote = meeting.votes.get(state=VoteState.OPEN)
    cast = reverse("meetings:room_vote_cast", args=[meeting.pk, vote.pk])
    voter = client_for(member)
    refused = voter.post(cast, {"choice": "9"}, **FETCH)
    assert refused.status_code == 400
    assert refused.json()["message"] == "This choice is not on the ballot."
    answer = voter.post(cast, {"choice": "1"}, **FETCH).json()
    assert answer["ok"] is True
    assert len(answer["receipt"]) == votes.RECEIPT_LENGTH
    again = voter.post(cast, {"choice": "1"}, **FETCH)
    assert again.status_code == 400
    assert again.json()["message"] == "You have already voted."
    assert BallotCast.objects.filter(vote=vote).count() == 1


def test_ids_of_another_meeting_are_not_found(
    room: dict[str, Any], client_for: Any, tree: dict[str, Any], make_user: Any
) -> None:
    chair = make_user("other_chair", position=(tree["cell_a"], "Bí thư"))
    other = make_meeting(unit=tree["cell_a"], chair=chair, secretary=room["secretary"])
    item = other.items.get(position=1)
    response = client_for(room["secretary"]).post(
        reverse("meetings:room_item", args=[room["meeting"].pk]), {"item": str(item.pk)}
    )
    assert response.status_code == 404
