"""Forms of the member pages. They check the shape of the input (types, lengths, choices); the
services check the rules (dates against the life cycle, duplicates, scope) and their messages
come back on the same fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import sealing, services
from .choices import BADGE_YEARS, DisciplineForm, EventKind, Rating, RewardKind, Status
from .models import Member

Choices = list[tuple[str, str]]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def unit_choices(units: Any) -> Choices:
    return [(str(u.pk), f"{'— ' * (u.depth - 1)}{u.display_name}") for u in units]


class MemberFilterForm(forms.Form):
    """The filters of the member list; anything unknown is ignored rather than refused."""

    unit = forms.ChoiceField(label=_("Unit"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Current (candidates and members)")), ("all", _("All")), *Status.choices],
    )
    q = forms.CharField(label=_("Name"), required=False, max_length=150)
    probation = forms.BooleanField(label=_("Probation ending or overdue"), required=False)

    def __init__(self, *args: Any, units: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All my units")), *units]  # type: ignore[attr-defined]


# Long sensitive fields are typed in text areas.
_LONG = 255


def _profile_field(name: str) -> forms.Field:
    model_field = Member._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    field = model_field.formfield()
    assert field is not None
    if isinstance(model_field, models.DateField):
        field.widget = DateInput()
    return field


class ProfileForm(forms.Form):
    """Every profile field of form 2-HSĐV, sensitive ones included (on the create page also the
    unit the record is opened in)."""

    def __init__(self, *args: Any, units: Choices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"] = forms.ChoiceField(label=_("Unit"), choices=units)
        for name in services.PROFILE_FIELDS:
            self.fields[name] = _profile_field(name)
        for name, (label, max_length) in sealing.SENSITIVE_FIELDS.items():
            widget = forms.Textarea(attrs={"rows": 2}) if max_length > _LONG else None
            self.fields[name] = forms.CharField(
                label=label, max_length=max_length, required=False, widget=widget
            )

    def profile(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in services.PROFILE_FIELDS}
        values.update({name: data.get(name) or "" for name in sealing.SENSITIVE_FIELDS})
        for name in services.PROFILE_FIELDS:
            if values[name] is None and name != "dues_base_amount":
                values[name] = ""
        return values

    def plain_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in services.PROFILE_FIELDS]

    def sensitive_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in sealing.SENSITIVE_FIELDS]


def initial_profile(member: Member, sensitive: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(member, name) for name in services.PROFILE_FIELDS}
    values.update(sensitive)
    return values


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG, PNG or WebP, 512 KB at most)"), required=False)
    remove = forms.BooleanField(label=_("Remove the photo"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("photo") and not data.get("remove"):
            raise forms.ValidationError(_("Choose a photo, or tick “Remove the photo”."))
        return data


# Kinds recorded elsewhere: expulsion by a discipline decision, reorganization by a merge.
EVENT_KINDS = [
    (value, label)
    for value, label in EventKind.choices
    if value not in (EventKind.EXPULSION, EventKind.UNIT_REORGANIZED)
]
# Which fields each kind uses (the page's script hides the others; without it all show).
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    EventKind.CANDIDATE: ("to_unit",),
    EventKind.ADMISSION: ("to_unit",),
    EventKind.READMISSION: ("to_unit",),
    EventKind.RESTORATION: ("to_unit",),
    EventKind.TRANSFER_OFFICIAL: ("to_unit",),
    EventKind.TRANSFER_WITHIN: ("to_unit",),
    EventKind.TRANSFER_TEMPORARY: ("to_unit", "external_destination"),
    EventKind.TRANSFER_OUT: ("external_destination", "external_code"),
    EventKind.TRANSFER_IN: ("to_unit",),
    EventKind.OFFICIAL: ("without_forms", "without_forms_reason"),
}


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Event"), choices=EVENT_KINDS)
    effective_on = forms.DateField(label=_("Effective date"), widget=DateInput())
    decision_number = forms.CharField(label=_("Decision number"), max_length=50, required=False)
    decision_date = forms.DateField(label=_("Decision date"), required=False, widget=DateInput())
    issuing_unit = forms.CharField(
        label=_("Issuing unit (electronic code)"), max_length=32, required=False
    )
    issuing_body = forms.CharField(
        label=_("Issuing body outside this node"), max_length=255, required=False
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    to_unit = forms.CharField(
        label=_("Admitting or receiving unit (electronic code)"),
        max_length=32,
        required=False,
        help_text=_("Empty for an admission: the member's own cell."),
    )
    external_destination = forms.CharField(
        label=_("Destination outside this node"),
        max_length=255,
        required=False,
        help_text=_("For a transfer out of the node or temporary activity outside it."),
    )
    external_code = forms.CharField(
        label=_("Receiving organization's electronic code (secure exchange)"),
        max_length=64,
        required=False,
        help_text=_(
            "When the organization is in the exchange directory, the introduction letter is "
            "sent to it and the transfer is confirmed by its answer."
        ),
    )
    without_forms = forms.BooleanField(
        label=_("Record official membership although the recognition file is incomplete"),
        required=False,
    )
    without_forms_reason = forms.CharField(
        label=_("Why without the self-review or the helper's comment"),
        max_length=500,
        required=False,
    )


class RatingForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1930, max_value=2200)
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices)
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class RewardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RewardKind.choices)
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=255, required=False)
    badge_years = forms.TypedChoiceField(
        label=_("Badge (years of Party age)"),
        choices=[("", "—"), *[(str(y), str(y)) for y in BADGE_YEARS]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    decision_number = forms.CharField(label=_("Decision number"), max_length=50, required=False)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())
    issuing_body = forms.CharField(label=_("Issuing body"), max_length=255, required=False)


class DisciplineRecordForm(forms.Form):
    form = forms.ChoiceField(label=_("Form of discipline"), choices=DisciplineForm.choices)
    decision_number = forms.CharField(label=_("Decision number"), max_length=50, required=False)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())
    effective_on = forms.DateField(
        label=_("Effective date"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the date of the decision."),
    )
    issuing_body = forms.CharField(label=_("Issuing body"), max_length=255, required=False)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class LinkUserForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        help_text=_("Empty: remove the link to the current account."),
    )


def current_year() -> int:
    from secretariat.core import clock

    return clock.today().year


def year_of(value: str | None, default: int) -> int:
    if value and value.isdigit() and 1930 <= int(value) <= 2200:
        return int(value)
    return default


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None
