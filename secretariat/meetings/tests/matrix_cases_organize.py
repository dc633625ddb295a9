"""Permission-matrix cases of the organizing pages of meetings (see
secretariat/api/tests/matrix.py).

Inside: a commune A meeting (chair: the inside target), to which the ordinary member actor and
the specialist actor are invited, with one agenda item, one document in its pack and a private
note of the member's. Outside: the same in commune B, organized by commune B's own leader.
Who may do what:
* organize (edit, convene, cancel, invite, agenda, pack): `meetings.organize` on the unit
  (leaders, meeting secretaries), or being the chair or secretary;
* see the meeting, its pack's titles, its calendar entry: organizers and invitees;
* read the pack's documents, write notes, answer the invitation: invitees only (an organizer
  who is not invited sees titles, not content);
* delete a note: its author.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import NONE, Case, Ctx
from secretariat.documents import services as document_services
from secretariat.documents.tests.factories import text_pdf
from secretariat.meetings.models import Meeting, Participant
from secretariat.meetings.services import agenda, pack
from secretariat.meetings.services import meetings as services
from secretariat.meetings.tests.test_organize import make_meeting

EVERYONE_LOGGED_IN = frozenset({NONE, *[str(r) for r in Role]})
ORGANIZERS = frozenset({Role.LEADER, Role.MEETING_SECRETARY})
INVITEES = frozenset({NONE, Role.SPECIALIST})
SEERS = ORGANIZERS | INVITEES
AUTHOR = frozenset({NONE})

EXEMPT: set[str] = set()


def _document(unit: Any, subject: str) -> Any:
    return document_services.document_capture(
        actor=None,
        unit=unit,
        file=document_services.IncomingFile(
            name="tai-lieu.pdf", data=text_pdf([subject]), content_type="application/pdf"
        ),
        metadata={"subject": subject},
    )


def setup(ctx: Ctx, make_user: Any) -> None:
    for side, unit_name in (("in", "commune_a"), ("out", "commune_b")):
        unit = ctx.units[unit_name]
        organizer = (
            ctx.actors[Role.LEADER]
            if side == "in"
            else make_user("mx_leader_out", role=Role.LEADER, unit=unit)
        )
        secretary = make_user(f"mx_secretary_{side}", position=(unit, "Chánh Văn phòng"))
        meeting = make_meeting(
            organizer,
            unit,
            ctx.targets[side],
            secretary,
            title=f"Hội nghị MATRIX-MEETING-{side.upper()}",
        )
        invitee = make_user(f"mx_invitee_{side}", position=(unit, "Ủy viên"))
        guest = make_user(f"mx_guest_{side}", position=(unit, "Khách"))
        users = [invitee]
        if side == "in":
            users += [ctx.actors[NONE], ctx.actors[Role.SPECIALIST]]
        services.invite_users(actor=organizer, meeting=meeting, users=users)
        item = agenda.item_add(actor=organizer, meeting=meeting, title=f"Nội dung {side}")
        document = _document(unit, f"Tờ trình MATRIX-DOC-{side.upper()}")
        entry = pack.pack_document_add(
            actor=organizer, meeting=meeting, item_id=item.pk, document_id=document.pk
        )
        author = ctx.actors[NONE] if side == "in" else ctx.targets["out"]
        note = pack.annotation_add(
            actor=author, meeting=meeting, item_document_id=entry.pk, page=1, text="Ghi chú"
        )
        ctx.extra[f"meeting_{side}"] = meeting
        ctx.extra[f"item_{side}"] = item
        ctx.extra[f"entry_{side}"] = entry
        ctx.extra[f"note_{side}"] = note
        ctx.extra[f"guest_{side}"] = guest
        ctx.extra[f"secretary_{side}"] = secretary
        ctx.extra[f"invitee_{side}"] = Participant.objects.get(meeting=meeting, user=invitee)
        ctx.extra[f"document2_{side}"] = _document(unit, f"Phụ lục {side}")


def _meeting(c: Ctx, side: str) -> Meeting:
    meeting: Meeting = c.extra[f"meeting_{side}"]
    return meeting


def _page(name: str, *more: str) -> Any:
    """The URL of `name` for the side's meeting, followed by the named extra objects' ids."""
    return lambda c, s: reverse(
        f"meetings:{name}", args=[_meeting(c, s).pk, *[c.extra[f"{m}_{s}"].pk for m in more]]
    )


def _local(value: Any) -> str:
    return str(timezone.localtime(value).strftime("%Y-%m-%dT%H:%M"))


def _meeting_form(c: Ctx, s: str) -> dict[str, str]:
    meeting = _meeting(c, s)
    return {
        "title": "Hội nghị (đã sửa)",
        "starts_at": _local(meeting.starts_at),
        "ends_at": _local(meeting.ends_at),
        "place": "Hội trường B",
        "video_provider": "",
        "chair": str(meeting.chair_id),
        "secretary": str(meeting.secretary_id),
        "body_size": "7",
    }


def _create_form(c: Ctx, s: str) -> dict[str, str]:
    unit = c.units["commune_a" if s == "in" else "commune_b"]
    return {
        **_meeting_form(c, s),
        "unit": str(unit.pk),
        "kind": "committee",
        "title": "Hội nghị mới",
    }


CASES = [
    Case(
        "meetings:list",
        "get",
        lambda c, s: reverse("meetings:list"),
        EVERYONE_LOGGED_IN,
        scoped=False,
    ),
    Case(
        "meetings:ical_feed",
        "get",
        lambda c, s: reverse("meetings:ical_feed"),
        EVERYONE_LOGGED_IN,
        scoped=False,
    ),
    Case(
        "meetings:create",
        "get",
        lambda c, s: reverse("meetings:create"),
        ORGANIZERS,
        scoped=False,
    ),
    Case(
        "meetings:create",
        "post",
        lambda c, s: reverse("meetings:create"),
        ORGANIZERS,
        write=True,
        data=_create_form,
    ),
    Case("meetings:detail", "get", _page("detail"), SEERS),
    Case("meetings:ical", "get", _page("ical"), SEERS),
    Case("meetings:pack", "get", _page("pack"), SEERS),
    Case("meetings:edit", "get", _page("edit"), ORGANIZERS),
    Case("meetings:edit", "post", _page("edit"), ORGANIZERS, write=True, data=_meeting_form),
    Case("meetings:convene", "post", _page("convene"), ORGANIZERS, write=True),
    Case(
        "meetings:cancel",
        "post",
        _page("cancel"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"reason": "Hoãn vì bão"},
    ),
    Case(
        "meetings:invite",
        "post",
        _page("invite"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {
            "users": [str(c.extra[f"guest_{s}"].pk)],
            "role": "guest",
        },
    ),
    Case(
        "meetings:rsvp",
        "post",
        _page("rsvp"),
        INVITEES,
        write=True,
        data=lambda c, s: {"answer": "decline", "reason": "Đi công tác"},
    ),
    Case(
        "meetings:participant_update",
        "post",
        _page("participant_update", "invitee"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"voting": "on", "excluded_reason": "Đang bị kỷ luật"},
    ),
    Case(
        "meetings:participant_withdraw",
        "post",
        _page("participant_withdraw", "invitee"),
        ORGANIZERS,
        write=True,
    ),
    Case(
        "meetings:item_add",
        "post",
        _page("item_add"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"title": "Thảo luận", "planned_minutes": "20"},
    ),
    Case(
        "meetings:agenda_reorder",
        "post",
        _page("agenda_reorder"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"order": [str(c.extra[f"item_{s}"].pk)]},
    ),
    Case("meetings:item_edit", "get", _page("item_edit", "item"), ORGANIZERS),
    Case(
        "meetings:item_edit",
        "post",
        _page("item_edit", "item"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {
            "title": "Nội dung (sửa)",
            "planned_minutes": "25",
            "conclusion": "Thống nhất",
        },
    ),
    Case(
        "meetings:item_move",
        "post",
        _page("item_move", "item"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"direction": "up"},
    ),
    Case("meetings:item_remove", "post", _page("item_remove", "item"), ORGANIZERS, write=True),
    Case(
        "meetings:pack_add",
        "post",
        _page("pack_add", "item"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"document": str(c.extra[f"document2_{s}"].pk)},
    ),
    Case("meetings:pack_remove", "post", _page("pack_remove", "entry"), ORGANIZERS, write=True),
    Case("meetings:pack_document", "get", _page("pack_document", "entry"), INVITEES),
    Case("meetings:pack_pdf", "get", _page("pack_pdf", "entry"), INVITEES),
    Case(
        "meetings:annotation_add",
        "post",
        _page("annotation_add", "entry"),
        INVITEES,
        write=True,
        data=lambda c, s: {"page": "1", "text": "Ý kiến", "shared": "on"},
    ),
    Case(
        "meetings:annotation_delete",
        "post",
        _page("annotation_delete", "entry", "note"),
        AUTHOR,
        write=True,
    ),
]
