"""Forms of the register pages. They check the shape of the input; the services check the rules
(confidentiality level, who may enter what where)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Confidentiality, DocumentType, RegisterKind, Urgency


class DateInput(forms.DateInput):
    input_type = "date"


class PeriodForm(forms.Form):
    """The date range of a register page or printout; both ends optional."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


class ConfidentialEntryForm(forms.Form):
    """A confidential document entered by hand (it never enters as a file)."""

    unit = forms.ChoiceField(label=_("Unit"))
    kind = forms.ChoiceField(label=_("Register"), choices=RegisterKind.choices)
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality level"),
        choices=[c for c in Confidentiality.choices if c[0] != Confidentiality.NORMAL],
    )
    doc_type = forms.ModelChoiceField(
        label=_("Document type"),
        queryset=DocumentType.objects.all(),
        required=False,
        help_text=_("Needed for outgoing and internal documents: the register gives the notation."),
    )
    notation = forms.CharField(
        label=_("Number and notation"),
        max_length=60,
        required=False,
        help_text=_("Incoming documents: the sender's number and notation."),
    )
    issued_on = forms.DateField(label=_("Date of the document"), required=False, widget=DateInput)
    issuing_body = forms.CharField(label=_("Issuing body"), max_length=255, required=False)
    subject = forms.CharField(
        label=_("Subject (trích yếu)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("May be left empty: the register then shows “(confidential)”."),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]
