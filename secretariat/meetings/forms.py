"""Forms of the organizing pages. They check the shape of the input; the services check the
rules (who may be chair, when a meeting ends, which documents a pack takes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import MeetingKind, ParticipantRole, VideoProvider

Choices = list[tuple[str, str]]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _when(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
    )


class MeetingForm(forms.Form):
    """Create (with `units`) or edit (without: the unit and type stay as created)."""

    unit = forms.ChoiceField(label=_("Convening unit"))
    kind = forms.ChoiceField(label=_("Meeting type"), choices=MeetingKind.choices)
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=300)
    starts_at = _when(_("Starts at"))
    ends_at = _when(_("Ends at"))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    video_provider = forms.ChoiceField(
        label=_("Video room"), choices=VideoProvider.choices, required=False
    )
    chair = forms.ChoiceField(label=_("Chair"))
    secretary = forms.ChoiceField(label=_("Secretary"))
    body_size = forms.IntegerField(
        label=_("Members of the body"),
        min_value=1,
        max_value=10_000,
        help_text=_("Incumbent members of the convening body: the base of its majorities."),
    )

    def __init__(
        self, *args: Any, people: Choices, units: Choices | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
            del self.fields["kind"]
        else:
            self.fields["unit"].choices = units  # type: ignore[attr-defined]
        self.fields["chair"].choices = people  # type: ignore[attr-defined]
        self.fields["secretary"].choices = people  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InviteForm(forms.Form):
    users = forms.MultipleChoiceField(
        label=_("People"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    unit = forms.ChoiceField(label=_("Or everyone holding a position in the unit"), required=False)
    role = forms.ChoiceField(
        label=_("As"),
        choices=[
            (ParticipantRole.MEMBER, ParticipantRole.MEMBER.label),
            (ParticipantRole.GUEST, ParticipantRole.GUEST.label),
        ],
    )
    voting = forms.BooleanField(label=_("Voting"), required=False, initial=True)

    def __init__(self, *args: Any, people: Choices, units: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = people  # type: ignore[attr-defined]
        self.fields["unit"].choices = [("", "—"), *units]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("users") and not data.get("unit"):
            raise forms.ValidationError(_("Choose people or a unit to invite."))
        if data.get("users") and data.get("unit"):
            raise forms.ValidationError(_("Choose people or a unit, not both at once."))
        return data


class ParticipantForm(forms.Form):
    voting = forms.BooleanField(label=_("Voting"), required=False)
    excluded_reason = forms.CharField(
        label=_("Legal exclusion (reason)"),
        required=False,
        max_length=2000,
        help_text=_("Leave empty when the person counts in the base."),
    )


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("accept", _("I will attend")), ("decline", _("I cannot attend"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for absence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ItemForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=300)
    presenter = forms.ChoiceField(label=_("Presenter"), required=False)
    presenter_name = forms.CharField(
        label=_("Or the presenter's name"), max_length=150, required=False
    )
    planned_minutes = forms.IntegerField(
        label=_("Planned minutes"), min_value=1, max_value=24 * 60, initial=15
    )
    conclusion = forms.CharField(
        label=_("Conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["presenter"].choices = [("", "—"), *people]  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class PackAddForm(forms.Form):
    document = forms.UUIDField(label=_("Document"))


class AnnotationForm(forms.Form):
    page = forms.IntegerField(label=_("Page"), min_value=1)
    text = forms.CharField(
        label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    shared = forms.BooleanField(label=_("Share with every participant"), required=False)


class ListFilterForm(forms.Form):
    """The tabs of the list; anything unknown is ignored rather than refused."""

    when = forms.ChoiceField(
        choices=[("upcoming", _("Upcoming")), ("past", _("Past"))], required=False
    )
    mine = forms.BooleanField(required=False)
