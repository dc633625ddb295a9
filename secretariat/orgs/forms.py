"""Forms of the tree pages. They check the shape of the input; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock

from .io import Format
from .models import UnitKind


class DateInput(forms.DateInput):
    input_type = "date"


class UnitForm(forms.Form):
    """Add a sub-unit, or edit a unit (with `valid_to`)."""

    name = forms.CharField(label=_("Name (Vietnamese)"), max_length=255)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=255, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=255, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    code = forms.CharField(label=_("Electronic code"), max_length=32)
    abbreviation = forms.CharField(label=_("Notation abbreviation"), max_length=20)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DateInput)


class UnitEditForm(UnitForm):
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DateInput)


class MoveForm(forms.Form):
    new_parent = forms.ChoiceField(label=_("New parent unit"))

    def __init__(self, *args: object, parents: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["new_parent"].choices = parents  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    target = forms.ChoiceField(label=_("Merge into"))
    effective_on = forms.DateField(label=_("Effective on"), initial=clock.today, widget=DateInput)

    def __init__(self, *args: object, targets: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["target"].choices = targets  # type: ignore[attr-defined]


class DissolveForm(forms.Form):
    effective_on = forms.DateField(label=_("Effective on"), initial=clock.today, widget=DateInput)
    reason = forms.CharField(label=_("Reason (decision)"), max_length=500)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"))
    fmt = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("From the file name")), (Format.CSV, "CSV"), (Format.JSON, "JSON")],
        required=False,
    )
