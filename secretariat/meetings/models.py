"""Meetings: the room, its agenda and board pack, who attends, who speaks, how they vote, the minutes.

A meeting belongs to the unit that convenes it (a committee, its standing committee, a cell).
The right to take part is an invitation (`Participant`), not a role; organizing needs
`meetings.organize` on the convening unit. Quorum and majority rules are copied from the
meeting type's `RuleSet` when the meeting is created, so a later change of the rules never
changes a past result (DOMAIN.md §6).

Secret ballots keep no link between a voter and a choice: `BallotCast` says who has voted,
`BallotReceipt` holds the receipt codes handed out (no voter, no choice, no time), and
`TallyCount` only counters per option. Nothing stores a ballot as a row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from secretariat.core.models import BaseModel
from secretariat.documents.models import Document
from secretariat.orgs.models import Unit

USER = settings.AUTH_USER_MODEL


class MeetingKind(models.TextChoices):
    COMMITTEE = "committee", _("Party committee (Ban Chấp hành)")
    STANDING_COMMITTEE = "standing_committee", _("Standing committee (Ban Thường vụ)")
    CELL = "cell", _("Party cell (Chi bộ)")
    CONFERENCE = "conference", _("Conference")


class Base(models.TextChoices):
    """What a count is measured against."""

    MEMBERS = "members", _("all members of the body")
    SUMMONED = "summoned", _("everyone summoned")
    SUMMONED_NOT_EXCLUDED = "summoned_not_excluded", _("everyone summoned, less legal exclusions")
    PRESENT = "present", _("members present")


class Threshold(models.TextChoices):
    MORE_THAN_HALF = "more_than_half", _("more than half")
    TWO_THIRDS = "two_thirds", _("at least two thirds")


class RuleSet(BaseModel):
    """Quorum and majority rules of one meeting type, for a unit and the units below it.
    The nearest ruleset up the tree applies; without one, `rules_defaults.DEFAULTS`."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="meeting_rulesets")
    kind = models.CharField(_("meeting type"), max_length=32, choices=MeetingKind.choices)
    quorum_base = models.CharField(_("quorum base"), max_length=32, choices=Base.choices)
    quorum_threshold = models.CharField(
        _("quorum threshold"), max_length=32, choices=Threshold.choices
    )
    resolution_base = models.CharField(_("resolution base"), max_length=32, choices=Base.choices)
    resolution_threshold = models.CharField(
        _("resolution threshold"), max_length=32, choices=Threshold.choices
    )
    election_base = models.CharField(_("election base"), max_length=32, choices=Base.choices)
    election_threshold = models.CharField(
        _("election threshold"), max_length=32, choices=Threshold.choices
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind"], name="meetings_ruleset_unit_kind")
        ]


class MeetingState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("meeting state", "Draft")
    CONVENED = "convened", pgettext_lazy("meeting state", "Convened")
    IN_SESSION = "in_session", pgettext_lazy("meeting state", "In session")
    CLOSED = "closed", pgettext_lazy("meeting state", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("meeting state", "Cancelled")


class VideoProvider(models.TextChoices):
    NONE = "", _("No video room")
    JITSI = "jitsi", "Jitsi Meet"
    BBB = "bbb", "BigBlueButton"


class Meeting(BaseModel):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("meeting type"), max_length=32, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    state = models.CharField(
        max_length=16, choices=MeetingState.choices, default=MeetingState.DRAFT
    )
    chair = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("chair")
    )
    secretary = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("secretary")
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # Incumbent members of the convening body: the base "all members of the body".
    body_size = models.PositiveIntegerField(_("members of the body"))
    # Rules copied from the meeting type's ruleset at creation.
    quorum_base = models.CharField(max_length=32, choices=Base.choices)
    quorum_threshold = models.CharField(max_length=32, choices=Threshold.choices)
    resolution_base = models.CharField(max_length=32, choices=Base.choices)
    resolution_threshold = models.CharField(max_length=32, choices=Threshold.choices)
    election_base = models.CharField(max_length=32, choices=Base.choices)
    election_threshold = models.CharField(max_length=32, choices=Threshold.choices)
    video_provider = models.CharField(
        _("video room"), max_length=8, choices=VideoProvider.choices, blank=True, default=""
    )
    # Room name on the video server; random, so that it cannot be guessed.
    video_room = models.CharField(max_length=64, blank=True)
    # Secret in the QR code shown on the room's screen: scanning it checks the reader in.
    checkin_token = models.CharField(max_length=64)
    current_item = models.ForeignKey(
        "AgendaItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Raised by every change pushed live: a client that sees a gap asks for the whole state.
    live_seq = models.PositiveBigIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["unit", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class ParticipantRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    SECRETARY = "secretary", _("Secretary")
    MEMBER = "member", _("Member")
    GUEST = "guest", _("Guest")


class Rsvp(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    ACCEPTED = "accepted", _("Will attend")
    DECLINED = "declined", _("Excused")


class Presence(models.TextChoices):
    ABSENT = "", _("Not checked in")
    ROOM = "room", _("In the room")
    REMOTE = "remote", _("Remote")


class Participant(BaseModel):
    """An invitation: the right to see the meeting and its pack, and, when `voting`, to vote."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="meeting_invitations")
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    voting = models.BooleanField(_("voting member"), default=True)
    # Invited through a unit: kept so that the list can show why someone was summoned.
    via_unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A legal exclusion from the base (e.g. under discipline), with its reason.
    excluded_reason = models.TextField(blank=True)
    rsvp = models.CharField(max_length=16, choices=Rsvp.choices, default=Rsvp.PENDING)
    rsvp_reason = models.TextField(_("reason for absence"), blank=True)
    rsvp_at = models.DateTimeField(null=True, blank=True)
    presence = models.CharField(max_length=8, choices=Presence.choices, blank=True, default="")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField(null=True, blank=True)
    pack_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="meetings_participant_once")
        ]
        indexes = [models.Index(fields=["user", "meeting"])]


class AgendaItem(BaseModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=300)
    presenter = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    presenter_name = models.CharField(_("presenter"), max_length=150, blank=True)
    planned_minutes = models.PositiveIntegerField(_("planned minutes"), default=15)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # What the meeting concluded on this item, for the minutes.
    conclusion = models.TextField(_("conclusion"), blank=True)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            # Checked at once on both databases: moves renumber in two steps
            # (services/agenda.py), so no moment has two items at one position.
            models.UniqueConstraint(fields=["meeting", "position"], name="meetings_item_position")
        ]


class ItemDocument(BaseModel):
    """A document of the board pack, taken from the document store (never a confidential one)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "document"], name="meetings_item_document")
        ]


class ReadReceipt(BaseModel):
    """First time a participant opened a document of the pack."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reads")
    item_document = models.ForeignKey(ItemDocument, on_delete=models.CASCADE, related_name="reads")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "item_document"], name="meetings_read_once"
            )
        ]


class Annotation(BaseModel):
    """A note on one page of a pack document: private to its author, or shared with every
    participant."""

    item_document = models.ForeignKey(
        ItemDocument, on_delete=models.CASCADE, related_name="annotations"
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    page = models.PositiveIntegerField()
    text = models.TextField()
    shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["page", "created_at"]


class SpeakerKind(models.TextChoices):
    SPEAK = "speak", _("Request to speak")
    POINT_OF_ORDER = "point_of_order", _("Point of order")


class SpeakerState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SPEAKING = "speaking", _("Speaking")
    DONE = "done", _("Done")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SpeakerRequest(BaseModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speakers")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=SpeakerKind.choices)
    state = models.CharField(
        max_length=16, choices=SpeakerState.choices, default=SpeakerState.WAITING
    )
    # Queue order; a point of order goes before every ordinary request.
    position = models.PositiveIntegerField()
    allotted_seconds = models.PositiveIntegerField(default=300)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            # One pending request of each kind per participant.
            models.UniqueConstraint(
                fields=["meeting", "participant", "kind"],
                condition=Q(state__in=["waiting", "speaking"]),
                name="meetings_one_open_request",
            ),
            # One speaker at a time.
            models.UniqueConstraint(
                fields=["meeting"], condition=Q(state="speaking"), name="meetings_one_speaker"
            ),
        ]


class VoteKind(models.TextChoices):
    RESOLUTION = "resolution", _("Resolution")
    ELECTION = "election", _("Election")
    PROCEDURAL = "procedural", _("Procedural point")


class VoteMethod(models.TextChoices):
    SHOW_OF_HANDS = "show_of_hands", _("Show of hands")
    NAMED = "named", _("Named electronic vote")
    SECRET = "secret", _("Secret ballot")


class VoteState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("vote state", "Draft")
    OPEN = "open", pgettext_lazy("vote state", "Open")
    CLOSED = "closed", pgettext_lazy("vote state", "Closed")


class Vote(BaseModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="votes"
    )
    kind = models.CharField(max_length=16, choices=VoteKind.choices)
    method = models.CharField(max_length=16, choices=VoteMethod.choices)
    question = models.TextField(_("question"))
    # Elections: seats to fill (n of m candidates); 1 for a resolution.
    seats = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=16, choices=VoteState.choices, default=VoteState.DRAFT)
    # Rules and counts frozen when the vote opens / closes.
    base = models.CharField(max_length=32, choices=Base.choices)
    threshold = models.CharField(max_length=32, choices=Threshold.choices)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Computed on the server at closing (rules.py): base size, counts, outcome per option.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["meeting", "created_at"]


class VoteOption(BaseModel):
    """A choice: for / against / abstain for a resolution, a candidate for an election."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=300)
    candidate = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Show of hands: the count the secretary recorded.
    hands = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["vote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "position"], name="meetings_option_position")
        ]


class BallotCast(BaseModel):
    """Who has voted (named and secret votes): one row per voter and vote, unique, so a
    second ballot fails even when two arrive at the same instant."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="cast")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "participant"], name="meetings_one_ballot")
        ]


class NamedChoice(BaseModel):
    """A named vote's choice: public by design."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="named_choices")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(VoteOption, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "participant", "option"], name="meetings_named_choice_once"
            )
        ]


class BallotReceipt(models.Model):
    """A secret ballot's receipt code: no voter, no choice, no time; a random key so that not
    even the row order tells who cast it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="receipts")
    code = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "code"], name="meetings_receipt")]

    def __str__(self) -> str:
        return self.code


class TallyCount(models.Model):
    """Secret ballot counters: one per option (`key` = the option's position) and one for
    blank ballots (`key` = "blank")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="tally")
    key = models.CharField(max_length=16)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "key"], name="meetings_tally_key")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class MinutesState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("minutes state", "Draft")
    FINAL = "final", pgettext_lazy("minutes state", "Ready to sign")
    SIGNED = "signed", pgettext_lazy("minutes state", "Signed")


class Minutes(BaseModel):
    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="minutes")
    text = models.TextField(_("minutes"))
    state = models.CharField(
        max_length=16, choices=MinutesState.choices, default=MinutesState.DRAFT
    )
    edited_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The rendered PDF, registered in the document store; signed in turn by the chair and the
    # secretary through the signing capability.
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_by_secretary_at = models.DateTimeField(null=True, blank=True)
    signed_by_chair_at = models.DateTimeField(null=True, blank=True)
