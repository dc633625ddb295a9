"""Forms of the recognition file: the helper's assignment and the two review forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_members import DateInput
from .services.probation_forms import TEXT_MAX


def _text(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )


class HelperForm(forms.Form):
    username = forms.CharField(
        label=_("Username of the helping official member"),
        max_length=150,
        required=False,
        help_text=_("Empty to withdraw the assignment."),
    )


class ReviewForm(forms.Form):
    strengths = _text(_("Strengths"))
    weaknesses = _text(_("Weaknesses and their causes"))
    conclusion = _text(_("Conclusion and proposal"))
    written_on = forms.DateField(label=_("Date of the form"), required=False, widget=DateInput())


class PaperReviewForm(ReviewForm):
    """An officer recording a signed paper form: the author of a helper's comment is named."""

    author_name = forms.CharField(
        label=_("Helping official member who signed it"),
        max_length=255,
        required=False,
        help_text=_("Empty: the assigned helper."),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != "helper_comment":
            del self.fields["author_name"]
