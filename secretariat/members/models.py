"""The Party member registry: profiles (form 2-HSĐV), life-cycle events, dues, ratings, rewards
and discipline.

Three kinds of columns on `Member` (docs/members.md):

* profile fields typed in through the services (name, birth, education…), with the report
  dimensions as short codes from `choices.py` in plain, indexed columns;
* sensitive fields (`SENSITIVE_FIELDS` in `sealing.py`) stored only sealed — AES-GCM under the
  node master key, bound to the field and the member — in `<name>_sealed` binary columns, never
  queryable in clear; the citizen ID also has a keyed digest so duplicates are found;
* derived columns (status, current unit, admission and official dates…): a cache of
  `lifecycle.derive` over the member's events, written only by the services in the transaction
  that records an event. Status is never typed in.

Only the services in `services/` write these tables; other apps read them through the
selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock
from secretariat.core.models import BaseModel
from secretariat.orgs.models import Unit, UnitKind

from .choices import (
    AcademicTitle,
    Degree,
    DisciplineForm,
    Ethnicity,
    EventKind,
    Gender,
    IncomeType,
    Rating,
    Religion,
    ReviewKind,
    RewardKind,
    Status,
    TheoryLevel,
)

USER = settings.AUTH_USER_MODEL


class Member(BaseModel):
    """One person's Party record (form 2-HSĐV), from candidacy on."""

    # --- Derived from the events (lifecycle.derive); written by the services only -------------
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="party_members",
        help_text=_("The cell (or committee) where the member is officially counted."),
    )
    # The unit the record was opened in: where the derivation starts (never changes).
    registered_unit = models.ForeignKey(
        Unit,
        verbose_name=_("registered in"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UNRECORDED
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    exempted = models.BooleanField(_("exempted from activities"), default=False)
    temporary_unit = models.ForeignKey(
        Unit,
        verbose_name=_("temporarily active in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="temporary_party_members",
    )
    temporary_external = models.CharField(
        _("temporarily active outside this node in"), max_length=255, blank=True
    )
    pending_transfer = models.ForeignKey(
        "MemberEvent",
        verbose_name=_("transfer awaiting confirmation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    admitting_unit = models.ForeignKey(
        Unit,
        verbose_name=_("admitting cell"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admitted_party_members",
    )
    first_admitted_on = models.DateField(_("first admitted on"), null=True, blank=True)
    admitted_on = models.DateField(_("admitted on"), null=True, blank=True)
    probation_ends_on = models.DateField(_("probation ends on"), null=True, blank=True)
    official_on = models.DateField(_("official member since"), null=True, blank=True)
    ended_on = models.DateField(_("membership ended on"), null=True, blank=True)
    party_age_from = models.DateField(
        _("Party age counted from"),
        null=True,
        blank=True,
        help_text=_("The first admission, moved later by any time spent outside the Party."),
    )
    # The next event's `sequence` (orders events of the same effective date).
    event_count = models.PositiveIntegerField(default=0, editable=False)
    # Once-only bookkeeping of the probation job: the probation end already announced.
    probation_reminded_for = models.DateField(null=True, blank=True, editable=False)
    probation_overdue_notified_for = models.DateField(null=True, blank=True, editable=False)

    # --- Identity --------------------------------------------------------------------------------
    full_name = models.CharField(_("full name"), max_length=150)
    other_names = models.CharField(_("other names"), max_length=150, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"))
    birth_registration_place = models.CharField(
        _("place of birth registration"), max_length=255, blank=True
    )
    hometown = models.CharField(_("hometown"), max_length=255, blank=True)
    residence = models.CharField(_("place of residence"), max_length=255, blank=True)
    citizen_id_sealed = models.BinaryField(null=True, blank=True, editable=False)
    # HMAC of the normalized citizen ID under a key derived from the master key: finds a
    # duplicate without storing the number in clear (sealing.citizen_id_digest).
    citizen_id_digest = models.CharField(max_length=64, blank=True, editable=False)
    photo_sealed = models.BinaryField(null=True, blank=True, editable=False)
    photo_content_type = models.CharField(max_length=40, blank=True, editable=False)

    # --- Party record ----------------------------------------------------------------------------
    party_record_number = models.CharField(
        _("Party record number (số lý lịch)"), max_length=30, blank=True
    )
    card_number = models.CharField(_("Party card number"), max_length=30, blank=True)
    introducer_1 = models.CharField(_("first introducer"), max_length=150, blank=True)
    introducer_2 = models.CharField(_("second introducer"), max_length=150, blank=True)
    youth_union_on = models.DateField(_("joined the Youth Union on"), null=True, blank=True)

    # --- Report dimensions (codes) and education -------------------------------------------------
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=Ethnicity.choices)
    religion = models.CharField(
        _("religion"), max_length=16, choices=Religion.choices, default=Religion.NONE
    )
    occupation = models.CharField(_("occupation"), max_length=150, blank=True)
    general_education = models.CharField(
        _("general education"), max_length=10, blank=True, help_text=_("For example 12/12 or 9/10.")
    )
    # The grade completed, read from `general_education` ("12/12" → 12), for the reports.
    general_education_grade = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )
    professional_qualification = models.CharField(
        _("professional qualification"), max_length=255, blank=True
    )
    degree = models.CharField(
        _("highest degree"), max_length=16, choices=Degree.choices, default=Degree.NONE
    )
    academic_title = models.CharField(
        _("academic title"),
        max_length=24,
        choices=AcademicTitle.choices,
        default=AcademicTitle.NONE,
    )
    political_theory = models.CharField(
        _("political theory level"),
        max_length=16,
        choices=TheoryLevel.choices,
        default=TheoryLevel.NONE,
    )
    languages = models.CharField(_("foreign languages"), max_length=255, blank=True)
    it_skills = models.CharField(_("IT skills"), max_length=255, blank=True)

    # --- Sensitive, sealed (see sealing.SENSITIVE_FIELDS) ----------------------------------------
    ethnicity_detail_sealed = models.BinaryField(null=True, blank=True, editable=False)
    religion_detail_sealed = models.BinaryField(null=True, blank=True, editable=False)
    health_sealed = models.BinaryField(null=True, blank=True, editable=False)
    war_invalid_sealed = models.BinaryField(null=True, blank=True, editable=False)
    martyr_family_sealed = models.BinaryField(null=True, blank=True, editable=False)
    family_background_sealed = models.BinaryField(null=True, blank=True, editable=False)
    relatives_abroad_sealed = models.BinaryField(null=True, blank=True, editable=False)
    foreign_travel_sealed = models.BinaryField(null=True, blank=True, editable=False)
    economic_situation_sealed = models.BinaryField(null=True, blank=True, editable=False)

    # --- Dues ------------------------------------------------------------------------------------
    income_type = models.CharField(
        _("income type for dues"), max_length=20, choices=IncomeType.choices, blank=True
    )
    dues_base_amount = models.PositiveBigIntegerField(
        _("monthly income the dues are computed from (VND)"), null=True, blank=True
    )

    # The official member assigned to help a probationary member (writes the helper's comment).
    probation_helper = models.ForeignKey(
        USER,
        verbose_name=_("helping official member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members_helped",
    )

    user = models.OneToOneField(
        USER,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_record",
    )

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["full_name", "birth_date"]
        indexes = [
            # Lists and counts per unit (a subtree is a set of unit ids).
            models.Index(fields=["unit", "status"], name="members_unit_status"),
            models.Index(fields=["status", "probation_ends_on"], name="members_probation"),
            models.Index(fields=["full_name"], name="members_name"),
            # Report dimensions.
            models.Index(fields=["birth_date"], name="members_birth"),
            models.Index(fields=["gender"], name="members_gender"),
            models.Index(fields=["ethnicity"], name="members_ethnicity"),
            models.Index(fields=["religion"], name="members_religion"),
            models.Index(fields=["political_theory"], name="members_theory"),
            models.Index(fields=["degree"], name="members_degree"),
            models.Index(fields=["party_age_from"], name="members_party_age"),
            models.Index(fields=["admitted_on"], name="members_admitted"),
            models.Index(fields=["official_on"], name="members_official"),
            models.Index(fields=["temporary_unit"], name="members_temporary"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen_id_digest"],
                condition=~Q(citizen_id_digest=""),
                name="members_unique_citizen_id",
            ),
            models.UniqueConstraint(
                fields=["party_record_number"],
                condition=~Q(party_record_number=""),
                name="members_unique_record_number",
            ),
            models.UniqueConstraint(
                fields=["card_number"],
                condition=~Q(card_number=""),
                name="members_unique_card_number",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class MemberEvent(BaseModel):
    """A dated life-cycle event with its decision. Events are appended by the services after
    the whole sequence was validated; only a transfer's confirmation is written later."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events")
    # Recording order, per member: breaks ties between events of the same effective date.
    sequence = models.PositiveIntegerField(editable=False)
    kind = models.CharField(_("event"), max_length=24, choices=EventKind.choices)
    decision_number = models.CharField(_("decision number"), max_length=50, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    effective_on = models.DateField(_("effective date"))
    issuing_unit = models.ForeignKey(
        Unit,
        verbose_name=_("issuing unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The issuing body when it is not a unit of this node ("Đảng ủy xã X, tỉnh Y").
    issuing_body = models.CharField(_("issuing body"), max_length=255, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    from_unit = models.ForeignKey(
        Unit,
        verbose_name=_("from unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The receiving (or admitting, restoring) unit of this node.
    to_unit = models.ForeignKey(
        Unit,
        verbose_name=_("to unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A destination outside this node (until the secure exchange carries transfers).
    external_destination = models.CharField(
        _("destination outside this node"), max_length=255, blank=True
    )
    # A transfer out of the node sent through the secure exchange: the receiving organization's
    # electronic code, the introduction letter (a document of the store) and the package.
    external_code = models.CharField(_("receiving organization's code"), max_length=64, blank=True)
    introduction_letter = models.ForeignKey(
        "documents.Document",
        verbose_name=_("introduction letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    exchange_package = models.CharField(max_length=64, blank=True, db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("life-cycle event")
        verbose_name_plural = _("life-cycle events")
        ordering = ["effective_on", "sequence"]
        indexes = [
            models.Index(fields=["member", "effective_on", "sequence"], name="member_events_order"),
            # Reports of admissions, recognitions, transfers, departures… over a period.
            models.Index(fields=["kind", "effective_on"], name="member_events_kind"),
            # Transfers awaiting a receiving unit's confirmation.
            models.Index(fields=["to_unit", "confirmed_at"], name="member_events_incoming"),
            models.Index(fields=["from_unit", "kind"], name="member_events_outgoing"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["member", "sequence"], name="member_events_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_on:%d/%m/%Y}"


# --- Dues (đảng phí) ------------------------------------------------------------------------------


class DuesRule(BaseModel):
    """How much a member of one income type pays a month from `valid_from` on: a rate in per
    mille of the member's base amount (10 ‰ = 1 % of the salary), or a fixed amount."""

    income_type = models.CharField(_("income type"), max_length=20, choices=IncomeType.choices)
    rate_per_mille = models.PositiveIntegerField(_("rate (‰)"), null=True, blank=True)
    fixed_amount = models.PositiveBigIntegerField(_("fixed amount (VND)"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("dues rule")
        verbose_name_plural = _("dues rules")
        ordering = ["income_type", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["income_type", "valid_from"], name="dues_rule_once"),
            models.CheckConstraint(
                condition=Q(rate_per_mille__isnull=False, fixed_amount__isnull=True)
                | Q(rate_per_mille__isnull=True, fixed_amount__isnull=False),
                name="dues_rule_rate_or_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_income_type_display()} {self.valid_from:%d/%m/%Y}"


class DuesShareRule(BaseModel):
    """The share of the dues a unit of one kind keeps (in per mille) from `valid_from` on; the
    rest goes to the unit above. Without a rule, `dues.DEFAULT_KEPT_PER_MILLE` applies."""

    unit_kind = models.CharField(_("unit kind"), max_length=32, choices=UnitKind.choices)
    kept_per_mille = models.PositiveIntegerField(_("kept share (‰)"))
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("dues share rule")
        verbose_name_plural = _("dues share rules")
        ordering = ["unit_kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["unit_kind", "valid_from"], name="dues_share_once"),
            models.CheckConstraint(
                condition=Q(kept_per_mille__lte=1000), name="dues_share_at_most_all"
            ),
        ]


class DuesPayment(BaseModel):
    """One month's dues of one member, recorded by the cell. A correction is a new row that
    supersedes the previous one (kept, with `superseded_at`): one current row per member and
    month."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_payments")
    # The month paid for: always the first day of that month.
    period = models.DateField(_("month"))
    amount = models.PositiveBigIntegerField(_("amount (VND)"))
    # The unit that collected it (the member's unit when recorded): the monthly statements.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="dues_payments")
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=clock.now)
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )
    correction_reason = models.CharField(max_length=255, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        ordering = ["period", "recorded_at"]
        indexes = [
            models.Index(fields=["unit", "period"], name="dues_unit_period"),
            models.Index(fields=["member", "period"], name="dues_member_period"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "period"],
                condition=Q(superseded_at__isnull=True),
                name="dues_one_current_per_month",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_amount_positive"),
        ]


# --- Ratings, rewards, discipline -----------------------------------------------------------------


class AnnualRating(BaseModel):
    """The annual quality rating of a member (one per year)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="ratings")
    year = models.PositiveSmallIntegerField(_("year"))
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices)
    # The member's unit when rated, for the per-unit counts of that year.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("annual rating")
        verbose_name_plural = _("annual ratings")
        ordering = ["-year"]
        indexes = [models.Index(fields=["unit", "year"], name="ratings_unit_year")]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="ratings_once_a_year")
        ]


class Reward(BaseModel):
    """A reward, honorary title or Party badge (huy hiệu 30 … 90 năm tuổi Đảng)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="rewards")
    kind = models.CharField(_("kind"), max_length=24, choices=RewardKind.choices)
    title = models.CharField(_("title"), max_length=255)
    badge_years = models.PositiveSmallIntegerField(_("badge (years)"), null=True, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=50, blank=True)
    decided_on = models.DateField(_("decided on"))
    issuing_body = models.CharField(_("issuing body"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["-decided_on"]
        indexes = [models.Index(fields=["kind", "decided_on"], name="rewards_kind_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "badge_years"],
                condition=Q(badge_years__isnull=False),
                name="rewards_badge_once",
            )
        ]


class Discipline(BaseModel):
    """A disciplinary decision. An expulsion is also the member's `EXPULSION` event (`event`)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="disciplines")
    form = models.CharField(_("form"), max_length=16, choices=DisciplineForm.choices)
    decision_number = models.CharField(_("decision number"), max_length=50, blank=True)
    decided_on = models.DateField(_("decided on"))
    effective_on = models.DateField(_("effective date"))
    issuing_body = models.CharField(_("issuing body"), max_length=255, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    event = models.OneToOneField(
        MemberEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="discipline"
    )

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["-decided_on"]
        indexes = [models.Index(fields=["form", "decided_on"], name="disciplines_form_date")]


# --- Recognition file (official membership) -----------------------------------------------------


class ProbationReview(BaseModel):
    """One form of the recognition file of a probation: the member's self-review or the helping
    member's comment, typed in by its author or recorded by the cell's officer from the paper.
    A new version supersedes (never deletes) the previous one: one current row per member,
    kind and probation (`admitted_on`)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="probation_reviews")
    kind = models.CharField(_("form"), max_length=16, choices=ReviewKind.choices)
    # The probation it belongs to: the member's (re-)admission date when it was written.
    admitted_on = models.DateField(_("admitted on"))
    author_user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(_("author"), max_length=255)
    strengths = models.TextField(_("strengths"))
    weaknesses = models.TextField(_("weaknesses"))
    conclusion = models.TextField(_("conclusion and proposal"))
    written_on = models.DateField(_("written on"))
    submitted_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("probation review")
        verbose_name_plural = _("probation reviews")
        ordering = ["kind", "-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "admitted_on"],
                condition=Q(superseded_at__isnull=True),
                name="probation_review_one_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.author_name}"
