"""The statutory reports' selection: unit, report date, period of the movements."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_members import DateInput


class ReportForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    as_of = forms.DateField(label=_("Report date"), required=False, widget=DateInput())
    period_from = forms.DateField(label=_("Movements from"), required=False, widget=DateInput())
    period_to = forms.DateField(label=_("Movements until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]


class ReportDownloadForm(ReportForm):
    fmt = forms.ChoiceField(label=_("Format"), choices=[("pdf", "PDF"), ("xlsx", "Excel (XLSX)")])
