"""The audit viewer's filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import EventFilter

# Date inputs send ISO dates; a typed date is read the Vietnamese way (day first).
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    object = forms.CharField(label=_("Object (type or id)"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def to_filter(self) -> EventFilter:
        data = self.cleaned_data
        return EventFilter(
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            object=data.get("object") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            before_seq=data.get("before"),
        )
