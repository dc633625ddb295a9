"""The minutes of a meeting (DOMAIN.md §6): drafted from the record, edited by the organizers,
rendered to PDF and registered in the document store, then signed by the secretary and then by
the chair through the signing capability.

States: DRAFT (the text is edited) → FINAL (rendered, registered as a document of the convening
unit, type "Biên bản"; waiting for signatures) → SIGNED (both signatures on the document).
An organizer may reopen FINAL minutes before the chair has signed: the text becomes editable
again and the next rendering is a new version of the same document, to be signed anew.

Signatures follow an outgoing document's personal signature (office/services/
outgoing_signatures.py), through the signing app's own services: a key the server holds for
the signer (HSM; sealed PKCS#12 in the demo), a fresh confirmation of the signer's second
factor, a visible stamp in the signer's box of the last page, the signed PDF kept as the
document's next version with its validation report. Signing is slow and runs outside any
transaction; the state, the turn and the version are checked again under the row lock after.
A signer whose key is on a USB token signs through the workstation agent instead
(`minutes_sign_session`, `MinutesSignatureHandler`), as for an outgoing document.

The minutes are an official Vietnamese document: their text is written in Vietnamese whatever
the language of the person who drafts them (like the signature stamp, `signing.appearance`).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.audit.services import record
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.documents import services as documents
from secretariat.documents import storage
from secretariat.documents.models import Document, DocumentType, DocumentVersion
from secretariat.office.services import outgoing_signatures
from secretariat.signing import appearance, pki, sessions
from secretariat.signing import services as signing
from secretariat.signing.models import CredentialPurpose, KeyBackend, SessionMode, SigningSession

from .. import access, minutes_pdf, rules
from .. import selectors_room as room
from ..models import (
    Base,
    Meeting,
    MeetingKind,
    MeetingState,
    Minutes,
    MinutesState,
    NamedChoice,
    Participant,
    Presence,
    Rsvp,
    TallyCount,
    Threshold,
    Vote,
    VoteKind,
    VoteMethod,
    VoteState,
)

AUDIT_LABELS: dict[str, Promise] = {
    "meetings.minutes_drafted": _("Minutes drafted from the meeting's record"),
    "meetings.minutes_edited": _("Minutes edited"),
    "meetings.minutes_finalized": _("Minutes rendered and registered"),
    "meetings.minutes_reopened": _("Minutes reopened for editing"),
    "meetings.minutes_signed": _("Minutes signed"),
    # Recorded by video.py: joining the meeting's video room.
    "meetings.video_joined": _("Joined the video room"),
}

MAX_TEXT = 100_000
DOCUMENT_TYPE = "bien_ban"
# Meetings whose record can be written up: held, or being held.
RECORDED_STATES = frozenset({MeetingState.IN_SESSION, MeetingState.CLOSED})

# --- The document's Vietnamese wording --------------------------------------------------------

KIND_VI: dict[str, str] = {
    MeetingKind.COMMITTEE: "Hội nghị Ban Chấp hành",
    MeetingKind.STANDING_COMMITTEE: "Hội nghị Ban Thường vụ",
    MeetingKind.CELL: "Sinh hoạt chi bộ",
    MeetingKind.CONFERENCE: "Hội nghị",
}
BASE_VI: dict[str, str] = {
    Base.MEMBERS: "tổng số thành viên của cơ quan",
    Base.SUMMONED: "tổng số người được triệu tập",
    Base.SUMMONED_NOT_EXCLUDED: "tổng số người được triệu tập, trừ số không tính theo quy định",
    Base.PRESENT: "số thành viên có mặt",
}
THRESHOLD_VI: dict[str, str] = {
    Threshold.MORE_THAN_HALF: "quá nửa",
    Threshold.TWO_THIRDS: "ít nhất hai phần ba",
}
METHOD_VI: dict[str, str] = {
    VoteMethod.SHOW_OF_HANDS: "biểu quyết giơ tay",
    VoteMethod.NAMED: "biểu quyết điện tử ghi danh",
    VoteMethod.SECRET: "bỏ phiếu kín",
}
KIND_OF_VOTE_VI: dict[str, str] = {
    VoteKind.RESOLUTION: "Biểu quyết nghị quyết",
    VoteKind.ELECTION: "Bầu cử",
    VoteKind.PROCEDURAL: "Biểu quyết vấn đề thủ tục",
}
# Options of a resolution or procedural point, by position (services.votes: 1 for, 2 against,
# 3 abstain).
RESOLUTION_OPTIONS_VI = {1: "Tán thành", 2: "Không tán thành", 3: "Không biểu quyết"}
SECRETARY_TITLE = "THƯ KÝ"
CHAIR_TITLE = "CHỦ TRÌ"
SECRETARY_STAMP_TITLE = "Thư ký hội nghị"
CHAIR_STAMP_TITLE = "Chủ trì hội nghị"


# --- Counting ---------------------------------------------------------------------------------


def option_counts(vote: Vote) -> list[tuple[str, int, bool]]:
    """(label, votes, elected) per option of a closed vote, from the result computed at the
    close (`services.votes`); recounted from the record for a result without them. The options
    of a resolution are named in Vietnamese (the labels were written in the language of the
    organizer who created the vote)."""
    stored = vote.result.get("options") if isinstance(vote.result, dict) else None
    rows: list[tuple[int, str, int, bool]]
    if isinstance(stored, list) and stored:
        rows = [
            (
                int(o.get("position", 0) or 0),
                str(o.get("label", "")),
                int(o.get("votes", 0) or 0),
                bool(o.get("elected")),
            )
            for o in stored
        ]
    else:
        options = list(vote.options.order_by("position"))
        if vote.method == VoteMethod.SHOW_OF_HANDS:
            counted = {o.pk: o.hands or 0 for o in options}
        elif vote.method == VoteMethod.NAMED:
            counted = {o.pk: 0 for o in options}
            for option_id in NamedChoice.objects.filter(vote=vote).values_list(
                "option_id", flat=True
            ):
                counted[option_id] = counted.get(option_id, 0) + 1
        else:
            tally = dict(TallyCount.objects.filter(vote=vote).values_list("key", "count"))
            counted = {o.pk: int(tally.get(str(o.position), 0)) for o in options}
        rows = [(o.position, o.label, counted.get(o.pk, 0), False) for o in options]
    if vote.kind != VoteKind.ELECTION:
        rows = [(p, RESOLUTION_OPTIONS_VI.get(p, label), n, e) for p, label, n, e in rows]
    return [(label, n, elected) for _p, label, n, elected in rows]


def _result_int(result: dict[str, Any], key: str) -> int | None:
    value = result.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


# --- The draft --------------------------------------------------------------------------------


def _name(user: Any) -> str:
    if user is None:
        return ""
    return unicodedata.normalize("NFC", str(user.full_name or user.username).strip())


def _local(moment: Any) -> Any:
    return timezone.localtime(moment)


def _when(moment: Any) -> str:
    local = _local(moment)
    return (
        f"{local.hour:02d} giờ {local.minute:02d}, ngày {local.day:02d} tháng "
        f"{local.month:02d} năm {local.year}"
    )


def _names(participants: list[Participant]) -> str:
    return ", ".join(_name(p.user) for p in participants) or "không có"


def _vote_lines(index: int, vote: Vote) -> list[str]:
    counts = option_counts(vote)
    result = vote.result if isinstance(vote.result, dict) else {}
    size = _result_int(result, "base_size")
    if size is None:
        size = rules.base_size(vote.base, room.counts(vote.meeting))
    needed = _result_int(result, "required") or rules.required(size, vote.threshold)
    lines = [
        f"{index}. {KIND_OF_VOTE_VI.get(vote.kind, vote.kind)}: {vote.question.strip()}",
        f"- Hình thức: {METHOD_VI.get(vote.method, vote.method)}.",
        "- Cơ sở tính: "
        f"{BASE_VI.get(vote.base, vote.base)} ({size}); ngưỡng áp dụng: "
        f"{THRESHOLD_VI.get(vote.threshold, vote.threshold)} (cần ít nhất {needed}).",
    ]
    ballots = _result_int(result, "ballots")
    if ballots is not None and vote.method != VoteMethod.SHOW_OF_HANDS:
        lines.append(f"- Số phiếu: {ballots}.")
    if vote.kind == VoteKind.ELECTION:
        lines.append(f"- Số người cần bầu: {vote.seats}.")
        for label, count, elected in counts:
            mark = "trúng cử" if elected else "không trúng cử"
            lines.append(f"- {label}: {count} phiếu — {mark}.")
        blank = _result_int(result, "blank")
        if blank:
            lines.append(f"- Phiếu trắng: {blank}.")
        winners = ", ".join(label for label, _count, elected in counts if elected)
        lines.append(f"- Kết quả: trúng cử: {winners or 'không có ai'}.")
        if result.get("tie"):
            lines.append("- Có người bằng phiếu ở vị trí cuối: bầu lại cho số ghế còn lại.")
        return lines
    for label, count, _elected in counts:
        lines.append(f"- {label}: {count}.")
    passed = result.get("passed")
    if not isinstance(passed, bool):
        passed = bool(counts) and rules.meets(counts[0][1], size, vote.threshold)
    lines.append(f"- Kết quả: {'thông qua' if passed else 'không thông qua'}.")
    return lines


def draft_text(meeting: Meeting) -> str:
    """The minutes drafted from the record: time and place, who was summoned, excluded,
    present (in the room or remote) and absent with their reasons, the quorum under the
    meeting's rule, each agenda item with its presenter and conclusion, each closed vote with
    its method, counts, base, threshold and outcome, the chair and the secretary."""
    participants = list(
        Participant.objects.filter(meeting=meeting)
        .select_related("user")
        .order_by("user__full_name", "user__username")
    )
    voting = [p for p in participants if p.voting]
    guests = [p for p in participants if not p.voting]
    excluded = [p for p in voting if p.excluded_reason.strip()]
    # Attended: checked in at some point (someone who left early attended; see below).
    in_room = [p for p in participants if p.presence == Presence.ROOM]
    remote = [p for p in participants if p.presence == Presence.REMOTE]
    left = [p for p in participants if p.presence != Presence.ABSENT and p.left_at is not None]
    absent = [p for p in voting if p.presence == Presence.ABSENT]
    quorum = room.quorum_now(meeting)

    if meeting.place and meeting.video_provider:
        where = f"{meeting.place}; kết hợp trực tuyến ({meeting.get_video_provider_display()})"
    elif meeting.video_provider:
        where = f"trực tuyến ({meeting.get_video_provider_display()})"
    else:
        where = meeting.place or "không ghi"
    lines = [
        "I. THỜI GIAN, ĐỊA ĐIỂM",
        f"- Thời gian: bắt đầu lúc {_when(meeting.opened_at or meeting.starts_at)}.",
        f"- Địa điểm: {where}.",
        "",
        "II. THÀNH PHẦN",
        f"- {KIND_VI.get(meeting.kind, meeting.kind)} của {meeting.unit.name}.",
        f"- Chủ trì: {_name(meeting.chair)}. Thư ký: {_name(meeting.secretary)}.",
        f"- Số thành viên của cơ quan: {meeting.body_size}. "
        f"Số người được triệu tập: {len(voting)}.",
    ]
    if excluded:
        lines.append(f"- Không tính vào cơ sở theo quy định: {len(excluded)}:")
        lines += [f"- {_name(p.user)}: {p.excluded_reason.strip()}." for p in excluded]
    lines.append(
        f"- Có mặt: {len(in_room) + len(remote)} "
        f"(tại hội trường: {len(in_room)}; trực tuyến: {len(remote)})."
    )
    if in_room:
        lines.append(f"- Có mặt tại hội trường: {_names(in_room)}.")
    if remote:
        lines.append(f"- Tham dự trực tuyến: {_names(remote)}.")
    for p in left:
        assert p.left_at is not None
        lines.append(f"- {_name(p.user)}: rời hội nghị lúc {_when(p.left_at)}.")
    lines.append(f"- Vắng mặt: {len(absent)}.")
    for p in absent:
        if p.rsvp == Rsvp.DECLINED and p.rsvp_reason.strip():
            lines.append(f"- {_name(p.user)}: vắng có lý do ({p.rsvp_reason.strip()}).")
        elif p.rsvp == Rsvp.DECLINED:
            lines.append(f"- {_name(p.user)}: vắng có báo trước.")
        else:
            lines.append(f"- {_name(p.user)}: vắng không có lý do.")
    if guests:
        lines.append(f"- Khách mời: {_names(guests)}.")
    lines.append(
        f"- Số lượng tham dự: {quorum.present}/{quorum.base_size} "
        f"({BASE_VI.get(meeting.quorum_base, '')}); quy định: "
        f"{THRESHOLD_VI.get(meeting.quorum_threshold, '')} (cần ít nhất {quorum.required}) — "
        f"{'đủ' if quorum.met else 'không đủ'} số lượng theo quy định."
    )
    lines += ["", "III. NỘI DUNG"]
    items = list(meeting.items.select_related("presenter").order_by("position"))
    for index, item in enumerate(items, 1):
        presenter = _name(item.presenter) or item.presenter_name.strip()
        heading = f"{index}. {item.title.strip()}"
        lines.append(f"{heading} — trình bày: {presenter}." if presenter else f"{heading}.")
        if item.conclusion.strip():
            lines.append(f"- Kết luận: {item.conclusion.strip()}")
    if not items:
        lines.append("- (Không có nội dung trong chương trình.)")
    votes = list(
        Vote.objects.filter(meeting=meeting, state=VoteState.CLOSED)
        .select_related("meeting")
        .order_by("closed_at", "created_at")
    )
    if votes:
        lines += ["", "IV. BIỂU QUYẾT"]
        for index, vote in enumerate(votes, 1):
            lines += _vote_lines(index, vote)
    closing = "V. KẾT THÚC" if votes else "IV. KẾT THÚC"
    lines += ["", closing]
    if meeting.closed_at:
        lines.append(f"- Hội nghị kết thúc lúc {_when(meeting.closed_at)}.")
    else:
        lines.append("- Hội nghị kết thúc lúc … giờ … .")
    lines.append("- Biên bản được lập điện tử, có chữ ký số của thư ký và chủ trì hội nghị.")
    return unicodedata.normalize("NFC", "\n".join(lines))


# --- Helpers ----------------------------------------------------------------------------------


def _lock(meeting: Meeting) -> Minutes:
    minutes = for_update(Minutes.objects).filter(meeting=meeting).first()
    if minutes is None:
        raise NotFound(_("The minutes of this meeting have not been drafted yet."))
    return minutes


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _snapshot(minutes: Minutes) -> dict[str, Any]:
    return {
        "state": minutes.state,
        "text_sha256": _digest(minutes.text),
        "document": str(minutes.document_id or ""),
        "signed_by_secretary_at": minutes.signed_by_secretary_at.isoformat()
        if minutes.signed_by_secretary_at
        else None,
        "signed_by_chair_at": minutes.signed_by_chair_at.isoformat()
        if minutes.signed_by_chair_at
        else None,
    }


def _record(
    *, actor: Any, action: str, minutes: Minutes, before: Any, data: dict[str, Any] | None = None
) -> None:
    record(
        actor=actor,
        action=action,
        unit=minutes.meeting.unit,
        obj=minutes,
        before=before,
        after=_snapshot(minutes),
        data={"meeting": str(minutes.meeting_id), **(data or {})},
    )


def _require_state(minutes: Minutes, states: set[str], message: Any) -> None:
    if minutes.state not in states:
        raise Conflict(message)


def _clean_text(text: str) -> str:
    cleaned = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n")).strip()
    if not cleaned:
        message = _("The minutes cannot be empty.")
        raise ValidationFailed(message, field_errors={"text": [message]})
    if len(cleaned) > MAX_TEXT:
        too_long = _("The minutes are too long (at most %(max)d characters).") % {"max": MAX_TEXT}
        raise ValidationFailed(too_long, field_errors={"text": [too_long]})
    return cleaned


def minutes_of(meeting: Meeting) -> Minutes | None:
    return Minutes.objects.filter(meeting=meeting).select_related("document").first()


def current_version(minutes: Minutes) -> DocumentVersion | None:
    if minutes.document_id is None:
        return None
    return (
        DocumentVersion.objects.filter(document_id=minutes.document_id).order_by("-number").first()
    )


def current_pdf(minutes: Minutes) -> bytes:
    version = current_version(minutes)
    if version is None:
        raise Conflict(_("The minutes have not been rendered yet."))
    return storage.open_plaintext(version.pdf or version.original)


# --- Services ---------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def minutes_draft(*, actor: Any, meeting: Meeting) -> Minutes:
    """Draft the minutes from the meeting's record (again, while they are a draft: the text is
    replaced by a fresh draft)."""
    access.require_organizer(actor, meeting)
    locked_meeting = for_update(Meeting.objects).select_related("unit").get(pk=meeting.pk)
    if locked_meeting.state not in RECORDED_STATES:
        raise Conflict(_("Minutes are drafted once the meeting has opened."))
    text = draft_text(locked_meeting)
    minutes = for_update(Minutes.objects).filter(meeting=locked_meeting).first()
    before = _snapshot(minutes) if minutes is not None else None
    if minutes is None:
        minutes = Minutes.objects.create(meeting=locked_meeting, text=text, edited_by=actor)
    else:
        _require_state(
            minutes,
            {MinutesState.DRAFT},
            _("Only a draft can be drafted again; reopen the minutes first."),
        )
        minutes.text = text
        minutes.edited_by = actor
        minutes.save(update_fields=["text", "edited_by", "updated_at"])
    minutes.meeting = locked_meeting
    _record(actor=actor, action="meetings.minutes_drafted", minutes=minutes, before=before)
    return minutes


@transaction.atomic(durable=True)
def minutes_edit(*, actor: Any, meeting: Meeting, text: str) -> Minutes:
    """The organizers' edit of the draft."""
    access.require_organizer(actor, meeting)
    cleaned = _clean_text(text)
    minutes = _lock(meeting)
    _require_state(minutes, {MinutesState.DRAFT}, _("Only draft minutes can be edited."))
    before = _snapshot(minutes)
    minutes.text = cleaned
    minutes.edited_by = actor
    minutes.save(update_fields=["text", "edited_by", "updated_at"])
    _record(actor=actor, action="meetings.minutes_edited", minutes=minutes, before=before)
    return minutes


def layout(minutes: Minutes) -> minutes_pdf.Layout:
    """What the PDF of `minutes` prints."""
    meeting = minutes.meeting
    unit = meeting.unit
    parent: Any = type(unit).objects.get_parent(unit)
    type_name = (
        DocumentType.objects.filter(code=DOCUMENT_TYPE).values_list("name", flat=True).first()
        or "Biên bản"
    )
    return minutes_pdf.Layout(
        parent_body=parent.name if parent is not None else "",
        body=unit.name,
        date_line=minutes_pdf.date_line(_local(meeting.starts_at).date()),
        title=type_name,
        subject=f"{KIND_VI.get(meeting.kind, meeting.kind)}: {meeting.title}",
        text=minutes.text,
        secretary_title=SECRETARY_TITLE,
        secretary_name=_name(meeting.secretary),
        chair_title=CHAIR_TITLE,
        chair_name=_name(meeting.chair),
    )


def preview_pdf(*, user: Any, meeting: Meeting) -> bytes:
    """The current text rendered, not registered (the draft's preview for the organizers)."""
    access.require_organizer(user, meeting)
    minutes = minutes_of(meeting)
    if minutes is None:
        raise NotFound(_("The minutes of this meeting have not been drafted yet."))
    return minutes_pdf.render(layout(minutes))


def _metadata(minutes: Minutes) -> dict[str, Any]:
    meeting = minutes.meeting
    return {
        "subject": f"Biên bản {KIND_VI.get(meeting.kind, '').lower()}: {meeting.title}"[:1000],
        "doc_type": DOCUMENT_TYPE
        if DocumentType.objects.filter(code=DOCUMENT_TYPE).exists()
        else None,
        "issuing_body": meeting.unit.name[:255],
        "issued_on": _local(meeting.starts_at).date(),
    }


def _file_name(meeting: Meeting) -> str:
    return f"bien-ban-{_local(meeting.starts_at):%Y-%m-%d}-{str(meeting.pk)[:8]}.pdf"


def minutes_finalize(*, actor: Any, meeting: Meeting) -> Minutes:
    """Render the draft to PDF and register it in the document store as a document of the
    convening unit (type "Biên bản"), ready to be signed. When the minutes were reopened, the
    new rendering is the next version of the same document."""
    access.require_organizer(actor, meeting)
    minutes = minutes_of(meeting)
    if minutes is None:
        raise NotFound(_("The minutes of this meeting have not been drafted yet."))
    _require_state(minutes, {MinutesState.DRAFT}, _("Only draft minutes can be finalized."))
    text_digest = _digest(minutes.text)
    pdf = minutes_pdf.render(layout(minutes))
    incoming = documents.IncomingFile(
        name=_file_name(meeting), data=pdf, content_type="application/pdf"
    )
    metadata = documents.clean_metadata(
        {k: v for k, v in _metadata(minutes).items() if v is not None}
    )
    version_number: int | None = None
    if minutes.document_id is not None:
        # A reopened draft: the new rendering is the next version of the registered document
        # (written by the documents app's own service as the system; the event below names
        # the organizer).
        version = documents.document_add_version(
            actor=None,
            document=Document.objects.get(pk=minutes.document_id),
            file=incoming,
            run_ocr="background",
        )
        version_number = version.number
        prepared = None
    else:
        prepared = documents.capture_prepare([incoming])
    with transaction.atomic(durable=True):
        locked = _lock(meeting)
        _require_state(locked, {MinutesState.DRAFT}, _("Only draft minutes can be finalized."))
        if _digest(locked.text) != text_digest:
            raise Conflict(_("The minutes changed while they were being rendered. Try again."))
        before = _snapshot(locked)
        if prepared is not None:
            (document,) = documents.documents_capture_prepared_nondurable(
                actor=actor, unit=meeting.unit, prepared=prepared, metadata=metadata
            )
            locked.document = document
            version_number = 1
        locked.state = MinutesState.FINAL
        locked.signed_by_secretary_at = None
        locked.signed_by_chair_at = None
        locked.save(
            update_fields=[
                "document",
                "state",
                "signed_by_secretary_at",
                "signed_by_chair_at",
                "updated_at",
            ]
        )
        _record(
            actor=actor,
            action="meetings.minutes_finalized",
            minutes=locked,
            before=before,
            data={"document": str(locked.document_id), "version": version_number},
        )
    return locked


@transaction.atomic(durable=True)
def minutes_reopen(*, actor: Any, meeting: Meeting) -> Minutes:
    """Back to a draft, before the chair has signed (a signature of the secretary on the old
    rendering no longer counts: the next rendering is signed anew)."""
    access.require_organizer(actor, meeting)
    minutes = _lock(meeting)
    _require_state(
        minutes,
        {MinutesState.FINAL},
        _("Only minutes waiting for signatures can be reopened; signed minutes are final."),
    )
    before = _snapshot(minutes)
    minutes.state = MinutesState.DRAFT
    minutes.signed_by_secretary_at = None
    minutes.save(update_fields=["state", "signed_by_secretary_at", "updated_at"])
    _record(actor=actor, action="meetings.minutes_reopened", minutes=minutes, before=before)
    return minutes


# --- Signatures -------------------------------------------------------------------------------


def next_signer(minutes: Minutes) -> str | None:
    """ "secretary", then "chair", then None (signed, or not ready)."""
    if minutes.state != MinutesState.FINAL:
        return None
    return "secretary" if minutes.signed_by_secretary_at is None else "chair"


def _require_turn(actor: Any, minutes: Minutes) -> str:
    meeting = minutes.meeting
    turn = next_signer(minutes)
    if turn is None:
        if minutes.state == MinutesState.SIGNED:
            raise Conflict(_("The minutes are already signed."))
        raise Conflict(_("Finalize the minutes before signing them."))
    signer_id = meeting.secretary_id if turn == "secretary" else meeting.chair_id
    if getattr(actor, "pk", None) == signer_id:
        return turn
    if turn == "secretary" and getattr(actor, "pk", None) == meeting.chair_id:
        raise Conflict(_("The secretary signs the minutes first, then the chair."))
    raise PermissionDenied(_("Only the meeting's secretary and then its chair sign the minutes."))


# The same step-up and the same answer to "how does this user sign" as an outgoing document's
# personal signature.
confirm_second_factor = outgoing_signatures.confirm_second_factor
signing_mode = outgoing_signatures.signing_mode


def _stamp(minutes: Minutes, credential: Any, actor: Any, turn: str) -> appearance.Stamp:
    box = minutes_pdf.SECRETARY_BOX if turn == "secretary" else minutes_pdf.CHAIR_BOX
    return appearance.Stamp(
        signer_name=_name(actor),
        title=SECRETARY_STAMP_TITLE if turn == "secretary" else CHAIR_STAMP_TITLE,
        unit=minutes.meeting.unit.name,
        signed_at=clock.now(),
        signature_image=bytes(credential.image) if credential.image else None,
        verify_url=f"{settings.PUBLIC_URL.rstrip('/')}/signing/verify",
        page=-1,
        box=box,
    )


def minutes_sign(*, actor: Any, meeting: Meeting, confirmation: str) -> Minutes:
    """The secretary's, then the chair's personal signature of the registered minutes, with a
    key the server holds, after a fresh confirmation of the signer's second factor."""
    if not access.may_see(actor, meeting):
        raise NotFound(_("No such meeting, or it is not open to you."))
    minutes = minutes_of(meeting)
    if minutes is None:
        raise NotFound(_("The minutes of this meeting have not been drafted yet."))
    minutes.meeting = meeting
    turn = _require_turn(actor, minutes)
    credential = pki.current_credential(purpose=CredentialPurpose.PERSONAL, user=actor)
    if credential is None:
        raise Conflict(
            _("You have no valid signing certificate. Ask your administrator to issue one.")
        )
    if credential.backend == KeyBackend.WORKSTATION:
        raise Conflict(
            _("Your key is on your USB token: sign with the signing agent on your computer.")
        )
    confirm_second_factor(actor, confirmation)
    version = current_version(minutes)
    if version is None:
        raise Conflict(_("The minutes have not been rendered yet."))
    signed = signing.sign(
        actor=actor,
        credential=credential,
        pdf=storage.open_plaintext(version.pdf or version.original),
        stamp=_stamp(minutes, credential, actor, turn),
        reason=_reason(turn),
        location=meeting.unit.name,
    )
    with transaction.atomic(durable=True):
        locked = _lock(meeting)
        locked.meeting = meeting
        if _require_turn(actor, locked) != turn or (
            (current := current_version(locked)) is None or current.pk != version.pk
        ):
            raise Conflict(_("The minutes changed while they were being signed. Open them again."))
        _mark_signed(
            actor=actor,
            locked=locked,
            turn=turn,
            document=Document.objects.get(pk=version.document_id),
            pdf=signed.pdf,
            details={k: str(v) for k, v in signed.details.items() if k != "credential"},
        )
    return locked


def _mark_signed(
    *,
    actor: Any,
    locked: Minutes,
    turn: str,
    document: Document,
    pdf: bytes,
    details: dict[str, str],
) -> DocumentVersion:
    """Inside the signing transaction, `locked` under its row lock and checked: keep the signed
    PDF as the document's next version (validated by the documents app), mark the signer, record
    the event. The chair's signature makes the minutes SIGNED."""
    before = _snapshot(locked)
    new_version = documents.document_add_signed_version(
        actor=actor, document=document, pdf=pdf, note=f"minutes: {turn}'s signature"
    )
    now = clock.now()
    if turn == "secretary":
        locked.signed_by_secretary_at = now
    else:
        locked.signed_by_chair_at = now
        locked.state = MinutesState.SIGNED
        documents.document_record_signer(
            document=document, name=_name(actor), title=CHAIR_STAMP_TITLE
        )
    locked.save(
        update_fields=["signed_by_secretary_at", "signed_by_chair_at", "state", "updated_at"]
    )
    _record(
        actor=actor,
        action="meetings.minutes_signed",
        minutes=locked,
        before=before,
        data={
            "as": turn,
            "version": new_version.number,
            "validation": str((new_version.signature_check or {}).get("status") or ""),
            **details,
        },
    )
    return new_version


# --- Signatures with the workstation agent (a USB token) --------------------------------------

PURPOSE_SIGNATURE = "meetings.minutes.signature"


def _subject_id(minutes: Minutes, turn: str, version: DocumentVersion) -> str:
    """What a session signs: these minutes, for this signer's turn, at this version of their
    document (a reopened and re-rendered text is a new version: the session no longer holds)."""
    return f"{minutes.pk}:{turn}:{version.number}"


def _reason(turn: str) -> str:
    return str(
        _("Signed as the meeting's secretary")
        if turn == "secretary"
        else _("Signed as the meeting's chair")
    )


def minutes_sign_session(
    *, actor: Any, meeting: Meeting, mode: str = SessionMode.PDF
) -> tuple[SigningSession, str]:
    """Open a one-time session of the workstation agent for the signer whose turn it is (the
    secretary, then the chair) on the current version of the registered minutes. Returns the
    session and its secret token (for the URLs handed to the agent; never stored). In the digest
    mode the server builds the signature, its visible stamp in the signer's box; in the PDF mode
    the agent signs the file as the token's own tool does (as for an outgoing document)."""
    if not access.may_see(actor, meeting):
        raise NotFound(_("No such meeting, or it is not open to you."))
    minutes = minutes_of(meeting)
    if minutes is None:
        raise NotFound(_("The minutes of this meeting have not been drafted yet."))
    minutes.meeting = meeting
    turn = _require_turn(actor, minutes)
    credential = pki.current_credential(purpose=CredentialPurpose.PERSONAL, user=actor)
    if credential is None:
        raise Conflict(
            _(
                "Your token's certificate is not registered. Ask your administrator to register "
                "it before signing."
            )
        )
    version = current_version(minutes)
    if version is None:
        raise Conflict(_("The minutes have not been rendered yet."))
    return sessions.open_session(
        actor=actor,
        purpose=PURPOSE_SIGNATURE,
        subject_id=_subject_id(minutes, turn, version),
        pdf=storage.open_plaintext(version.pdf or version.original),
        file_name=_file_name(meeting),
        mode=mode,
        stamp=_stamp(minutes, credential, actor, turn) if mode == SessionMode.DIGEST else None,
    )


class MinutesSignatureHandler:
    """The meetings' side of the agent's sessions for the minutes' signatures
    (`signing.hooks.SessionHandler`, registered in `apps.py`)."""

    def _parse(self, subject_id: str) -> tuple[Minutes, str, int]:
        minutes_id, turn, number = [*subject_id.split(":"), "", "", ""][:3]
        try:
            key = uuid.UUID(minutes_id)
        except ValueError:
            key = None
        minutes = (
            Minutes.objects.filter(pk=key).select_related("meeting__unit").first()
            if key is not None
            else None
        )
        if minutes is None or turn not in ("secretary", "chair") or not number.isdigit():
            raise NotFound(_("These minutes no longer exist."))
        return minutes, turn, int(number)

    def _check(self, user: Any, minutes: Minutes, turn: str, number: int) -> DocumentVersion:
        if not access.may_see(user, minutes.meeting):
            raise NotFound(_("No such meeting, or it is not open to you."))
        if next_signer(minutes) != turn:
            # Signed meanwhile (by the server-side path or another session), or reopened.
            raise Conflict(
                _("The minutes changed since the signature was started. Start it again.")
            )
        _require_turn(user, minutes)
        version = current_version(minutes)
        if version is None or version.number != number:
            raise Conflict(
                _("The minutes changed since the signature was started. Start it again.")
            )
        return version

    def authorize(self, *, user: Any, subject_id: str) -> None:
        minutes, turn, number = self._parse(subject_id)
        self._check(user, minutes, turn, number)

    def completed(
        self, *, user: Any, session: SigningSession, signed_pdf: bytes, report: Any
    ) -> dict[str, Any]:
        minutes, turn, number = self._parse(session.subject_id)
        meeting = minutes.meeting
        locked = _lock(meeting)
        locked.meeting = meeting
        version = self._check(user, locked, turn, number)
        new_version = _mark_signed(
            actor=user,
            locked=locked,
            turn=turn,
            document=Document.objects.get(pk=version.document_id),
            pdf=signed_pdf,
            details={"method": "agent", "session": str(session.pk), "mode": session.mode},
        )
        return {"state": locked.state, "version": new_version.number}


minutes_signature_handler = MinutesSignatureHandler()


def signature_report(minutes: Minutes) -> dict[str, Any] | None:
    """The validation report kept with the current version (None when unsigned)."""
    version = current_version(minutes)
    if version is None:
        return None
    report = version.signature_check or {}
    return report if report.get("signatures") else None
