"""Forms of the directive pages. They check the shape of the input; the services check the
rules (who may send from where, the target inside the sending unit's subtree)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .services.directives import MAX_ACKNOWLEDGE_HOURS, REPORT_MAX, TITLE_MAX


class DateInput(forms.DateInput):
    input_type = "date"


class DirectiveForm(forms.Form):
    """A new directive. The unit pickers list only the units where the leader may instruct."""

    unit = forms.ChoiceField(label=_("Sent by"))
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=TITLE_MAX)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    target = forms.ChoiceField(
        label=pgettext_lazy("unit", "To"), help_text=_("The sending unit or a unit below it.")
    )
    include_subtree = forms.BooleanField(
        label=_("Also every active unit below the target"), required=False, initial=True
    )
    acknowledge_within_hours = forms.IntegerField(
        label=_("Hours to acknowledge"), min_value=1, max_value=MAX_ACKNOWLEDGE_HOURS, initial=24
    )
    report_by = forms.DateField(label=_("Report by"), required=False, widget=DateInput)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]
        self.fields["target"].choices = units  # type: ignore[attr-defined]


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("Report"), max_length=REPORT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
